"""A secret put into a non-secret field through ``${ENV}`` never leaves the process.

The site's SSH check runs ``echo ${SECRET_X}`` against the real sshd: the command line holds
the secret (asyncssh logs commands at INFO) and so does its output (the check's message).
Neither the log file, nor ``config check``, nor ``check --once`` may show it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from console.cli import main
from console.logs import log_to_file
from console.runtime import CheckRuntime
from data import masking
from data.config import load_site

from .conftest import SshPeer

pytestmark = pytest.mark.interop

SECRET = "tok-3f9a71c2e5d4"  # what $SECRET_X holds


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SECRET_X", SECRET)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    yield
    masking.forget_all()  # the secret of this test must not mask other tests' text


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    asyncssh_level = logging.getLogger("asyncssh").level
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:], root.level = handlers, level
    logging.getLogger("asyncssh").setLevel(asyncssh_level)


def site_file(tmp: Path, sshd: SshPeer) -> Path:
    keys, known = [str(sshd.client_key)], str(sshd.known_hosts)
    ssh = {"username": sshd.user, "client_keys": keys, "known_hosts": known}
    doc: dict[str, Any] = {
        "site": {
            "name": "masking",
            "language": "en",
            "shifts": [{"name": "all", "start": "00:00", "end": "23:59"}],
        },
        "credentials": {"ops": {"ssh": ssh}},
        "zones": [{"id": "lab", "name": "lab"}],
        "devices": [
            {
                "id": "shell",
                "name": "sshd",
                "kind": "server",
                "zone": "lab",
                "host": sshd.host,
                "checks": [
                    {
                        "id": "token",
                        "type": "ssh",
                        "credential": "ops",
                        "port": sshd.port,
                        "timeout": 10,
                        "command": "echo ${SECRET_X}",
                        "expect": {"stdout": "^never$"},  # fails: the output is the message
                    }
                ],
            }
        ],
    }
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.usefixtures("secret_env", "restore_logging")
async def test_the_secret_never_reaches_the_log_file(tmp_path: Path, sshd: SshPeer) -> None:
    site = load_site(site_file(tmp_path, sshd))
    log = log_to_file(tmp_path / "logs" / "dutydesk.log")
    logging.getLogger("asyncssh").setLevel(logging.DEBUG)  # as verbose as a library may be
    async with CheckRuntime(site, traps=False) as runtime:
        [event] = await runtime.run_once()
    logging.getLogger("dutydesk.test").warning("a library echoed %s", SECRET)
    try:
        raise RuntimeError(f"command failed: echo {SECRET}")
    except RuntimeError:
        logging.getLogger("dutydesk.test").exception("with a traceback")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log.read_text("utf-8")
    assert "a library echoed ***" in text and "command failed: echo ***" in text
    assert SECRET not in text
    assert event.result.message == "output does not match /^never$/: ***"


def test_log_to_file_keeps_asyncssh_below_info(tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        log_to_file(tmp_path / "dutydesk.log")
        assert not logging.getLogger("asyncssh").isEnabledFor(logging.INFO)
        assert logging.getLogger("asyncssh").isEnabledFor(logging.WARNING)
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = handlers, level
        logging.getLogger("asyncssh").setLevel(logging.NOTSET)


@pytest.mark.usefixtures("secret_env")
def test_the_secret_never_reaches_the_command_line_output(
    tmp_path: Path, sshd: SshPeer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = str(site_file(tmp_path, sshd))
    assert main(["--site", site, "config", "check"]) == 0
    assert main(["--site", site, "check", "--once"]) == 1
    assert main(["--site", site, "check", "--once", "--json"]) == 1
    out, err = capsys.readouterr()
    assert "output does not match /^never$/: ***" in out
    assert SECRET not in out + err

"""Running the command line in-process for tests: ``Cli`` and its fixtures."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from console.cli import main

ADMIN_PW = "Adm1n#pass"
FIRST_PW = "First#2026set"  # what the admin gives a new account in ``add_user``


class Cli:
    def __init__(
        self, tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.site = tmp / "site.yaml"
        self.db = tmp / "dutydesk.db"
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--site", str(self.site), "--db", str(self.db), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


def make_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    return Cli(tmp_path, capsys, monkeypatch)


def initialise(cli: Cli) -> Cli:
    code, _, err = cli("init", "--password-stdin", stdin=ADMIN_PW + "\n")
    assert code == 0, err
    # English for assertions on messages; the template's own language is zh_CN.
    cli.site.write_text(
        cli.site.read_text("utf-8").replace("language: zh_CN", "language: en"), encoding="utf-8"
    )
    return cli


def add_user(cli: Cli, name: str, role: str, password: str, full_name: str = "") -> None:
    """``dutydesk user add`` by the admin ``initialise`` made, with a first password the
    owner then replaces by ``password`` (``user passwd``), as a real owner must before any
    other command; both must succeed."""
    code, _, err = cli(
        "user",
        "add",
        name,
        "--role",
        role,
        *(("--full-name", full_name) if full_name else ()),
        "--user",
        "admin",
        "--password-stdin",
        stdin=f"{ADMIN_PW}\n{FIRST_PW}\n",
    )
    assert code == 0, err
    code, _, err = cli(
        "user",
        "passwd",
        name,
        "--user",
        name,
        "--password-stdin",
        stdin=f"{FIRST_PW}\n{password}\n",
    )
    assert code == 0, err

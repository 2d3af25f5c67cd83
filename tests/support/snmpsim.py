"""SNMP recordings of real devices served on loopback by snmpsim's command responder.

snmpsim answers each community with the recording of that name from its data folder, so
one responder serves every recording a test module needs: ``agent.community("apc-8641")``.
Recordings come from the ``snmpsim-data`` package (walks of real devices), from the ones
shipped inside ``snmpsim`` itself, or from ``tests/data/snmprec/`` (written from a vendor's
MIB where no recording exists). Compressed ones are unpacked into the temporary folder.

As root the responder must drop to an unprivileged user (``--process-user/--process-group``),
which must be able to read the data folder and write the index cache: both live in a fresh
world-readable temporary folder removed at the end.
"""

from __future__ import annotations

import bz2
import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from pyasn1.codec.ber import encoder
from pysnmp.proto.api import v2c

HERE = Path(__file__).resolve().parent
OWN_RECORDINGS = HERE.parent / "data" / "snmprec"
START_DEADLINE = 30.0  # seconds: the first start indexes every recording


def _package_folder(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def _missing(reason: str) -> NoReturn:
    """Skip, as the other interop peers do; under CI=true (make test) a missing peer fails."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true does not allow skipping interop tests")
    pytest.skip(reason)


def recording(name: str) -> Path:
    """The file of recording ``name`` (``UPS/apc-8641``, ``recorded/linux-full-walk``, or
    one of ``tests/data/snmprec``); skips the test when the packages are not installed."""
    folders = [
        OWN_RECORDINGS,
        _package_folder("snmpsim_data", "data"),
        _package_folder("snmpsim", "data"),
    ]
    for folder in folders:
        for suffix in (".snmprec", ".snmprec.bz2"):
            if folder is not None and (found := folder / f"{name}{suffix}").is_file():
                return found
    _missing(f"no SNMP recording {name} (pip install -e '.[test]' installs snmpsim-data)")


@dataclass(frozen=True)
class Simulator:
    port: int
    names: dict[str, str]  # recording name -> its community

    def community(self, name: str) -> str:
        return self.names[name]


def _answers(port: int, community: str) -> bool:
    request = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(request)
    v2c.apiPDU.set_varbinds(request, [((1, 3, 6, 1, 2, 1, 1, 2, 0), v2c.Null(""))])
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, request)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        s.sendto(encoder.encode(message), ("127.0.0.1", port))
        try:
            return bool(s.recv(65535))
        except OSError:  # not bound yet, or still indexing
            return False


# The responder drops root before it indexes the recordings, and modules it imports only
# then (dbm.dumb for the index, the Latin-1 codec for its files) may sit where ``nobody``
# cannot read (a Python under /root): import them while still root.
_RESPONDER = (
    "import dbm.dumb, encodings.latin_1, sys;"
    " from snmpsim.commands.responder import main; sys.exit(main())"
)


def _responder() -> list[str]:
    if importlib.util.find_spec("snmpsim") is None:
        _missing("snmpsim is not installed (pip install -e '.[test]')")
    return [sys.executable, "-c", _RESPONDER]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(names: Iterable[str]) -> Iterator[Simulator]:
    """Serve recordings ``names`` on 127.0.0.1 until the block ends."""
    program = _responder()
    sources = {name: recording(name) for name in names}
    root = Path(tempfile.mkdtemp(prefix="dutydesk-snmpsim-"))
    try:
        data, cache = root / "data", root / "cache"
        data.mkdir()
        cache.mkdir()
        communities: dict[str, str] = {}
        for name, source in sources.items():
            community = name.replace("/", "-")
            target = data / f"{community}.snmprec"
            raw = source.read_bytes()
            target.write_bytes(bz2.decompress(raw) if source.suffix == ".bz2" else raw)
            target.chmod(0o644)
            communities[name] = community
        for folder in (root, data):
            folder.chmod(0o755)
        cache.chmod(0o777)
        port = _free_udp_port()
        command = [
            *program,
            f"--data-dir={data}",
            f"--cache-dir={cache}",
            f"--agent-udpv4-endpoint=127.0.0.1:{port}",
            "--logging-method=stderr",
            "--log-level=error",
        ]
        if os.geteuid() == 0:
            command += ["--process-user=nobody", "--process-group=nogroup"]
        log = root / "responder.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, port, next(iter(communities.values())), log)
            yield Simulator(port, communities)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(process: subprocess.Popen[bytes], port: int, community: str, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"snmpsim exited with {process.returncode}:\n{log.read_text()}")
        if _answers(port, community):
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)  # the pause between polls ends early if it dies
    pytest.fail(f"snmpsim did not answer within {START_DEADLINE}s:\n{log.read_text()}")

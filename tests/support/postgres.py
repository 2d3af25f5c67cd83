"""A private PostgreSQL for the tests: Debian's postgresql 15 (``initdb`` + ``pg_ctl``) in a
temporary folder, on a free 127.0.0.1 port, as a non-root user, stopped at the end.

- ``postgres_server`` (session) starts it the first time a test asks for it. Under root the
  server binaries run as a dedicated system user (``dutydesk-pg``, created when missing,
  else ``nobody``) through ``runuser``, and the data folder belongs to that user; otherwise
  they run as the current user. Only loopback TCP is open (no Unix socket), with ``trust``
  for 127.0.0.1/32 and nothing else in pg_hba.conf.
- ``pg_dsn`` is a fresh database on it per test (dropped afterwards).
- ``any_store`` is the ``store`` fixture over both backends: ``sqlite`` and ``postgresql``.

When the binaries are missing the PostgreSQL-parametrized tests *fail* naming the package
to install (``make test`` installs it as root): CI must run them, never skip them quietly.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("DUTYDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVICE_USER = "dutydesk-pg"
SUPERUSER = "postgres"
START_DEADLINE = 30.0  # seconds; a busy 2-core machine
_counter = itertools.count(1)


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    folder: Path

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _service_user() -> str | None:
    """The user the server runs as: None for the current (non-root) user."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        pwd.getpwnam(SERVICE_USER)
        return SERVICE_USER
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    made = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        capture_output=True,
        check=False,
    )
    with contextlib.suppress(KeyError):
        pwd.getpwnam(SERVICE_USER)  # made now, or by a parallel run
        return SERVICE_USER
    if made.returncode != 0:
        return "nobody"
    return SERVICE_USER


def _as(user: str | None, argv: list[str]) -> list[str]:
    return argv if user is None else ["runuser", "-u", user, "--", *argv]


def _run(user: str | None, argv: list[str], what: str) -> None:
    done = subprocess.run(_as(user, argv), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr or done.stdout}")


def missing_binaries() -> str | None:
    for name in ("initdb", "pg_ctl", "postgres", "psql"):
        if not (PG_BIN / name).is_file():
            return (
                f"PostgreSQL 15 is not installed ({PG_BIN / name} is missing): install Debian's"
                " `postgresql` package (`make test` does it as root) or set DUTYDESK_PG_BIN;"
                " the PostgreSQL store tests must run, they are not skipped"
            )
    return None


@contextlib.contextmanager
def private_postgres() -> Iterator[PgServer]:
    problem = missing_binaries()
    if problem:
        raise RuntimeError(problem)
    user = _service_user()
    folder = Path(tempfile.mkdtemp(prefix="dutydesk-pg-"))
    data, log = folder / "data", folder / "server.log"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    pg_ctl = str(PG_BIN / "pg_ctl")
    reaper: subprocess.Popen[bytes] | None = None
    try:
        _run(
            user,
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=reject",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )
        hba = data / "pg_hba.conf"  # tests only: trust on loopback TCP, nothing else
        hba.write_text("host all all 127.0.0.1/32 trust\n", encoding="utf-8")
        if user is not None:
            os.chown(hba, entry.pw_uid, entry.pw_gid)
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories=''"
            " -c fsync=off -c full_page_writes=off -c max_connections=100"
        )
        _run(
            user,
            [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
            "pg_ctl start",
        )
        server = PgServer("127.0.0.1", port, folder)
        reaper = _reaper(user, pg_ctl, data, folder)
        _wait_ready(server, log)
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as(user, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)
        if reaper is not None:
            reaper.stdin.close()  # type: ignore[union-attr]  # nothing left for it to do
            reaper.wait()


def _wait_ready(server: PgServer, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((server.host, server.port), timeout=1),
        ):
            return
        time.sleep(0.1)
    text = log.read_text(errors="replace") if log.exists() else ""
    raise RuntimeError(f"PostgreSQL did not come up on {server.port}: {text[-2000:]}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    problem = missing_binaries()
    if problem:
        pytest.fail(problem, pytrace=False)
    with private_postgres() as server:
        yield server


def _psql(server: PgServer, sql: str) -> None:
    argv = [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", server.dsn(), "-c", sql]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"psql {sql!r} failed: {done.stderr}")


@pytest.fixture
def pg_dsn(postgres_server: PgServer) -> Iterator[str]:
    """A fresh, empty database on the private server for one test."""
    name = f"t{os.getpid()}_{next(_counter)}"
    _psql(postgres_server, f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    yield postgres_server.dsn(name)
    _psql(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What ``open_store`` opens for this backend: a file path or a fresh database's DSN."""
    if backend == "sqlite":
        return str(tmp_path / "data" / "dutydesk.db")
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture
async def any_store(store_target: str, tmp_path: Path) -> AsyncIterator[object]:
    """The ``store`` fixture over both backends (``data.stores.open_store``)."""
    from data.stores import open_store

    opened = await open_store(store_target, key_dir=tmp_path / "keys")
    yield opened
    await opened.close()


# Stops the server and removes its folder when the test process dies without its teardown
# (killed, or a crash): it waits for the end of the pipe the test process holds open.
_REAPER = """
import os, shutil, subprocess, sys
argv, data, folder = sys.argv[1:-2], sys.argv[-2], sys.argv[-1]
sys.stdin.buffer.read()
if os.path.exists(os.path.join(data, "postmaster.pid")):
    subprocess.run(argv, capture_output=True, check=False)
shutil.rmtree(folder, ignore_errors=True)
"""


def _reaper(user: str | None, pg_ctl: str, data: Path, folder: Path) -> subprocess.Popen[bytes]:
    stop = _as(user, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
    return subprocess.Popen(
        [sys.executable, "-c", _REAPER, *stop, str(data), str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C to the test run's process group is not its end
    )

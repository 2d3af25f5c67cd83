"""The watch as a service on PostgreSQL: the SQLite tests' helpers (test_watch_service.py)
over a database of the private server. Two ``dutydesk serve`` and two attached consoles
(two Pilot apps in one process) record every transition once, both consoles show it, and
an acknowledgement at one shows on the other within a second; a crash of the server under
a recording serve (``pg_ctl stop -m immediate``, then start) loses nothing committed, and
the serve reconnects and records on."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import asyncpg
import pytest

from checks.result import DeviceState
from console.app import AppConfig, DutyDeskApp, create_app
from console.live_state import LiveState
from data.config import load_site
from data.pg_store import PgStore
from tests.interop import test_watch_service as on_sqlite
from tests.interop.test_pg_reconnect import crash, start
from tests.interop.test_watch_service import Serve, running
from tests.support.console import watch_text
from tests.support.loopback_port import LoopbackPort
from tests.support.postgres import PgServer, private_postgres
from tests.support.seed import ACCOUNTS

pytestmark = pytest.mark.usefixtures("fast_scrypt")
port = on_sqlite.port  # the SQLite tests' fixtures: the same site and loopback port
site_file = on_sqlite.site_file


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The PostgreSQL store's key files (audit, fields): one folder for this process and
    the serves it starts (``XDG_DATA_HOME``)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    return tmp_path / "share" / "dutydesk" / "postgresql"


async def seed(dsn: str, keys: Path) -> None:
    from data.accounts import Accounts
    from data.audit import AuditTrail

    store = await PgStore.open(dsn, key_dir=keys)
    try:
        accounts = Accounts(cast(Any, store), AuditTrail(cast(Any, store), terminal="test"))
        admin_pw, _, admin_name = ACCOUNTS["admin"]
        admin = await accounts.bootstrap_admin("admin", admin_pw, admin_name)
        for name, (password, role, full_name) in ACCOUNTS.items():
            if name != "admin":
                await accounts.add(admin, name, password, role, full_name, must_change=False)
    finally:
        await store.close()


@contextmanager
def serving(site: Path, dsn: str, log: Path) -> Iterator[Serve]:
    serve = Serve(site, cast(Path, dsn), log)  # Serve passes the DSN through as text
    try:
        yield serve
    finally:
        serve.stop(9 if serve.process.poll() is None else 15)


async def rows(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def holder_pid(dsn: str) -> int | None:
    found = await rows(dsn, "SELECT pid FROM watch_lease WHERE released_at IS NULL")
    return int(found[0]["pid"]) if found else None


async def transitions(dsn: str) -> list[tuple[str, str]]:
    found = await rows(
        dsn, "SELECT from_state, to_state FROM check_transitions WHERE hard = 1 ORDER BY id"
    )
    return [(r["from_state"], r["to_state"]) for r in found]


async def until(condition: Callable[[], Any], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            if await condition():
                return
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the server is away
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.1)


async def test_two_serves_and_two_consoles_on_postgresql_record_every_transition_once(
    site_file: Path, pg_dsn: str, keys: Path, port: LoopbackPort, tmp_path: Path
) -> None:
    """Two attached consoles at once (two Pilot apps in this process, nested ``run_test``):
    both show the device going down and up; an acknowledgement written at one (its desk's
    alarm book) shows on the other within a second."""
    await seed(pg_dsn, keys)
    site = load_site(site_file)
    with (
        serving(site_file, pg_dsn, tmp_path / "a.log") as first,
        serving(site_file, pg_dsn, tmp_path / "b.log") as second,
    ):
        pids = {first.pid: first, second.pid: second}

        async def held() -> bool:
            return await holder_pid(pg_dsn) in pids

        await until(held, 30, "a watch")
        holder = pids[cast(int, await holder_pid(pg_dsn))]
        standby = second if holder is first else first
        await until(lambda: _true("standing by" in standby.text()), 30, "the other stands by")

        async def recorded() -> bool:
            return bool(await rows(pg_dsn, "SELECT 1 FROM check_latest"))

        await until(recorded, 30, "the first result recorded")
        one = create_app(AppConfig(site=site, db_path=pg_dsn, terminal="test:one"))
        other = create_app(AppConfig(site=site, db_path=pg_dsn, terminal="test:other"))
        async with running(one), running(other):
            states = []
            for app in (one, other):
                assert app.live is not None and not app.live.active  # attached, both
                assert app.live_state is not None
                states.append(app.live_state)

            async def attached() -> bool:
                return len(await rows(pg_dsn, "SELECT id FROM watch_consoles")) == 2

            await until(attached, 5, "both consoles beat in watch_consoles")

            def everywhere(state: DeviceState) -> Callable[[], Any]:
                return lambda: _true(all(s.device_states.get("web-1") is state for s in states))

            for cycle in range(2):
                port.close()
                await until(everywhere(DeviceState.CRITICAL), 15, "both show the device down")
                if cycle == 0:
                    await acknowledged_at_one_shows_on_the_other(one, other)
                port.open()
                await until(everywhere(DeviceState.UP), 15, "both show the device up")
            assert "serve" in watch_text(one) and "serve" in watch_text(other)
        assert await holder_pid(pg_dsn) == holder.pid and holder.process.poll() is None
        assert standby.process.poll() is None
    recorded_rows = await transitions(pg_dsn)
    changes = [(a, b) for a, b in recorded_rows if a != "UNKNOWN"]
    assert changes == [("OK", "CRITICAL"), ("CRITICAL", "OK")] * 2  # each once, in order
    for (_, to_state), (from_state, _) in itertools.pairwise(recorded_rows):
        assert from_state == to_state  # one chain: no transition recorded twice
    acks = await rows(pg_dsn, "SELECT 1 FROM audit WHERE action = 'alarm.ack'")
    assert len(acks) == 1


async def acknowledged_at_one_shows_on_the_other(one: DutyDeskApp, other: DutyDeskApp) -> None:
    """The serve's alarm reaches both consoles; ``one`` acknowledges it through its desk's
    alarm book (what its dialog calls), ``other`` shows the acknowledgement within 1 s."""
    key = ("web-1", "http")
    mine, theirs = cast(LiveState, one.live_state), cast(LiveState, other.live_state)
    await until(lambda: _true(key in mine.alarms and key in theirs.alarms), 15, "the alarm")
    assert theirs.alarms[key].ack_by is None
    operator = await one.desk.accounts.authenticate("zhangsan", ACCOUNTS["zhangsan"][0])
    started = time.monotonic()
    await one.desk.alarms.acknowledge(operator, [mine.alarms[key].id], "looking at it")
    while theirs.alarms[key].ack_by != "zhangsan":
        assert time.monotonic() - started < 1.0, "the acknowledgement not shown within 1 s"
        await asyncio.sleep(0.01)


@pytest.fixture
def server() -> Iterator[PgServer]:
    with private_postgres() as started:
        yield started


async def test_a_server_crash_under_a_recording_serve_loses_nothing_committed(
    site_file: Path, server: PgServer, keys: Path, port: LoopbackPort, tmp_path: Path
) -> None:
    dsn = server.dsn()
    await seed(dsn, keys)
    with serving(site_file, dsn, tmp_path / "a.log") as serve:

        async def watching() -> bool:
            return await holder_pid(dsn) == serve.pid

        await until(watching, 30, "the serve watches")
        port.close()
        await until(lambda: _has(dsn, ("OK", "CRITICAL")), 15, "the first transition")
        port.open()
        await asyncio.sleep(0.3)  # the serve is writing the next one when the server dies
        committed = await transitions(dsn)
        await asyncio.to_thread(crash, server)
        await asyncio.sleep(2.0)  # the serve's writes fail meanwhile (the port is open now)
        await asyncio.to_thread(start, server)
        await until(lambda: _has(dsn, ("CRITICAL", "OK")), 30, "the recovery recorded")
        port.close()
        after = await transitions(dsn)
        await until(
            lambda: _count(dsn, ("OK", "CRITICAL"), 2), 30, "a transition after the restart"
        )
        assert serve.process.poll() is None  # it rode the crash out
        assert "cannot be reached" in serve.text()  # its writes failed meanwhile
        assert await holder_pid(dsn) == serve.pid
    final = await transitions(dsn)
    assert final[: len(committed)] == committed  # nothing committed lost
    assert final[: len(after)] == after
    changes = [(a, b) for a, b in final if a != "UNKNOWN"]
    assert changes == [("OK", "CRITICAL"), ("CRITICAL", "OK"), ("OK", "CRITICAL")]


async def _true(value: bool) -> bool:
    return value


async def _has(dsn: str, change: tuple[str, str]) -> bool:
    return change in await transitions(dsn)


async def _count(dsn: str, change: tuple[str, str], n: int) -> bool:
    return (await transitions(dsn)).count(change) >= n

"""The watch as a service (issue 13), with real processes: ``dutydesk serve`` twice and
consoles on one SQLite store. Devices are TCP checks on a loopback port the test opens
and closes, so every transition is the test's doing and can be counted."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from checks.result import DeviceState
from console.app import AppConfig, DutyDeskApp, create_app
from data.config import load_site
from data.desk import open_desk
from data.models import Site
from tests.support.console import wait_until, watch_text
from tests.support.loopback_port import LoopbackPort

HEARTBEAT = 0.5
FAILOVER = 3.0
SITE = """\
site:
  name: watch test room
  timezone: Asia/Shanghai
  language: en
  shifts:
    - {{name: day, start: "08:30", end: "17:30"}}
    - {{name: night, start: "17:30", end: "08:30"}}
zones:
  - {{id: core, name: Core}}
watch: {{heartbeat_seconds: {heartbeat}, failover_seconds: {failover}}}
devices:
  - id: web-1
    name: Web 1
    kind: server
    zone: core
    host: 127.0.0.1
    checks:
      - {{id: http, type: tcp, port: {port}, interval: {interval}, retry_interval: 0.3,
         max_attempts: 1, timeout: 1}}
"""


@pytest.fixture
def port() -> Iterator[LoopbackPort]:
    opened = LoopbackPort()
    opened.open()
    yield opened
    opened.close()


@pytest.fixture
def site_file(tmp_path: Path, port: LoopbackPort) -> Path:
    path = tmp_path / "site.yaml"
    text = SITE.format(heartbeat=HEARTBEAT, failover=FAILOVER, port=port.number, interval=0.3)
    path.write_text(text, encoding="utf-8")
    return path


class Serve:
    """One ``dutydesk serve`` process; its stderr goes to a file the test can read."""

    def __init__(self, site: Path, db: Path, log: Path) -> None:
        self.log = log
        env = os.environ | {"XDG_STATE_HOME": str(log.parent / "state"), "LANG": "en_US.UTF-8"}
        with log.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "console", "--site", str(site), "--db", str(db), "serve"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=30)


@contextmanager
def serving(site: Path, db: Path, name: str) -> Iterator[Serve]:
    serve = Serve(site, db, db.parent / f"{name}.log")
    try:
        yield serve
    finally:
        serve.stop(signal.SIGKILL if serve.process.poll() is None else signal.SIGTERM)


def lease(db: Path) -> dict[str, Any] | None:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM watch_lease").fetchone()
    return dict(row) if row is not None else None


def results(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM check_latest").fetchone()[0])


def transitions(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT from_state, to_state FROM check_transitions WHERE hard = 1 ORDER BY id"
        ).fetchall()
    return [(a, b) for a, b in rows]


def poll(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Wait (polling, with a deadline) until ``condition()`` is true; the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


async def apoll(condition: Callable[[], object], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def held_by(db: Path, serve: Serve) -> bool:
    row = lease(db)
    return row is not None and row["pid"] == serve.pid and row["released_at"] is None


def console(site: Site, db: Path) -> DutyDeskApp:
    return create_app(AppConfig(site=site, db_path=db, terminal="test"))


@asynccontextmanager
async def running(app: DutyDeskApp) -> AsyncIterator[Any]:
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.live is not None, timeout=20)
        yield pilot


async def test_two_serves_and_a_console_record_every_transition_once(
    site_file: Path, seeded_db: Path, port: LoopbackPort
) -> None:
    site = load_site(site_file)
    with serving(site_file, seeded_db, "a") as first, serving(site_file, seeded_db, "b") as second:
        poll(lambda: held_by(seeded_db, first) or held_by(seeded_db, second), 30, "a watch")
        holder, standby = (first, second) if held_by(seeded_db, first) else (second, first)
        poll(lambda: "standing by" in standby.text(), 30, "the other serve stands by")
        poll(lambda: results(seeded_db), 30, "the first result recorded")
        app = console(site, seeded_db)
        async with running(app) as pilot:
            assert app.live is not None and not app.live.active  # attached, not polling
            assert app.live.runtime is None
            state = app.live_state
            assert state is not None
            for _ in range(2):
                port.close()
                await apoll(
                    lambda: state.device_states.get("web-1") is DeviceState.CRITICAL,
                    15,
                    "the console shows the device down",
                )
                port.open()
                await apoll(
                    lambda: state.device_states.get("web-1") is DeviceState.UP,
                    15,
                    "the console shows the device up",
                )
            assert "serve" in watch_text(app)  # the header names the watch
            await pilot.press("ctrl+q")
        assert held_by(seeded_db, holder) and holder.process.poll() is None
        assert standby.process.poll() is None
    recorded = transitions(seeded_db)
    changes = [(a, b) for a, b in recorded if a != "UNKNOWN"]
    assert changes == [("OK", "CRITICAL"), ("CRITICAL", "OK")] * 2  # each once, in order
    for (_, to_state), (from_state, _) in itertools.pairwise(recorded):
        assert from_state == to_state  # one chain: no transition recorded twice


async def test_kill_9_of_the_holder_hands_the_watch_to_the_standby_and_reports_the_gap(
    site_file: Path, seeded_db: Path
) -> None:
    site = load_site(site_file)
    with serving(site_file, seeded_db, "a") as first:
        poll(lambda: held_by(seeded_db, first), 30, "the first serve watches")
        poll(lambda: results(seeded_db), 30, "the first result recorded")
        with serving(site_file, seeded_db, "b") as second:
            poll(lambda: "standing by" in second.text(), 30, "the second serve stands by")
            first.stop(signal.SIGKILL)
            took = poll(lambda: held_by(seeded_db, second), FAILOVER + 5, "the standby takes over")
            assert took <= FAILOVER + 5
            poll(lambda: results(seeded_db), 30, "the new watch records")
            assert second.stop() == 0  # SIGTERM: a clean stop
    desk = await open_desk(site, seeded_db)
    try:
        end = desk.clock()
        outages = await desk.watch.outages(end.replace(year=2000), end)
        assert len(outages) == 1 and outages[0].reason == "stale"
        assert outages[0].seconds >= FAILOVER - HEARTBEAT
        start = outages[0].started_at.replace(microsecond=0)
        availability = await desk.checks.availability("web-1", "http", start, end)
        assert availability.unmonitored >= outages[0].seconds - 1  # not counted as OK
        report = await desk.reports.monthly((start, end))  # and so in the monthly report
        (device,) = report.devices
        assert device.checks[0].unmonitored >= outages[0].seconds - 1
        actions = [row.action for row in await desk.audit.query(limit=100)]
        assert "watch.takeover" in actions and "watch.released" in actions
    finally:
        await desk.close()


def test_status_json_names_the_watch(
    site_file: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from console.cli import main

    def status() -> tuple[int, dict[str, Any]]:
        code = main(["--site", str(site_file), "--db", str(seeded_db), "status", "--json"])
        return code, json.loads(capsys.readouterr().out)

    code, report = status()
    assert code == 1 and report["watch"]["state"] == "none"
    with serving(site_file, seeded_db, "a") as serve:
        poll(lambda: held_by(seeded_db, serve), 30, "the serve watches")
        code, report = status()
        watch = report["watch"]
        assert code == 0
        assert {
            "holder",
            "host",
            "pid",
            "kind",
            "heartbeat_age_s",
            "state",
            "last_sweep",
            "checks_per_minute",
            "dropped",
            "unknown_traps",
        } <= watch.keys()
        assert (watch["pid"], watch["kind"], watch["state"]) == (serve.pid, "serve", "active")
        assert watch["heartbeat_age_s"] < FAILOVER
        assert report["store"]["path"] == str(seeded_db)
        assert serve.stop() == 0
    code, report = status()
    assert code == 1 and report["watch"]["state"] == "stale"


async def test_quitting_the_console_that_watches_hands_it_to_a_waiting_serve(
    site_file: Path, seeded_db: Path
) -> None:
    site = load_site(site_file)
    app = console(site, seeded_db)
    with contextlib.ExitStack() as stack:
        async with running(app) as pilot:
            assert app.live is not None and app.live.active  # no watch ran: the console is it
            serve = stack.enter_context(serving(site_file, seeded_db, "a"))  # started after
            await apoll(lambda: "standing by" in serve.text(), 30, "the serve stands by")
            await pilot.press("ctrl+q")
        # a serve waiting takes a released lease at its next try (each second)
        await apoll(lambda: held_by(seeded_db, serve), FAILOVER - 1, "the serve takes over")
        desk = await open_desk(site, seeded_db)
        try:
            end = desk.clock()
            assert await desk.watch.outages(end.replace(year=2000), end) == []
        finally:
            await desk.close()


async def test_an_ack_at_one_console_shows_on_another(site_file: Path, seeded_db: Path) -> None:
    """Console A (here its desk: another connection, as another process) acknowledges;
    console B shows it within a second."""
    site = load_site(site_file)
    desk = await open_desk(site, seeded_db)
    try:
        alarm = await desk.alarms.raise_or_update(
            "web-1", "http", "CRITICAL", "down", desk.clock(), attempts=1
        )
        assert alarm is not None
        app = console(site, seeded_db)
        async with running(app) as pilot:
            state = app.live_state
            assert state is not None
            await wait_until(pilot, lambda: ("web-1", "http") in state.alarms, timeout=5)
            operator = await desk.accounts.authenticate("zhangsan", "Duty#2026a")
            started = time.monotonic()
            await desk.alarms.acknowledge(operator, [alarm.id], "looking at it")
            await wait_until(
                pilot, lambda: state.alarms[("web-1", "http")].ack_by == "zhangsan", timeout=5
            )
            assert time.monotonic() - started < 1.0
    finally:
        await desk.close()


async def test_a_restart_at_an_attached_console_has_the_watch_check_again_at_once(
    tmp_path: Path, seeded_db: Path, port: LoopbackPort
) -> None:
    """Checks every hour: only the console's request makes the serve see the port closed."""
    site_file = tmp_path / "hourly.yaml"
    text = SITE.format(heartbeat=HEARTBEAT, failover=FAILOVER, port=port.number, interval=3600)
    site_file.write_text(text, encoding="utf-8")
    site = load_site(site_file)
    with serving(site_file, seeded_db, "a") as serve:
        poll(lambda: held_by(seeded_db, serve), 30, "the serve watches")
        poll(lambda: results(seeded_db), 30, "the first result recorded")
        port.close()
        desk = await open_desk(site, seeded_db)
        try:
            await desk.watch.request_recheck("web-1")  # what action.py does when attached
        finally:
            await desk.close()
        poll(lambda: ("OK", "CRITICAL") in transitions(seeded_db), 10, "checked again")

"""The wall screen on the live state: tiles appear, filters parse, changes redraw."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from checks.feed import CheckSnapshot, DeviceStateChanged, ResultEvent
from checks.result import CheckState, DeviceState, ProbeResult
from console.live_state import LiveState
from console.screens.wall.screen import parse_filter
from data.records.checks.batch import CheckBatch
from data.records.checks.book import CheckRecords
from data.records.checks.model import TransitionRow
from data.store import Store
from tests.support.console import (
    ACCOUNTS,
    FIXED_NOW,
    log_in,
    make_app,
    minimal_site,
    post_events,
    result_event,
    wait_until,
)
from widgets.tile_wall import TileWall


def test_filter_words_become_states_zone_kind_and_text() -> None:
    f = parse_filter("crit WARN zone:extranet kind:switch 核心 交换机")
    assert f.states == frozenset({"CRITICAL", "WARNING"})
    assert f.zone == "extranet" and f.kinds == frozenset({"switch"})
    assert f.text == "核心 交换机"
    assert parse_filter("").text == "" and parse_filter("").states == frozenset()


async def test_wall_shows_every_device_and_redraws_a_changed_one(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        wall = app.screen.query_one(TileWall)
        layout = wall.layout_info
        assert layout is not None
        assert set(layout.places) == {"core-sw-1", "ups-1", "app-1"}
        misses = wall.strip_misses
        post_events(app, result_event("core-sw-1", "ping", "CRITICAL", message="refused"))
        await wait_until(pilot, lambda: "✖1" in app.screen.query_one("DutyHeader").status)  # type: ignore[attr-defined]
        assert app.live_state is not None
        assert app.live_state.tile("core-sw-1", app.config.clock()).state == "CRITICAL"
        # the repaint follows the bookkeeping: wait for it, then count what was rendered
        await wait_until(pilot, lambda: wall.strip_misses > misses)
        await pilot.pause()
        # only the changed tile was rendered again (3 lines of one tile), not the wall
        assert wall.strip_misses - misses <= 3


async def test_filter_key_narrows_the_wall(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await pilot.press("slash", *"UPS", "enter")
        wall = app.screen.query_one(TileWall)
        await wait_until(
            pilot,
            lambda: wall.layout_info is not None and set(wall.layout_info.places) == {"ups-1"},
        )
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: wall.layout_info is not None and len(wall.layout_info.places) == 3
        )


def snapshot(device: str, check: str, state: CheckState, at: dt.datetime, **more: Any) -> Any:
    ok_so_far = CheckSnapshot(
        device_id=device,
        check_id=check,
        state=state,
        hard=True,
        attempt=0,
        max_attempts=3,
        pending=False,
        stale=False,
        flapping=False,
        flap_percent=0.0,
        alarm=None,
        message="",
        value=None,
        unit=None,
        last_run=at,
        last_change=None,
        next_run=at,
    )
    return replace(ok_so_far, **more)


def result(device: str, check: str, state: CheckState, at: dt.datetime, **more: Any) -> Any:
    snap = snapshot(device, check, state, at, **more)
    return ResultEvent(device, check, ProbeResult(state, ""), snap, at)


def test_a_tiles_age_is_how_long_the_device_has_been_in_its_state() -> None:
    """Results every minute do not reset it (it read "0s" almost always); a change does."""
    live = LiveState(minimal_site("en"))
    went_down = FIXED_NOW - dt.timedelta(minutes=42)
    down = DeviceStateChanged("core-sw-1", DeviceState.UP, DeviceState.CRITICAL, went_down)
    live.apply(down, None)
    for minute in range(41, -1, -1):  # the check keeps failing, one result a minute
        at = FIXED_NOW - dt.timedelta(minutes=minute)
        live.apply(result("core-sw-1", "ping", CheckState.CRITICAL, at), None)
    assert live.tile("core-sw-1", FIXED_NOW).age_s == 42 * 60

    recovered = FIXED_NOW - dt.timedelta(seconds=95)
    up = DeviceStateChanged("core-sw-1", DeviceState.CRITICAL, DeviceState.UP, recovered)
    live.apply(up, None)
    live.apply(result("core-sw-1", "ping", CheckState.OK, FIXED_NOW), None)
    assert live.tile("core-sw-1", FIXED_NOW).age_s == 95


def test_a_tiles_age_after_a_start_comes_from_the_stored_changes() -> None:
    """The stored change holds when the first result finds the state it changed to; a
    state the console finds different is new (it changed while nobody watched)."""
    live = LiveState(minimal_site("en"))
    went_ok, went_down = FIXED_NOW - dt.timedelta(hours=5), FIXED_NOW - dt.timedelta(hours=2)
    pending = {"ups-1": DeviceState.UNKNOWN, "core-sw-1": DeviceState.UNKNOWN}
    stored = {"ups-1": (went_ok, "OK"), "core-sw-1": (went_down, "CRITICAL")}
    live.load({}, pending, [], changed_at=stored)
    assert live.tile("ups-1", FIXED_NOW).age_s == 5 * 3600
    first = FIXED_NOW - dt.timedelta(seconds=30)  # the first results after the start
    for device in ("ups-1", "core-sw-1"):
        live.apply(DeviceStateChanged(device, DeviceState.UNKNOWN, DeviceState.UP, first), None)
    assert live.tile("ups-1", FIXED_NOW).age_s == 5 * 3600
    assert live.tile("core-sw-1", FIXED_NOW).age_s == 30
    # a device never seen changing: in its state since the console first saw it
    live.apply(result("app-1", "web", CheckState.OK, FIXED_NOW - dt.timedelta(minutes=3)), None)
    assert live.tile("app-1", FIXED_NOW).age_s == 3 * 60


def test_an_uptime_tile_reads_as_a_duration() -> None:
    live = LiveState(minimal_site("en"))
    live.apply(result("ups-1", "ups", CheckState.OK, FIXED_NOW, value=0.0047, unit="d"), None)
    assert live.tile("ups-1", FIXED_NOW).key_value == "ups 6m 46s"


async def test_after_a_start_the_tiles_age_from_the_last_stored_change(seeded_db: Path) -> None:
    store = await Store.open(seeded_db)
    try:
        batch = CheckBatch()
        changed = FIXED_NOW - dt.timedelta(hours=5)
        batch.add_transition(TransitionRow("ups-1", "ups", changed, "CRITICAL", "OK", True))
        batch.add_transition(  # a soft change is not a change of the device's state
            TransitionRow("ups-1", "ups", FIXED_NOW - dt.timedelta(hours=1), "OK", "WARNING", False)
        )
        await CheckRecords(store).persist(batch)
    finally:
        await store.close()
    app = make_app(seeded_db, language="en", start_checks=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        live = app.live_state
        assert live is not None
        assert live.tile("ups-1", FIXED_NOW).age_s == 5 * 3600
        post_events(app, result_event("ups-1", "ups", "OK"))  # the first result: still OK
        await wait_until(pilot, lambda: live.tile("ups-1", FIXED_NOW).state == "OK")
        assert live.tile("ups-1", FIXED_NOW).age_s == 5 * 3600

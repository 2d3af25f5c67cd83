"""The wall screen on the live state: tiles appear, filters parse, changes redraw."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.screens.wall import parse_filter
from tests.console_support import (
    ACCOUNTS,
    log_in,
    make_app,
    post_events,
    result_event,
    seed_accounts,
    wait_until,
)
from widgets.tile_wall import TileWall


def test_filter_words_become_states_zone_kind_and_text() -> None:
    f = parse_filter("crit WARN zone:extranet kind:switch 核心 交换机")
    assert f.states == frozenset({"CRITICAL", "WARNING"})
    assert f.zone == "extranet" and f.kinds == frozenset({"switch"})
    assert f.text == "核心 交换机"
    assert parse_filter("").text == "" and parse_filter("").states == frozenset()


@pytest.fixture
async def seeded_db(tmp_path: Path, fast_scrypt: None) -> Path:
    path = tmp_path / "wall.db"
    await seed_accounts(path)
    return path


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

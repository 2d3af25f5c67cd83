"""The console's own timers: the 1 s header tick and the batched live flush.

Textual closes every screen stack before the App's message pump stops, so both timers can
fire on an empty stack at exit (seen as a ScreenStackError on quit and in the suite about
one run in ten on a loaded machine). And the tick must not show counts in the header that
the wall has not drawn yet: header and tiles change together, in the flush."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.console import (
    ACCOUNTS,
    log_in,
    make_app,
    post_events,
    result_event,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("fast_scrypt")


async def test_timers_firing_after_the_screens_closed_do_nothing(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await app._close_all()  # what App._shutdown does first on quit
        assert app.shown_screen() is None
        await app._tick()  # the 1 s header tick and idle-lock check
        app._flush_live()  # the batched redraw after a check event
        await app.action_lock()


async def test_the_tick_shows_only_counts_the_wall_has_drawn(
    seeded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    monkeypatch.setattr(app, "LIVE_FLUSH_DELAY", 3600)  # the flush runs when the test says
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        post_events(app, result_event("core-sw-1", "ping", "CRITICAL", message="refused"))
        await wait_until(pilot, lambda: app._flush_armed)  # applied, not drawn yet
        assert app.live_state is not None and app.live_state.counts()["CRITICAL"] == 1
        header = app.screen.query_one("DutyHeader")
        await app._tick()
        assert "✖1" not in header.status  # type: ignore[attr-defined]
        app._flush_live()
        assert "✖1" in header.status  # type: ignore[attr-defined]

"""The console's own timers outlive its screens at exit and must not crash it then.

Textual closes every screen stack before the App's message pump stops, so the header tick
and the live-state flush can fire on an empty stack (seen as a ScreenStackError on quit and
in the suite about one run in ten on a loaded machine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console_support import ACCOUNTS, log_in, make_app, seed_accounts, wait_until

pytestmark = pytest.mark.usefixtures("fast_scrypt")


async def test_timers_firing_after_the_screens_closed_do_nothing(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    await seed_accounts(db)
    app = make_app(db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await app._close_all()  # what App._shutdown does first on quit
        assert app.shown_screen() is None
        await app._tick()  # the 1 s header tick and idle-lock check
        app._flush_live()  # the batched redraw after a check event
        await app.action_lock()

"""Pilot test of the handover notes editor: written notes are continued where they end."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea

from tests.support.console import FIXED_NOW, make_app, open_section, seed_accounts, wait_until

pytestmark = pytest.mark.usefixtures("fast_scrypt")


async def test_the_notes_editor_opens_with_the_cursor_after_the_notes(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    await seed_accounts(db)
    app = make_app(db, language="en", run_checks=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_section(pilot, "3", "handover")
        assert app.user is not None
        book = app.desk.handovers
        watch = await book.open_shift(app.user)
        await book.set_notes(app.user, watch.id, "UPS-1 fan noisy.\nVendor called")
        await app.screen.reload()  # type: ignore[attr-defined]
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen.id == "handover-notes")
        editor = app.screen.query_one(TextArea)
        await wait_until(pilot, lambda: editor.has_focus)
        await pilot.press(*", ticket 4711")
        assert editor.text == "UPS-1 fan noisy.\nVendor called, ticket 4711"

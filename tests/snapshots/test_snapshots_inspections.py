"""Snapshot tests (pytest-textual-snapshot) of the inspections section and the checklist
form, both languages, on a fixed clock.

Before the console starts, today's daily round is submitted with a flagged reading and the
monthly inspection is left as a draft; the form snapshot shows a new round with live
values pre-filled, an out-of-range one flagged, and the items a refused submit marked.
Update the SVGs after an intended change with --snapshot-update and look at
snapshot_report.html.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from console.screens.inspections.form import InspectionFormScreen
from data.accounts import Accounts
from data.audit import AuditTrail
from data.desk import site_checklists
from data.records.inspections.book import InspectionBook
from data.store import Store
from tests.support.console import ACCOUNTS, FIXED_NOW, wait_until
from tests.support.inspections import (
    inspection_app,
    inspection_site,
    open_section,
    seed_live_values,
)
from tests.support.seed import seeded_with
from widgets.checklist_form import ChecklistForm

pytestmark = seeded_with(seed_live_values)

LANGUAGES = ["zh_CN", "en"]


async def seed_records(db_path: Path, folder: Path) -> None:
    """Today's round submitted (the UPS failed, with a note) and a monthly draft."""
    site = inspection_site(folder)
    store = await Store.open(db_path)
    try:
        audit = AuditTrail(store, terminal="test")
        accounts = Accounts(store, audit)
        book = InspectionBook(
            store, audit, accounts, site, site_checklists(site), lambda: FIXED_NOW
        )
        user = await accounts.authenticate("zhangsan", ACCOUNTS["zhangsan"][0])
        daily = await book.start(user, "daily-room")
        answers = {
            "temp-a": 22.5,
            "rh-a": 45.0,
            "water": "pass",
            "ups": "fail",
            "gas": 2.5,
            "fire-panel": "正常",
        }
        for item_id, value in answers.items():
            note = "UPS-1 告警：电池自检失败" if item_id == "ups" else ""
            await book.save_answer(user, daily, item_id, value, note)
        await book.submit(user, daily, ACCOUNTS["zhangsan"][0])
        monthly = await book.start(user, "monthly-system")
        await book.save_answer(user, monthly, "logs", "pass")
    finally:
        await store.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_inspections_list(
    snap_compare: Callable[..., bool], seeded_db: Path, tmp_path: Path, language: str
) -> None:
    asyncio.run(seed_records(seeded_db, tmp_path))
    app = inspection_app(seeded_db, tmp_path, language)

    async def on_list(pilot: Pilot[Any]) -> None:
        await open_section(pilot)
        records = pilot.app.screen.query_one("#inspections-records", DataTable)
        await wait_until(pilot, lambda: records.row_count == 1)

    assert snap_compare(app, terminal_size=(130, 18), run_before=on_list)


@pytest.mark.parametrize("language", LANGUAGES)
def test_checklist_form(
    snap_compare: Callable[..., bool], seeded_db: Path, tmp_path: Path, language: str
) -> None:
    app = inspection_app(seeded_db, tmp_path, language)

    async def on_form(pilot: Pilot[Any]) -> None:
        await open_section(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, InspectionFormScreen))
        form = pilot.app.screen.query_one(ChecklistForm)
        await pilot.press("ctrl+s")  # refused: the unanswered items get marked
        await wait_until(pilot, lambda: bool(form.missing))
        await pilot.press("f", "n", *"wet NE corner", "enter")  # water: fail, with a note
        await wait_until(pilot, lambda: form.answers["water"].note == "wet NE corner")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 30), run_before=on_form)

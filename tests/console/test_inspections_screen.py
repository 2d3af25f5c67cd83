"""Pilot tests of the inspections section: the daily round filled in by keyboard with live
readings pre-filled, an override and an out-of-range reading that needs a note, submit
refused (a required item empty, a wrong password), the draft kept across a restart,
export, and ``i`` on a flagged item."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from console.app import DutyDeskApp
from console.screens.inspections import form as inspection_form
from console.screens.inspections.dialogs import SignDialog
from console.screens.inspections.form import InspectionFormScreen
from console.screens.inspections.screen import InspectionsScreen
from data.accounts import Accounts
from data.audit import AuditTrail
from data.clock import ManualClock
from data.desk import site_checklists
from data.records.inspections.book import InspectionBook
from data.records.inspections.model import Inspection, inspection_from_rows
from data.store import Store
from tests.support.console import ACCOUNTS, FIXED_NOW, audit_actions, wait_until
from tests.support.inspections import (
    inspection_app,
    inspection_site,
    open_section,
    seed_live_values,
)
from tests.support.seed import seeded_with
from widgets.checklist_form import ChecklistForm

pytestmark = [pytest.mark.usefixtures("fast_scrypt"), seeded_with(seed_live_values)]
PASSWORD = ACCOUNTS["zhangsan"][0]


async def stored(db: Path, inspection_id: int = 1) -> Inspection:
    store = await Store.open(db)
    try:
        row = await store.fetchone("SELECT * FROM inspections WHERE id = ?", (inspection_id,))
        answers = await store.fetchall(
            "SELECT * FROM inspection_answers WHERE inspection_id = ?", (inspection_id,)
        )
        assert row is not None
        return inspection_from_rows(row, answers)
    finally:
        await store.close()


def form_of(app: DutyDeskApp) -> ChecklistForm:
    return app.screen.query_one(ChecklistForm)


def table(app: DutyDeskApp, name: str) -> DataTable[Any]:
    return app.screen.query_one(f"#inspections-{name}", DataTable)


async def open_daily_round(pilot: Pilot[int]) -> ChecklistForm:
    await open_section(pilot)
    await pilot.press("n")  # the cursor starts on the daily round
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, InspectionFormScreen))
    return pilot.app.screen.query_one(ChecklistForm)


async def answered(pilot: Pilot[int], form: ChecklistForm, item_id: str, value: str) -> None:
    """Wait until the screen has stored the answer and handed it back to the form."""
    await wait_until(pilot, lambda: form.answers[item_id].value == value)
    await pilot.pause()


async def test_fill_and_submit_the_daily_round_with_live_values(
    seeded_db: Path, tmp_path: Path
) -> None:
    app = inspection_app(seeded_db, tmp_path, language="en")
    async with app.run_test(size=(130, 36)) as pilot:
        form = await open_daily_round(pilot)
        temp, humidity, ups = form.answers["temp-a"], form.answers["rh-a"], form.answers["ups"]
        assert temp.prefilled and temp.value == "23.4" and temp.live_at == "09:58"
        assert humidity.prefilled and humidity.flagged  # 65 %RH is outside 40..60
        assert ups.value == "pass" and ups.prefilled  # the check's OK state passes it
        row = str(form.query_one("#item-0").render())
        assert "⟲" in row and "live 09:58" in row

        await pilot.press("ctrl+s")  # water, gas and fire-panel are still unanswered
        await wait_until(pilot, lambda: form.missing == {"water", "gas", "fire-panel"})
        assert not isinstance(app.screen, SignDialog)
        assert form.item.id == "water" and "3 required item(s)" in str(
            form.query_one("#checklist-status").render()
        )

        await pilot.press("space")  # water: pass
        await answered(pilot, form, "water", "pass")
        await pilot.press("down", "down", "2", ".", "5", "enter")  # gas 2.5 MPa
        await answered(pilot, form, "gas", "2.5")
        await pilot.press("down", "right")  # fire panel: the first choice
        await answered(pilot, form, "fire-panel", "正常")
        form.select(0)
        await pilot.press("2", "4", "enter")  # the operator reads 24 °C: an override
        await answered(pilot, form, "temp-a", "24.0")
        assert form.answers["temp-a"].overridden and not form.answers["temp-a"].prefilled

        await pilot.press("ctrl+s")  # the out-of-range humidity has no note yet
        await wait_until(pilot, lambda: form.missing == {"rh-a"})
        assert form.item.id == "rh-a" and "⚑" in str(form.query_one("#item-1").render())
        await pilot.press("n", *"humidifier broken", "enter")
        await wait_until(pilot, lambda: form.answers["rh-a"].note == "humidifier broken")

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SignDialog))
        dialog = app.screen
        assert isinstance(dialog, SignDialog)
        await pilot.press(*"not-my-password", "enter")
        await wait_until(pilot, lambda: "Wrong" in dialog.error)
        assert app.screen is dialog
        assert (await stored(seeded_db)).seal is None  # a wrong password seals nothing

        await pilot.press(*PASSWORD, "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InspectionFormScreen))
        await wait_until(pilot, lambda: form.read_only)
        result = str(app.screen.query_one("#inspection-result").render())
        assert "1 problem(s)" in result and "humidifier broken" in result
        assert form.item.id == "rh-a"  # the cursor waits on the problem

    record = await stored(seeded_db)
    assert record.sealed and record.period == "2026-11-27" and record.inspector == "zhangsan"
    assert record.answers["temp-a"].prefilled_value == "23.4"
    assert record.answers["temp-a"].overridden and record.value("temp-a") == "24.0"
    assert record.answers["rh-a"].prefilled and record.answers["rh-a"].flagged
    assert [f.item_id for f in record.flagged()] == ["rh-a"]
    actions = await audit_actions(seeded_db)
    assert ("zhangsan", "inspection.override", "ok") in actions
    assert ("zhangsan", "inspection.sign", "failed") in actions
    assert ("zhangsan", "inspection.seal", "ok") in actions


async def test_a_draft_survives_closing_the_console(seeded_db: Path, tmp_path: Path) -> None:
    first = inspection_app(seeded_db, tmp_path)
    async with first.run_test(size=(130, 36)) as pilot:
        form = await open_daily_round(pilot)
        form.select(2)
        await pilot.press("f")  # water: fail, flagged
        await answered(pilot, form, "water", "fail")
        await pilot.press("n", *"east corner wet", "enter")
        await wait_until(pilot, lambda: form.answers["water"].note == "east corner wet")
        await pilot.press("down", "down", "2", ".", "6")
        await pilot.press("down")  # moving away saves the typed reading
        await answered(pilot, form, "gas", "2.6")

    second = inspection_app(seeded_db, tmp_path)
    async with second.run_test(size=(130, 36)) as pilot:
        await open_section(pilot)
        drafts = str(table(second, "due").get_row_at(0)[4])
        assert "#1" in drafts
        await pilot.press("n")  # continues the draft instead of starting another
        await wait_until(pilot, lambda: isinstance(second.screen, InspectionFormScreen))
        form = form_of(second)
        assert isinstance(second.screen, InspectionFormScreen) and second.screen.record.id == 1
        assert form.answers["water"].value == "fail" and form.answers["water"].flagged
        assert form.answers["water"].note == "east corner wet"
        assert form.answers["gas"].value == "2.6" and form.answers["temp-a"].prefilled


async def test_export_and_an_incident_from_a_flagged_item(
    seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = inspection_app(seeded_db, tmp_path)
    opened: list[str] = []
    monkeypatch.setattr(  # the form's hook into the incidents section
        inspection_form, "open_incident", lambda ctx, app, device_id: opened.append(device_id)
    )
    async with app.run_test(size=(130, 36)) as pilot:
        form = await open_daily_round(pilot)
        form.select(1)
        await pilot.press("n", *"dry season", "enter")
        await wait_until(pilot, lambda: form.answers["rh-a"].note == "dry season")
        form.select(2)
        await pilot.press("p", "down", "f")  # water passes, the UPS fails
        await answered(pilot, form, "ups", "fail")
        await pilot.press("n", *"on battery", "enter")
        await wait_until(pilot, lambda: form.answers["ups"].note == "on battery")
        await pilot.press("down", "2", ".", "4", "enter", "down", "1")
        await answered(pilot, form, "fire-panel", "正常")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SignDialog))
        await pilot.press(*PASSWORD, "enter")
        await wait_until(pilot, lambda: form.read_only)
        assert form.item.id == "rh-a"
        await pilot.press("i")  # the humidity sensor's incident
        form.select(3)
        await pilot.press("i")  # the UPS's incident
        await wait_until(pilot, lambda: opened == ["th-a", "ups-1"])

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "section-inspections")
        records = table(app, "records")
        await wait_until(pilot, lambda: records.row_count == 1)
        state = str(table(app, "due").get_row_at(0)[3])
        assert "#1" in state
        await pilot.press("tab", "e")
        screen = app.screen
        assert isinstance(screen, InspectionsScreen)
        await wait_until(pilot, lambda: bool(screen.exported), timeout=30)
        folder = seeded_db.parent / "exports"
        files = [
            folder / "inspection-1-daily-room-2026-11-27.md",
            folder / "inspection-1-daily-room-2026-11-27.pdf",
        ]
        assert screen.exported == files
    markdown = files[0].read_text(encoding="utf-8")
    assert "机房日常巡检" in markdown and "dry season" in markdown and "on battery" in markdown
    assert files[1].read_bytes().startswith(b"%PDF")
    assert ("zhangsan", "inspection.export", "ok") in await audit_actions(seeded_db)


async def seed_submitted(db: Path, folder: Path) -> None:
    """Yesterday's monthly inspection (#1) and today's daily round (#2), both submitted."""
    site = inspection_site(folder)
    daily = {
        "temp-a": 22.5,
        "rh-a": 45.0,
        "water": "pass",
        "ups": "pass",
        "gas": 2.5,
        "fire-panel": "正常",
    }
    store = await Store.open(db)
    try:
        audit = AuditTrail(store, terminal="test")
        accounts = Accounts(store, audit)
        user = await accounts.authenticate("zhangsan", PASSWORD)
        for at, template, answers in (
            (
                FIXED_NOW - dt.timedelta(days=1),
                "monthly-system",
                {"app-web": "pass", "logs": "pass"},
            ),
            (FIXED_NOW, "daily-room", daily),
        ):
            clock = ManualClock(at)
            book = InspectionBook(store, audit, accounts, site, site_checklists(site), clock)
            record = await book.start(user, template)
            for item_id, value in answers.items():
                await book.save_answer(user, record, item_id, value)
            await book.submit(user, record, PASSWORD)
    finally:
        await store.close()


async def test_export_takes_the_record_highlighted_in_the_records_list(
    seeded_db: Path, tmp_path: Path
) -> None:
    """Whichever list has the focus: moving along the templates highlights the record that
    completed one, and ``e`` exports the record highlighted below."""
    await seed_submitted(seeded_db, tmp_path)
    app = inspection_app(seeded_db, tmp_path, language="en")
    async with app.run_test(size=(130, 36)) as pilot:
        await open_section(pilot)
        screen = app.screen
        assert isinstance(screen, InspectionsScreen)
        records = table(app, "records")
        await wait_until(pilot, lambda: records.row_count == 2)

        async def exported() -> str:
            screen.exported = []
            await pilot.press("e")
            await wait_until(pilot, lambda: bool(screen.exported), timeout=30)
            return screen.exported[0].name

        await pilot.press("tab", "down", "shift+tab")  # #1 highlighted, back on the templates
        assert screen.focused is table(app, "due")
        assert await exported() == "inspection-1-monthly-system-2026-11.md"
        await pilot.press("down", "up")  # onto the daily round again: its record, #2
        await wait_until(pilot, lambda: records.cursor_row == 0)
        assert await exported() == "inspection-2-daily-room-2026-11-27.md"


async def test_history_lists_older_records_and_opens_them_read_only(
    seeded_db: Path, tmp_path: Path
) -> None:
    ten_days_ago = FIXED_NOW - dt.timedelta(days=10)
    site = inspection_site(tmp_path)
    store = await Store.open(seeded_db)
    try:
        audit = AuditTrail(store, terminal="test")
        accounts = Accounts(store, audit)
        book = InspectionBook(
            store, audit, accounts, site, site_checklists(site), lambda: ten_days_ago
        )
        user = await accounts.authenticate("wangwu", ACCOUNTS["wangwu"][0])
        old = await book.start(user, "monthly-system")
        for item_id in ("app-web", "logs"):
            await book.save_answer(user, old, item_id, "pass")
        await book.submit(user, old, ACCOUNTS["wangwu"][0])
    finally:
        await store.close()

    app = inspection_app(seeded_db, tmp_path, language="en")
    async with app.run_test(size=(130, 36)) as pilot:
        await open_section(pilot)
        records = table(app, "records")
        await wait_until(pilot, lambda: "last 7 days: 0" in heading(app))
        await pilot.press("h")
        await wait_until(pilot, lambda: records.row_count == 1)
        assert "last 366 days: 1" in heading(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InspectionFormScreen))
        form = form_of(app)
        assert form.read_only and form.answers["logs"].value == "pass"
        assert "sealed" in str(app.screen.query_one("#inspection-title").render())
        await pilot.press("space")  # a sealed record takes no answer
        await pilot.pause()
        assert (await stored(seeded_db)).value("logs") == "pass"


def heading(app: DutyDeskApp) -> str:
    return str(app.screen.query_one("#inspections-records-heading").render())

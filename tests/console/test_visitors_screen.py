"""Pilot tests of the access and visitors screen: a visitor's entry typed by keyboard, the
live ID check and refusals that keep what was typed, the escort rule, an exit with an item
missing, the supervisor-only reveal, the shift-end flag, staff entry and search.

The app runs on a real store (and a real key file beside it) in tmp_path; the rules are
data/'s, so these tests check what the screen shows of them and what the audit trail holds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from console.app import DutyDeskApp
from console.dialogs.confirm import ConfirmDialog
from console.screens.visitors.details import RecordDetails
from console.screens.visitors.dialogs import ExitDialog, StaffEntryDialog, VisitorEntryDialog
from data.idnumbers import check_character
from data.records.visitors.model import Item, VisitorEntry
from tests.support.console import ACCOUNTS, FIXED_NOW, log_in, make_app, wait_until
from widgets.record_form import RecordForm

pytestmark = pytest.mark.usefixtures("fast_scrypt")


def resident_id(sequence: int = 123, born: str = "19880715", region: str = "450103") -> str:
    """A real-format resident ID number: region, birth date, sequence and its check digit."""
    first17 = f"{region}{born}{sequence:03d}"
    return first17 + check_character(first17)


ID_NUMBER = resident_id()
MASKED = ID_NUMBER[:6] + "********" + ID_NUMBER[14:]
WRONG_CHECK = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")


async def open_visitors(pilot: Pilot[int], user: str = "zhangsan") -> None:
    await log_in(pilot, user, ACCOUNTS[user][0])
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
    await pilot.press("4")
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-visitors")


async def open_entry_form(pilot: Pilot[int]) -> RecordForm:
    """On the visitors section: open the visitor entry dialog and return its form."""
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, VisitorEntryDialog))
    return pilot.app.screen.query_one(RecordForm)


async def seed_visitor(
    app: DutyDeskApp,
    name: str = "Li Lei",
    sequence: int = 123,
    badge: str = "V-01",
    items: tuple[Item, ...] = (),
) -> int:
    assert app.user is not None
    entry = VisitorEntry(
        name,
        "resident_id",
        resident_id(sequence),
        "Nanning Telecom",
        "13877123456",
        "replace a line card",
        app.user.name,  # the one registering may escort: on duty at the desk
        badge,
        items_in=items,
    )
    return await app.desk.visitors.enter_visitor(app.user, entry)


def rows(app: DutyDeskApp, table: str) -> list[list[str]]:
    found: DataTable[Text] = app.screen.query_one(f"#visitors-{table}", DataTable)
    return [[str(cell) for cell in found.get_row_at(i)] for i in range(found.row_count)]


def note(app: DutyDeskApp) -> str:
    return str(app.screen.query_one("#visitors-note", Static).render())


async def reload(pilot: Pilot[int]) -> None:
    await pilot.app.screen.reload()  # type: ignore[attr-defined]


async def type_into(pilot: Pilot[int], form: RecordForm, widget_id: str, text: str) -> None:
    form.query_one(f"#{widget_id}").focus()
    await pilot.press(*text)


async def fill_visitor(pilot: Pilot[int], form: RecordForm, id_number: str) -> None:
    """Every field of the entry form but the escort, by keyboard."""
    await pilot.press(*"Li Lei", "enter", "tab")  # name; enter moves on; tab past the type
    await pilot.press(*id_number, "enter")
    await pilot.press(*"Nanning Telecom", "enter")
    await pilot.press(*"138-7712-3456", "enter")
    await pilot.press(*"replace a line card", "enter")
    await type_into(pilot, form, "field-badge", "V-01")
    await pilot.press("enter", *"A03, core-sw-1", "enter")
    await type_into(pilot, form, "row1-description", "Laptop")
    await pilot.press("tab", *"SN-1")
    await pilot.press("ctrl+n", *"patch cable", "tab", "tab", "backspace", "3")


async def test_visitor_entry_by_keyboard_shows_the_masked_id_and_the_room_count(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        form = await open_entry_form(pilot)
        await fill_visitor(pilot, form, ID_NUMBER.lower())  # a lower-case x is fine too
        assert form.error("id_number") == ""
        form.query_one("#field-escort", Select).focus()
        await pilot.press("enter", "down", "down", "enter")  # blank, wangwu, zhangsan
        assert form.values()["escort"] == "zhangsan"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.id == "section-visitors")
        await wait_until(pilot, lambda: len(rows(app, "inside")) == 1)

        inside = rows(app, "inside")[0]
        assert inside[:5] == ["Li Lei", "visitor", "Nanning Telecom", "zhangsan", "V-01"]
        assert inside[5] == "10:00" and inside[6] == MASKED
        assert rows(app, "records")[0][-2] == MASKED
        header = app.screen.query_one("DutyHeader")
        await wait_until(pilot, lambda: "In the room: 1" in header.status)  # type: ignore[attr-defined]
        await pilot.press("enter")  # details of the selected person: still masked
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDetails))
        details = str(app.screen.query_one("#details-text", Static).render())
        assert MASKED in details and ID_NUMBER not in details
        assert "Laptop (SN-1) ×1; patch cable ×3" in details and "A03, core-sw-1" in details
        assert "138****3456" in details

        assert app.user is not None
        [record] = await app.desk.visitors.search(app.user, name="Li Lei")
        assert record.items_in == (Item("Laptop", "SN-1"), Item("patch cable", None, 3))
        assert record.escort == "zhangsan" and record.work_on == ("A03", "core-sw-1")


async def test_a_wrong_check_digit_shows_while_typing_and_is_refused_keeping_the_values(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        form = await open_entry_form(pilot)
        await type_into(pilot, form, "field-id_number", WRONG_CHECK[:17])
        assert form.error("id_number") == ""  # 17 digits: still typing, nothing to say
        await pilot.press(WRONG_CHECK[17])
        assert "check digit does not match" in form.error("id_number")
        form.query_one("#field-id_number").value = ""  # type: ignore[attr-defined]
        form.query_one("#field-name").focus()
        await fill_visitor(pilot, form, WRONG_CHECK)
        form.query_one("#field-escort", Select).value = "zhangsan"
        typed = form.values()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error("id_number") != "")
        assert isinstance(app.screen, VisitorEntryDialog)  # refused: the dialog stays
        assert "check digit does not match" in form.error("id_number")
        assert form.values() == typed and typed["id_number"] == WRONG_CHECK
        assert len(form.rows("items")) == 2
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")  # discard what was typed
        await wait_until(pilot, lambda: app.screen.id == "section-visitors")
        assert await app.desk.visitors.inside_now() == []


async def test_a_visitor_without_an_escort_is_refused(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="zh_CN", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        form = await open_entry_form(pilot)
        await fill_visitor(pilot, form, ID_NUMBER)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error("escort") != "")
        assert "陪同" in form.error("escort")  # translated: 访客必须有陪同人…
        assert form.values()["name"] == "Li Lei" and form.values()["id_number"] == ID_NUMBER
        assert await app.desk.visitors.inside_now() == []


async def test_every_problem_of_an_entry_shows_at_once_with_the_first_bad_field_focused(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        form = await open_entry_form(pilot)
        await type_into(pilot, form, "field-id_number", ID_NUMBER)
        await type_into(pilot, form, "field-phone", "1234")  # too short for the live check
        await type_into(pilot, form, "row1-count", "x")
        form.query_one("#field-purpose").focus()
        await pilot.press("ctrl+s")  # no name, a bad phone, no escort, a bad count
        await wait_until(pilot, lambda: form.error("name") != "")
        for field in ("phone", "escort", "items"):
            assert form.error(field) != "", field
        assert form.error("id_number") == "" and form.error("") == ""
        assert app.screen.focused is form.query_one("#field-name")
        assert await app.desk.visitors.inside_now() == []


async def test_escape_asks_before_a_filled_entry_form_is_discarded(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, VisitorEntryDialog))
        await pilot.press("escape")  # nothing typed yet: closes at once
        await wait_until(pilot, lambda: app.screen.id == "section-visitors")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, VisitorEntryDialog))
        dialog = app.screen
        await pilot.press(*"Li Lei", "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # no: back to the form, nothing lost
        await wait_until(pilot, lambda: app.screen is dialog)
        assert dialog.query_one(RecordForm).values()["name"] == "Li Lei"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")  # yes, discard it
        await wait_until(pilot, lambda: app.screen.id == "section-visitors")


async def test_an_exit_with_an_item_missing_is_flagged(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        items = (Item("Laptop", "SN-1"), Item("patch cable", None, 3))
        record_id = await seed_visitor(app, items=items)
        await reload(pilot)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ExitDialog))
        form = app.screen.query_one(RecordForm)
        assert form.rows("items") == [  # carried out starts as carried in
            {"description": "Laptop", "serial": "SN-1", "count": "1"},
            {"description": "patch cable", "serial": "", "count": "3"},
        ]
        form.query_one("#row1-description").focus()
        await pilot.press("ctrl+r")  # the laptop stays in the room
        await type_into(pilot, form, "field-note", "laptop left for the vendor")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.id == "section-visitors")
        await wait_until(pilot, lambda: "Laptop (SN-1) ×1" in note(app))
        assert "carried in but not out: Laptop (SN-1) ×1; out but not in: -" in note(app)
        await wait_until(pilot, lambda: rows(app, "inside") == [])
        assert rows(app, "records")[0][-1] == "⚠ items differ"
        entries = await app.desk.audit.query(action="access.exit")
        assert [(e.object, e.outcome) for e in entries] == [(f"access:{record_id}", "flagged")]


async def test_reveal_is_refused_for_an_operator(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot, "zhangsan")
        record_id = await seed_visitor(app)
        await reload(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: "may not see full ID numbers" in note(app))
        assert app.screen.id == "section-visitors"
        assert ID_NUMBER not in note(app)
        entries = await app.desk.audit.query(action="access.reveal")
        assert [(e.user, e.object, e.outcome) for e in entries] == [
            ("zhangsan", f"access:{record_id}", "denied")
        ]


async def test_reveal_shows_a_supervisor_the_full_number_only_in_the_dialog(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot, "wangwu")
        await seed_visitor(app)
        await reload(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDetails))
        details = str(app.screen.query_one("#details-text", Static).render())
        assert ID_NUMBER in details and "audit trail" in details
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "section-visitors")
        assert rows(app, "inside")[0][6] == MASKED
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDetails))
        details = str(app.screen.query_one("#details-text", Static).render())
        assert ID_NUMBER not in details and MASKED in details
        entries = await app.desk.audit.query(action="access.reveal")
        assert [(e.user, e.outcome) for e in entries] == [("wangwu", "ok")]


async def test_visitors_still_inside_near_the_end_of_the_shift_are_flagged(
    seeded_db: Path,
) -> None:
    near_end = dt.datetime(2026, 11, 27, 9, 10, tzinfo=dt.UTC)  # 17:10, 白班 ends 17:30
    app = make_app(seeded_db, language="en", run_checks=False, clock=lambda: near_end)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        await seed_visitor(app)
        await pilot.press("s")  # and a member of staff, by keyboard
        await wait_until(pilot, lambda: isinstance(app.screen, StaffEntryDialog))
        await pilot.press(*"wangwu", "enter", *"S-07", "enter", *"UPS check", "ctrl+s")
        await wait_until(pilot, lambda: len(rows(app, "inside")) == 2)
        visitor, staff = rows(app, "inside")
        assert visitor[0] == "Li Lei" and visitor[-1] == "⚑ inside at shift end 17:30"
        assert staff[:2] == ["wangwu", "staff"] and staff[4] == "S-07" and staff[-1] == ""
        title = str(app.screen.query_one("#visitors-inside-title", Static).render())
        assert title == "In the room now: 2 · 1 visitor(s) still inside, shift ends 17:30"


async def test_no_flag_earlier_in_the_shift_and_search_by_badge(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_visitors(pilot)
        await seed_visitor(app, "Li Lei", 123, "V-01")
        await seed_visitor(app, "Han Meimei", 124, "V-02")
        await reload(pilot)
        assert [row[-1] for row in rows(app, "inside")] == ["", ""]  # FIXED_NOW is 10:00
        assert FIXED_NOW.hour == 2
        await pilot.press("slash")
        form_badge = app.screen.query_one("#visitors-q-badge")
        form_badge.focus()
        await pilot.press(*"V-02", "enter")
        await wait_until(pilot, lambda: [r[0] for r in rows(app, "records")] == ["Han Meimei"])
        title = str(app.screen.query_one("#visitors-records-title", Static).render())
        assert title == "Search results: 1"
        await pilot.press("/")
        await type_into_screen(pilot, app, "visitors-q-from", "27.11.2026")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "YYYY-MM-DD" in note(app))
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(rows(app, "records")) == 2)
        assert len(rows(app, "inside")) == 2


async def type_into_screen(pilot: Pilot[int], app: DutyDeskApp, widget_id: str, text: str) -> None:
    app.screen.query_one(f"#{widget_id}").focus()
    await pilot.press(*text)

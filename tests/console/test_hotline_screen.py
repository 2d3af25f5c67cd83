"""Pilot tests of the hotline section (key 9): a call logged by keyboard shows masked, a
refused call keeps what was typed, the call becomes an incident in one key and a second
call is linked to it, and once the incident is closed the follow-up is due (listed and in
the header) and recorded; the supervisor-only reveal; the screen at 80x24 in Chinese.

The app runs on a real store (and a real key file beside it) in tmp_path; the rules are
data/'s, so these tests check what the screen shows of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from console.app import DutyDeskApp
from console.screens.hotline.dialogs import (
    CallDialog,
    CallIncidentDialog,
    FollowUpDialog,
    LinkDialog,
)
from tests.support.console import ACCOUNTS, log_in, make_app, wait_until
from tests.support.incidents import OPERATOR, header
from widgets.record_form import RecordForm

pytestmark = pytest.mark.usefixtures("fast_scrypt")


async def open_hotline(pilot: Pilot[int], user: str = "zhangsan") -> None:
    await log_in(pilot, user, ACCOUNTS[user][0])
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
    await pilot.press("9")
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-hotline")


def rows(app: DutyDeskApp, table: str) -> list[list[str]]:
    found: DataTable[Text] = app.screen.query_one(f"#hotline-{table}", DataTable)
    return [[str(cell) for cell in found.get_row_at(i)] for i in range(found.row_count)]


async def log_a_call(pilot: Pilot[int], phone: str = "138-7712-3456") -> RecordForm:
    """On the hotline section: n, then every field typed with Enter between them."""
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CallDialog))
    form = pilot.app.screen.query_one(RecordForm)
    await pilot.press(*"Chen Xiuying", "enter", *"HR bureau", "enter", *phone, "enter")
    await pilot.press(*"pension site times out", "enter", *"cleared the cache")
    await pilot.press("ctrl+s")
    return form


async def test_a_call_logged_by_keyboard_becomes_an_incident_then_is_followed_up(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_hotline(pilot)
        await log_a_call(pilot)
        await wait_until(pilot, lambda: app.screen.id == "section-hotline")
        await wait_until(pilot, lambda: len(rows(app, "calls")) == 1)
        [call] = rows(app, "calls")
        assert call == ["10:00", "Chen Xiuying", "HR bureau", "138****3456", call[4], ""]
        assert call[4] == "pension site times out"

        await pilot.press("i")  # one key: the incident is titled by the call's topic
        await wait_until(pilot, lambda: isinstance(app.screen, CallIncidentDialog))
        form = app.screen.query_one(RecordForm)
        assert form.values()["title"] == "pension site times out"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.id == "section-hotline")
        await wait_until(pilot, lambda: rows(app, "calls")[0][-1].startswith("#"))
        incident_id = int(rows(app, "calls")[0][-1][1:])
        incident = await app.desk.incidents.get(incident_id)
        assert (incident.caller, incident.phone) == ("Chen Xiuying", "138****3456")

        await log_a_call(pilot)  # the same fault, another caller: linked to the incident
        await wait_until(pilot, lambda: len(rows(app, "calls")) == 2)
        app.screen.query_one("#hotline-calls").focus()
        await pilot.press("up")  # the newest call, on top
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LinkDialog))
        assert app.screen.query_one(RecordForm).values()["incident"] == str(incident_id)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.id == "section-hotline")
        await wait_until(pilot, lambda: rows(app, "calls")[0][-1] == f"#{incident_id}")
        timeline = (await app.desk.incidents.get(incident_id)).timeline
        assert "pension site times out" in timeline[-1].text

        await app.desk.incidents.resolve(OPERATOR, incident_id, "session pool", "enlarged")
        await app.desk.incidents.close(OPERATOR, incident_id)
        await pilot.press("1", "9")  # back on the section: read again
        await wait_until(pilot, lambda: len(rows(app, "due")) == 1)
        assert rows(app, "due")[0][0] == f"#{incident_id}"
        await wait_until(pilot, lambda: "Follow-ups 1" in header(app))

        app.screen.query_one("#hotline-due").focus()
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FollowUpDialog))
        form = app.screen.query_one(RecordForm)
        assert form.values()["contact"] == "Chen Xiuying"
        form.query_one("#field-satisfaction", Select).value = "dissatisfied"
        await pilot.press("ctrl+s")  # refused: a dissatisfied caller's complaint is required
        await wait_until(pilot, lambda: form.error("remarks") != "")
        assert "write down why" in form.error("remarks")
        assert isinstance(app.screen, FollowUpDialog)
        form.query_one("#field-remarks").focus()
        await pilot.press(*"too slow", "ctrl+s")
        await wait_until(pilot, lambda: app.screen.id == "section-hotline")
        await wait_until(pilot, lambda: rows(app, "due") == [])
        await wait_until(pilot, lambda: "Follow-ups" not in header(app))
        assert app.user is not None
        [done] = await app.desk.hotline.followups(app.user)
        assert (done.satisfaction, done.remarks) == ("dissatisfied", "too slow")


async def test_a_refused_call_keeps_what_was_typed(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_hotline(pilot)
        form = await log_a_call(pilot, phone="12345678901")
        await wait_until(pilot, lambda: form.error("phone") != "")
        assert isinstance(app.screen, CallDialog)
        assert form.values()["caller"] == "Chen Xiuying"
        assert form.values()["phone"] == "12345678901"


async def test_only_a_supervisor_sees_the_whole_number(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_hotline(pilot)
        await log_a_call(pilot)
        await wait_until(pilot, lambda: len(rows(app, "calls")) == 1)
        await pilot.press("r")
        note = app.screen.query_one("#hotline-note", Static)
        await wait_until(pilot, lambda: "may not" in str(note.render()))
        assert "13877123456" not in str(note.render())
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_hotline(pilot, "wangwu")
        await wait_until(pilot, lambda: len(rows(app, "calls")) == 1)
        await pilot.press("r")
        note = app.screen.query_one("#hotline-note", Static)
        await wait_until(pilot, lambda: "13877123456" in str(note.render()))


async def test_the_section_fits_80_by_24_in_chinese(seeded_db: Path) -> None:
    app = make_app(seeded_db, run_checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_hotline(pilot)
        title = app.screen.query_one("#hotline-calls-title", Static)
        await wait_until(pilot, lambda: "今日来电：0 条" in str(title.render()))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, CallDialog))
        form = app.screen.query_one(RecordForm)
        submit = form.query_one("#form-submit")
        assert submit.region.bottom <= 24 and submit.region.right <= 80  # reachable on screen
        await pilot.press(*"chen", "enter", "enter", "enter", *"wifi", "ctrl+s")
        await wait_until(pilot, lambda: app.screen.id == "section-hotline")
        await wait_until(pilot, lambda: len(rows(app, "calls")) == 1)
        assert app.screen.query_one("#hotline-calls").region.bottom <= 24

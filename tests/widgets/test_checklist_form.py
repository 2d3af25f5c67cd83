"""The checklist form widget on its own, in a tiny app that records what it posts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Input

from data.checklists import Checklist
from data.i18n import set_language
from tests.support.console import wait_until
from widgets.checklist_form import ChecklistForm
from widgets.checklist_rows import ItemAnswer

CHECKLIST = Checklist.model_validate(
    {
        "id": "round",
        "name": "巡检",
        "schedule": "daily",
        "sections": [
            {
                "title": "Environment",
                "items": [
                    {
                        "id": "temp",
                        "text": "Row A inlet",
                        "kind": "reading",
                        "unit": "°C",
                        "range": "18..27",
                        "source": {"device": "th-a", "check": "temp"},
                        "guidance": "Cold aisle, GB 50174",
                    },
                    {
                        "id": "ups",
                        "text": "UPS normal",
                        "source": {"device": "ups-1", "check": "ups"},
                    },
                ],
            },
            {
                "title": "Room",
                "items": [
                    {
                        "id": "fire",
                        "text": "Fire panel",
                        "kind": "choice",
                        "choices": ["normal", "fault", "alarm"],
                    },
                    {"id": "water", "text": "No water leak"},
                    {"id": "notes", "text": "Other", "kind": "text", "required": False},
                ],
            },
        ],
    }
)
LIVE_TEMP = ItemAnswer("23.4", "", "23.4", "09:58")


class FormApp(App[int]):
    def __init__(self, answers: Mapping[str, ItemAnswer], read_only: bool = False) -> None:
        super().__init__()
        self.answers = answers
        self.read_only = read_only
        self.posted: list[Message] = []

    def compose(self) -> ComposeResult:
        yield ChecklistForm(CHECKLIST, self.answers, read_only=self.read_only)

    def on_mount(self) -> None:
        self.form.focus()

    @property
    def form(self) -> ChecklistForm:
        return self.query_one(ChecklistForm)

    def on_checklist_form_answer_changed(self, message: ChecklistForm.AnswerChanged) -> None:
        self.posted.append(message)

    def on_checklist_form_incident_requested(
        self, message: ChecklistForm.IncidentRequested
    ) -> None:
        self.posted.append(message)

    def saved(self) -> list[tuple[str, str | None, str]]:
        return [
            (m.item_id, m.value, m.note)
            for m in self.posted
            if isinstance(m, ChecklistForm.AnswerChanged)
        ]

    def row(self, position: int) -> str:
        return str(self.form.query_one(f"#item-{position}").render())

    def status(self) -> str:
        return str(self.form.query_one("#checklist-status").render())


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


async def test_a_live_value_is_marked_with_its_time_and_guidance_shows() -> None:
    app = FormApp({"temp": LIVE_TEMP})
    async with app.run_test(size=(120, 30)):
        assert "23.4 °C" in app.row(0) and "⟲ live 09:58" in app.row(0)
        guidance = str(app.form.query_one("#checklist-guidance").render())
        assert "Cold aisle" in guidance and "th-a / temp" in guidance and "18..27" in guidance
        assert "1/5 answered" in app.status() and "1 live" in app.status()


async def test_typing_a_reading_saves_it_and_flags_it_when_out_of_range() -> None:
    app = FormApp({"temp": LIVE_TEMP})
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2", "9")
        assert "29▏" in app.row(0) and app.saved() == []  # nothing saved while typing
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.saved() == [("temp", "29", "")])
        answer = app.form.answers["temp"]
        assert answer.flagged and answer.overridden and not answer.prefilled
        assert "⚑" in app.row(0) and "needs a note" in app.row(0)
        assert "changed (live 23.4 °C)" in app.row(0)


async def test_escape_drops_a_typed_reading_and_a_bad_number_is_refused() -> None:
    app = FormApp({})
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2", "escape")
        assert app.form.buffer is None and "—" in app.row(0)
        await pilot.press("-", "enter")
        assert "is not a number" in app.status() and app.form.buffer == "-"
        await pilot.press("backspace", "2", "0", "down")  # moving away saves it
        await wait_until(pilot, lambda: app.saved() == [("temp", "20", "")])
        assert app.form.item.id == "ups"


async def test_pass_fail_toggles_and_keys_set_it() -> None:
    app = FormApp({})
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("down", "space", "space", "enter", "f", "p")
        await wait_until(pilot, lambda: len(app.saved()) == 5)
        assert [value for _, value, _ in app.saved()] == ["pass", "fail", "pass", "fail", "pass"]
        await pilot.press("f")
        await wait_until(pilot, lambda: len(app.saved()) == 6)
        assert "✖ Fail" in app.row(1) and "⚑" in app.row(1)


async def test_choices_move_with_arrows_and_digits() -> None:
    app = FormApp({})
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("down", "down", "right", "right", "left", "left", "3")
        await wait_until(pilot, lambda: len(app.saved()) == 5)
        assert [v for _, v, _ in app.saved()] == ["normal", "fault", "normal", "alarm", "alarm"]
        assert "‹ alarm ›" in app.row(2)


async def test_notes_and_text_answers_use_the_text_field() -> None:
    app = FormApp({})
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("down", "down", "down", "f", "n")
        editor = app.form.query_one("#checklist-editor", Input)
        await wait_until(pilot, lambda: app.focused is editor)
        await pilot.press(*"wet floor", "enter")
        await wait_until(pilot, lambda: ("water", "fail", "wet floor") in app.saved())
        assert app.focused is app.form and "Note: wet floor" in app.row(3)
        await pilot.press("down", "enter", *"all fine", "enter")
        await wait_until(pilot, lambda: ("notes", "all fine", "") in app.saved())
        await pilot.press("n", *"dropped", "escape")  # escape leaves the note as it was
        assert app.focused is app.form and app.form.answers["notes"].note == ""
        await pilot.press("delete")
        await wait_until(pilot, lambda: ("notes", None, "") in app.saved())


async def test_i_asks_for_an_incident_only_on_a_flagged_item() -> None:
    app = FormApp({"ups": ItemAnswer("fail", "", None, "", False, True)})
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("i")  # the reading is not flagged
        assert "flagged item" in app.status() and app.posted == []
        await pilot.press("down", "i")
        await wait_until(pilot, lambda: len(app.posted) == 1)
        request = app.posted[0]
        assert isinstance(request, ChecklistForm.IncidentRequested)
        assert request.device_id == "ups-1" and request.item.id == "ups"


async def test_missing_items_are_marked_and_selected() -> None:
    app = FormApp({})
    async with app.run_test(size=(120, 30)) as pilot:
        app.form.mark_missing(["fire", "water"], "2 missing")
        await pilot.pause()
        assert app.form.item.id == "fire" and "*" in app.row(2) and "required" in app.row(2)
        assert "2 missing" in app.status()
        await pilot.press("1")
        await wait_until(pilot, lambda: len(app.saved()) == 1)
        app.form.set_answer("fire", ItemAnswer("normal"))
        assert "required" not in app.row(2) and app.form.missing == {"water"}


async def test_read_only_moves_but_never_answers() -> None:
    app = FormApp({"ups": ItemAnswer("fail", "on battery", None, "", False, True)}, True)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2", "enter", "down", "space", "p", "n", "delete")
        assert app.saved() == [] and app.form.item.id == "ups"
        assert "Keys:" not in str(app.form.query_one("#checklist-guidance").render())
        await pilot.press("i")  # a sealed record's problem still opens an incident
        await wait_until(pilot, lambda: len(app.posted) == 1)

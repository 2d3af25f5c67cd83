"""A record form whose save lost its COMMIT answer (a server store: ``fault.in_doubt``):
the dialog asks the store whether the save happened instead of leaving the operator to
guess. Saved: it closes as saved. Not saved: it says so and keeps what was typed, and
saving again is safe. The server still away: it says the change may have been saved.

The doubt is a stand-in for the store's (``InDoubtCommit``, a protocol); the store's own
settling is tested against a real server in tests/interop/test_pg_commit_in_doubt.py."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from console.dialogs.form import Choice, FormDialog
from data.store import DatabaseFault
from tests.support.console import wait_until
from widgets.record_form import FormField, RecordForm


class Doubt:
    def __init__(self, answer: bool | None) -> None:
        self.answer = answer  # None: the server does not answer yet

    async def committed(self) -> bool:
        if self.answer is None:
            raise DatabaseFault(
                "The database test cannot be reached: refused", code="db_unreachable"
            )
        return self.answer


def in_doubt(answer: bool | None) -> DatabaseFault:
    fault = DatabaseFault(
        "The database test stopped answering while a change was being saved",
        code="db_commit_unknown",
        path="test",
        detail="connection lost",
    )
    fault.in_doubt = Doubt(answer)
    return fault


class FormApp(App[None]):
    def __init__(self, answer: bool | None) -> None:
        super().__init__()
        self.answer = answer
        self.results: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Static("records")

    def on_mount(self) -> None:
        async def save(form: RecordForm) -> str:
            raise in_doubt(self.answer)

        dialog: FormDialog[str] = FormDialog(
            "call-dialog", "Call", [FormField("caller", "Caller")], Choice("Save", save)
        )
        self.push_screen(dialog, self.results.append)


def _form_error(app: FormApp) -> str:
    return str(app.screen.query_one("#form-error", Static).render())


async def test_a_save_that_committed_after_all_closes_as_saved() -> None:
    app = FormApp(answer=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "call-dialog")
        await pilot.press(*"王科长", "ctrl+s")
        await wait_until(pilot, lambda: app.screen.id != "call-dialog")
        assert app.results == [None]


async def test_a_save_that_did_not_commit_says_so_and_keeps_what_was_typed() -> None:
    app = FormApp(answer=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "call-dialog")
        await pilot.press(*"王科长", "ctrl+s")
        await wait_until(pilot, lambda: "nothing was saved" in _form_error(app))
        assert app.screen.id == "call-dialog"
        assert app.screen.query_one(RecordForm).values()["caller"] == "王科长"


async def test_a_save_still_in_doubt_says_it_may_have_been_saved() -> None:
    app = FormApp(answer=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "call-dialog")
        await pilot.press(*"王科长", "ctrl+s")
        await wait_until(pilot, lambda: "may have been saved" in _form_error(app))
        assert app.screen.query_one(RecordForm).values()["caller"] == "王科长"

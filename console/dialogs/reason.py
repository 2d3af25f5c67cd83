"""A reason (and, when asked, a number of minutes), then one call: withdrawing an
acknowledgement, muting the bell. A refusal is shown and the dialog stays open with what
was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from console.dialogs.base import Dialog
from data.errors import DutyDeskError
from data.i18n import explain, t

ReasonAction = Callable[[str, int], Awaitable[object]]


class ReasonDialog(Dialog[bool]):
    """Asks for a reason (and, with ``minutes``, a number of minutes), then runs ``action``
    with both; dismissed with True once it ran, False when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "dialog.cancel", id="dialog.cancel")]

    def __init__(self, title: str, action: ReasonAction, minutes: int | None = None) -> None:
        super().__init__(id="reason-dialog")
        self.title_text = title
        self.perform = action
        self.minutes = minutes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.minutes is not None:
                yield Label(t("reason.minutes"))
                yield Input(str(self.minutes), id="reason-minutes", type="integer")
            yield Label(t("reason.reason"))
            yield Input(id="reason-text")
            yield Static("", id="reason-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("reason.submit"), id="reason-submit", variant="primary")
                yield Button(t("dialog.cancel"), id="reason-cancel")

    def on_mount(self) -> None:
        self.query_one("#reason-text", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#reason-submit")
    async def submit(self) -> None:
        error = self.query_one("#reason-error", Static)
        minutes = 0
        if self.minutes is not None:
            try:
                minutes = int(self.query_one("#reason-minutes", Input).value)
            except ValueError:
                error.update(t("reason.bad_minutes"))
                return
        try:
            await self.perform(self.query_one("#reason-text", Input).value, minutes)
        except DutyDeskError as refused:
            error.update(explain(refused))
            return
        self.dismiss(True)

    @on(Button.Pressed, "#reason-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

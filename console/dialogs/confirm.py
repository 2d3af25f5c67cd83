"""A yes/no question before a step that cannot be taken back (e.g. refusing a handover).

The safe answer has the focus, so a stray Enter (a burst of keys, a key held down) goes
back instead of going ahead; going ahead takes its own button or ``y``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from console.dialogs.base import Dialog
from data.i18n import t


class ConfirmDialog(Dialog[bool]):
    BINDINGS = [
        Binding("escape", "answer(False)", "dialog.cancel", id="confirm.back"),
        Binding("y", "answer(True)", "confirm.yes_key", id="confirm.yes"),
    ]

    def __init__(self, question: str, yes: str) -> None:
        """``question`` says what happens; ``yes`` labels the button that does it."""
        super().__init__(id="confirm-dialog")
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (Y)", id="confirm-yes", variant="error")
                yield Button(t("confirm.back"), id="confirm-back", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-back", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

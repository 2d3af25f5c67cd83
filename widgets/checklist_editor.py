"""The text field under the checklist: a text item's answer, or any item's note.

Hidden until the form opens it; enter posts ``Done`` with the text, escape (handled by the
form) closes it without a change.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static


class ChecklistEditor(Vertical):
    DEFAULT_CSS = """
    ChecklistEditor { height: auto; padding: 0 1; }
    ChecklistEditor.-closed { display: none; }
    ChecklistEditor #checklist-editor-label { height: 1; }
    """

    class Done(Message):
        def __init__(self, what: str, text: str) -> None:
            super().__init__()
            self.what, self.text = what, text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-closed")
        self.what: str | None = None  # "text" or "note" while open

    def compose(self) -> ComposeResult:
        yield Static("", id="checklist-editor-label", markup=False)
        yield Input(id="checklist-editor", compact=True)

    @property
    def text(self) -> str:
        return self.query_one(Input).value.strip()

    def open(self, what: str, label: str, value: str) -> None:
        self.what = what
        self.query_one(Static).update(label)
        box = self.query_one(Input)
        box.value = value
        self.remove_class("-closed")
        box.focus()

    def close(self) -> None:
        self.what = None
        self.add_class("-closed")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.what is not None:
            self.post_message(self.Done(self.what, self.text))

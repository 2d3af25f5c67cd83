"""A form whose Tab, Shift+Tab and Enter take effect in the order the keys were typed.

Why: Textual's app forwards each key to the widget focused *when the app reads the key*,
into that widget's own queue. Tab (a screen binding) and Enter (an Input's own binding,
then a handler calling ``focus()``, which itself waits on the app's queue) only move the
focus once the field has worked through its queue, and by then the app has already
forwarded the keys typed after them to the same field. A burst (``tmux send-keys 'name'
Tab 'password' Enter``, a paste, a laggy SSH link) puts the password into the name field,
in clear.

Here those keys are *priority* bindings of the form: the app runs them itself, in order,
before it forwards the next key, and they move the focus at once (``Screen.set_focus``).
Enter in a field that submits waits until every field has applied the keys typed before
it, then posts ``OrderedForm.Submitted``.

Enter per field (by widget id): "next" (the default) moves to the next line field,
"submit" submits, "stay" does nothing (e.g. a refusal reason, which an explicit key sends).
Enter on a button presses it and in a TextArea starts a new line, as usual. A form built
with ``enter_to_any=True`` moves on to whatever comes next instead (a choice, a row, and
from the last line its first button), as a record form walks its fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from textual.actions import SkipAction
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, TextArea

EnterMode = Literal["next", "submit", "stay"]


class OrderedForm(Vertical):
    DEFAULT_CSS = "OrderedForm { height: auto; }"
    BINDINGS = [
        Binding("tab", "next_widget", show=False, priority=True),
        Binding("shift+tab", "previous_widget", show=False, priority=True),
        Binding("enter", "enter", show=False, priority=True),
    ]

    class Submitted(Message):
        """Enter in a "submit" field, once every field holds what was typed before it."""

        def __init__(self, form: OrderedForm, field: Input) -> None:
            super().__init__()
            self.form = form
            self.field = field

        @property
        def control(self) -> OrderedForm:
            return self.form

    def __init__(
        self,
        *children: Widget,
        enter: Mapping[str, EnterMode] | None = None,
        enter_to_any: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(*children, id=id, classes=classes)
        self.enter_modes = dict(enter or {})
        self.enter_to_any = enter_to_any

    def focus_order(self) -> list[Widget]:
        """The form's widgets that take focus, in the screen's focus order."""
        return [w for w in self.screen.focus_chain if self in w.ancestors]

    def fields(self) -> list[Widget]:
        return [w for w in self.query("*") if isinstance(w, Input | TextArea)]

    def move_focus(self, step: int, among: Sequence[Widget] | None = None) -> None:
        """Focus the next (``step`` 1) or previous (-1) widget now, not after the app's
        queue (which ``Widget.focus`` would wait for)."""
        chain = list(self.focus_order() if among is None else among)
        current = self.screen.focused
        if not chain:
            return
        index = chain.index(current) if current is not None and current in chain else -step
        self.screen.set_focus(chain[(index + step) % len(chain)])

    def action_next_widget(self) -> None:
        self.move_focus(1)

    def action_previous_widget(self) -> None:
        self.move_focus(-1)

    def action_enter(self) -> None:
        field = self.screen.focused
        if not isinstance(field, Input):
            raise SkipAction()  # a button presses, a TextArea takes a new line
        mode = self.enter_modes.get(field.id or "", "next")
        if mode == "submit":
            self.after_typed_keys(lambda: self.submit(field))
        elif mode == "next" and self.enter_to_any:
            chain = self.focus_order()
            if chain and field is not chain[-1]:
                self.move_focus(1, chain)
        elif mode == "next":
            lines = [w for w in self.focus_order() if isinstance(w, Input | TextArea)]
            if lines and field is not lines[-1]:
                self.move_focus(1, lines)

    def submit(self, field: Input) -> None:
        self.post_message(self.Submitted(self, field))

    def after_typed_keys(self, then: Callable[[], None]) -> None:
        """Run ``then`` once each field has applied the keys already queued for it: a
        callback queued behind them in every field, and ``then`` after the last one."""
        waiting = [field for field in self.fields() if field.is_attached]
        remaining = len(waiting)

        def one_done() -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                then()

        if not waiting:
            then()
        for field in waiting:
            if not field.call_later(one_done):  # closed meanwhile: nothing left to apply
                one_done()

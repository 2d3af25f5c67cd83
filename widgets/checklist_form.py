"""The inspection checklist form: sections and items answered by keyboard alone.

The form gets a ``Checklist`` and the answers so far as plain ``ItemAnswer``s; it never
reads or writes records. Each committed answer is posted as ``AnswerChanged`` (the screen
saves it at once and hands the stored answer back through ``set_answer``), ``i`` on a
flagged item posts ``IncidentRequested``.

Keys: up/down move between items; space/enter toggle pass ⇄ fail (p, f set it); digits
type a reading (enter or moving away saves it, escape drops it, backspace edits it);
left/right pick a choice; enter on a text item and ``n`` on any item open the text field
(its answer, or the item's note); delete clears an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from data.checklists import Checklist, ChecklistItem
from data.i18n import t
from widgets.checklist_rows import (
    FAIL,
    NUMBER_KEYS,
    PASS,
    ItemAnswer,
    LineStyles,
    guidance_text,
    is_flagged,
    item_line,
    section_line,
)

__all__ = ["ChecklistForm", "ItemAnswer"]


class ChecklistForm(Vertical, can_focus=True):
    BINDINGS = [
        Binding("up", "move(-1)", "checklist.prev", id="checklist.prev", show=False),
        Binding("down", "move(1)", "checklist.next", id="checklist.next", show=False),
        Binding("enter", "activate", "checklist.answer", id="checklist.answer"),
        Binding("space", "toggle", "checklist.toggle", id="checklist.toggle", show=False),
        Binding("p", "set_passfail('pass')", "checklist.pass", id="checklist.pass", show=False),
        Binding("f", "set_passfail('fail')", "checklist.fail", id="checklist.fail", show=False),
        Binding("left", "choice(-1)", "checklist.choice", id="checklist.choice_prev", show=False),
        Binding("right", "choice(1)", "checklist.choice", id="checklist.choice_next", show=False),
        Binding("backspace", "backspace", "checklist.backspace", show=False),
        Binding("n", "edit('note')", "checklist.note", id="checklist.note"),
        Binding("delete", "clear", "checklist.clear", id="checklist.clear"),
        Binding("i", "incident", "checklist.incident", id="checklist.incident"),
        Binding("escape", "cancel", "checklist.cancel", show=False),
    ]
    COMPONENT_CLASSES = {"checklist-form--flagged", "checklist-form--muted",
                         "checklist-form--live"}  # fmt: skip
    DEFAULT_CSS = """
    ChecklistForm { height: 1fr; }
    ChecklistForm > .checklist-form--flagged { color: $error; text-style: bold; }
    ChecklistForm > .checklist-form--muted { color: $text-muted; }
    ChecklistForm > .checklist-form--live { color: $success; }
    ChecklistForm #checklist-items { height: 1fr; }
    ChecklistForm .checklist-section { margin-top: 1; }
    ChecklistForm .checklist-item.-cursor { background: $boost; }
    ChecklistForm:focus .checklist-item.-cursor { background: $accent 30%; }
    ChecklistForm #checklist-guidance { height: auto; max-height: 6; padding: 0 1;
        border-top: solid $primary-muted; color: $text-muted; }
    ChecklistForm #checklist-editor-label { height: 1; padding: 0 1; }
    ChecklistForm #checklist-status { height: 1; padding: 0 1; }
    ChecklistForm .-hidden { display: none; }
    """

    class AnswerChanged(Message):
        """An answer to save: ``value`` None clears it; ``note`` is the item's note."""

        def __init__(self, form: ChecklistForm, item_id: str, value: str | None, note: str):
            super().__init__()
            self.form, self.item_id, self.value, self.note = form, item_id, value, note

        @property
        def control(self) -> ChecklistForm:
            return self.form

    class IncidentRequested(Message):
        """``i`` on a flagged item; ``device_id`` is the item's live source, if any."""

        def __init__(self, form: ChecklistForm, item: ChecklistItem, answer: ItemAnswer):
            super().__init__()
            self.form, self.item, self.answer = form, item, answer
            self.device_id = item.source.device if item.source is not None else None

        @property
        def control(self) -> ChecklistForm:
            return self.form

    def __init__(
        self,
        checklist: Checklist,
        answers: Mapping[str, ItemAnswer],
        *,
        read_only: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.checklist = checklist
        self.items = list(checklist.items())
        self.answers = {item.id: answers.get(item.id, ItemAnswer()) for item in self.items}
        self.read_only = read_only
        self.cursor = 0
        self.missing: set[str] = set()
        self.buffer: str | None = None  # a reading being typed
        self.editing: str | None = None  # "note" or "text" while the field is open

    # -- building and drawing -----------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="checklist-items", can_focus=False):
            for number, section in enumerate(self.checklist.sections):
                yield Static(id=f"section-{number}", classes="checklist-section")
                for item in section.items:
                    yield Static(id=f"item-{item.id}", classes="checklist-item")
        yield Static("", id="checklist-guidance", markup=False)
        yield Static("", id="checklist-editor-label", classes="-hidden", markup=False)
        yield Input(id="checklist-editor", classes="-hidden", compact=True)
        yield Static("", id="checklist-status", markup=False)

    def on_mount(self) -> None:
        self.redraw()

    @property
    def item(self) -> ChecklistItem:
        """The selected item."""
        return self.items[self.cursor]

    def _styles(self) -> LineStyles:
        style = self.get_component_rich_style
        return LineStyles(style("checklist-form--flagged"), style("checklist-form--muted"),
                          style("checklist-form--live"))  # fmt: skip

    def redraw(self, item_ids: Iterable[str] | None = None) -> None:
        """Redraw ``item_ids`` (None: every item), the section counts and the panels."""
        styles = self._styles()
        for position, item in enumerate(self.items):
            if item_ids is not None and item.id not in item_ids:
                continue
            row = self.query_one(f"#item-{item.id}", Static)
            cursor = position == self.cursor
            row.update(item_line(item, self.answers[item.id], styles, cursor=cursor,
                                 missing=item.id in self.missing,
                                 buffer=self.buffer if cursor else None))  # fmt: skip
            row.set_class(cursor, "-cursor")
        for number, section in enumerate(self.checklist.sections):
            done = sum(1 for i in section.items if self.answers[i.id].value is not None)
            box = self.query_one(f"#section-{number}", Static)
            box.update(section_line(section.title, done, len(section.items)))
        self.query_one("#checklist-guidance", Static).update(
            guidance_text(self.item, self.answers[self.item.id], self.read_only)
        )

    def show_message(self, text: str = "") -> None:
        """The status line; empty: the count of answers."""
        answered = sum(1 for a in self.answers.values() if a.value is not None)
        flagged = sum(1 for a in self.answers.values() if a.flagged and a.value is not None)
        live = sum(1 for a in self.answers.values() if a.prefilled)
        counts = t("checklist.counts", answered=answered, total=len(self.items),
                   flagged=flagged, live=live)  # fmt: skip
        self.query_one("#checklist-status", Static).update(f"{counts}  {text}".rstrip())

    # -- the screen's side --------------------------------------------------------------

    def set_answer(self, item_id: str, answer: ItemAnswer) -> None:
        """The stored answer, as the screen got it back from the record."""
        self.answers[item_id] = answer
        if answer.value is not None:
            self.missing.discard(item_id)
        self.redraw([item_id])
        self.show_message()

    def mark_missing(self, item_ids: Iterable[str], message: str = "") -> None:
        """Mark items the submit refused for and select the first of them."""
        self.missing = set(item_ids)
        first = next((n for n, i in enumerate(self.items) if i.id in self.missing), None)
        if first is not None:
            self.select(first)
        self.redraw()
        self.show_message(message)

    def set_read_only(self, read_only: bool = True) -> None:
        self.read_only = read_only
        self.buffer = None
        self._close_editor()
        self.redraw()

    def select(self, position: int) -> None:
        before = self.item.id
        self.cursor = max(0, min(position, len(self.items) - 1))
        self.redraw({before, self.item.id})
        self.query_one(f"#item-{self.item.id}").scroll_visible(animate=False)

    # -- answering ----------------------------------------------------------------------

    def _commit(self, value: str | None, note: str | None = None) -> None:
        item, before = self.item, self.answers[self.item.id]
        note = before.note if note is None else note
        self.answers[item.id] = ItemAnswer(value, note, before.live_value, before.live_at,
                                           before.live_value is not None and value !=
                                           before.live_value, is_flagged(item, value))  # fmt: skip
        self.redraw([item.id])
        self.show_message()
        self.post_message(self.AnswerChanged(self, item.id, value, note))

    def _commit_buffer(self) -> bool:
        """Save a typed reading; False (and a message) when it is not a number."""
        if self.buffer is None:
            return True
        text, self.buffer = self.buffer, None
        try:
            float(text)
        except ValueError:
            self.buffer = text
            self.show_message(t("checklist.bad_number", text=text))
            return False
        self._commit(text)
        return True

    def on_key(self, event: events.Key) -> None:
        if self.read_only or self.editing or event.character is None:
            return
        kind = self.item.kind
        if kind == "reading" and event.character in NUMBER_KEYS:
            self.buffer = (self.buffer or "") + event.character
        elif kind == "choice" and event.character.isdigit() and event.character != "0":
            choices = self.item.choices
            if int(event.character) <= len(choices):
                self._commit(choices[int(event.character) - 1])
        else:
            return
        event.stop()
        event.prevent_default()
        self.redraw([self.item.id])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move", "cancel", "incident"):
            return True
        return not self.read_only

    def action_move(self, step: int) -> None:
        if self.editing:
            self._submit_editor()
        if self._commit_buffer():
            self.select(self.cursor + step)

    def action_activate(self) -> None:
        if self.buffer is not None:
            self._commit_buffer()
        elif self.item.kind == "text":
            self.action_edit("text")
        elif self.item.kind == "passfail":
            self.action_toggle()
        elif self.item.kind == "choice":
            self.action_choice(1)
        else:
            self.show_message(t("checklist.keys.reading"))

    def action_toggle(self) -> None:
        if self.item.kind == "passfail":
            self._commit(FAIL if self.answers[self.item.id].value == PASS else PASS)

    def action_set_passfail(self, value: str) -> None:
        if self.item.kind == "passfail":
            self._commit(value)

    def action_choice(self, step: int) -> None:
        choices = self.item.choices
        if self.item.kind != "choice":
            return
        current = self.answers[self.item.id].value
        position = choices.index(current) + step if current in choices else 0 if step > 0 else -1
        self._commit(choices[position % len(choices)])

    def action_backspace(self) -> None:
        if self.buffer is not None:
            self.buffer = self.buffer[:-1] or None
            self.redraw([self.item.id])

    def action_clear(self) -> None:
        self.buffer = None
        if self.answers[self.item.id].value is not None:
            self._commit(None)

    def action_cancel(self) -> None:
        if self.editing:
            self._close_editor()
        elif self.buffer is not None:
            self.buffer = None
            self.redraw([self.item.id])
            self.show_message()
        else:
            raise SkipAction()  # nothing to drop here: the screen's escape applies

    def action_incident(self) -> None:
        answer = self.answers[self.item.id]
        if answer.flagged and answer.value is not None:
            self.post_message(self.IncidentRequested(self, self.item, answer))
        else:
            self.show_message(t("checklist.incident_only_flagged"))

    # -- the text field (a text item's answer, or any item's note) ----------------------

    def action_edit(self, what: str) -> None:
        if not self._commit_buffer():
            return
        answer = self.answers[self.item.id]
        self.editing = what
        label = self.query_one("#checklist-editor-label", Static)
        label.update(t(f"checklist.editor.{what}", item=self.item.text))
        editor = self.query_one("#checklist-editor", Input)
        editor.value = (answer.value or "") if what == "text" else answer.note
        for widget in (label, editor):
            widget.remove_class("-hidden")
        editor.focus()

    @on(Input.Submitted, "#checklist-editor")
    def _editor_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit_editor()

    def _submit_editor(self) -> None:
        text = self.query_one("#checklist-editor", Input).value.strip()
        current = self.answers[self.item.id]
        if self.editing == "text":
            self._commit(text or None)
        elif self.editing == "note" and text != current.note:
            self._commit(current.value, text)
        self._close_editor()

    def _close_editor(self) -> None:
        self.editing = None
        for selector in ("#checklist-editor-label", "#checklist-editor"):
            self.query_one(selector).add_class("-hidden")
        if self.is_mounted:
            self.focus()

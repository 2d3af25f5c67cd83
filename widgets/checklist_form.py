"""The inspection checklist form: sections and items answered by keyboard alone.

It gets a ``Checklist`` and plain ``ItemAnswer``s and never touches records: a committed
answer is posted as ``AnswerChanged`` (the screen saves it at once and hands the stored
answer back to ``set_answer``); ``i`` on a flagged item posts ``IncidentRequested``.

Keys: up/down move between items; space/enter toggle pass ⇄ fail (p, f set it); digits
type a reading (enter or moving away saves it, escape drops it, backspace edits it);
left/right pick a choice; enter on a text item and ``n`` on any item open the text field
(its answer, or the item's note); delete clears an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from data.checklists import Checklist, ChecklistItem
from data.i18n import t
from widgets.checklist_editor import ChecklistEditor
from widgets.checklist_rows import (
    FAIL,
    NUMBER_KEYS,
    PASS,
    ItemAnswer,
    LineStyles,
    answered,
    counts_text,
    guidance_text,
    is_number,
    item_line,
    next_choice,
    numbered_choice,
    section_line,
)


class ChecklistForm(Vertical, can_focus=True):
    BINDINGS = [
        Binding("up", "move(-1)", "checklist.prev", id="checklist.prev", show=False),
        Binding("down", "move(1)", "checklist.next", id="checklist.next", show=False),
        Binding("enter", "activate", "checklist.answer", id="checklist.answer"),
        Binding("space", "set_passfail", "checklist.toggle", id="checklist.toggle", show=False),
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
    COMPONENT_CLASSES = {"checklist-form--flagged", "checklist-form--muted", "checklist-form--live"}
    DEFAULT_CSS = """
    ChecklistForm { height: 1fr; }
    ChecklistForm > .checklist-form--flagged { color: $error; text-style: bold; }
    ChecklistForm > .checklist-form--muted { text-style: dim; }
    ChecklistForm > .checklist-form--live { color: $success; }
    ChecklistForm #checklist-items { height: 1fr; }
    ChecklistForm .checklist-section { margin-top: 1; }
    ChecklistForm .checklist-item.-cursor { background: $boost; }
    ChecklistForm:focus .checklist-item.-cursor { background: $accent 30%; }
    ChecklistForm #checklist-guidance { height: auto; max-height: 6; padding: 0 1;
        border-top: solid $primary-muted; color: $text-muted; }
    ChecklistForm #checklist-status { height: 1; padding: 0 1; }
    """

    class AnswerChanged(Message):
        """An answer to save: ``value`` None clears it; ``note`` is the item's note."""

        def __init__(self, item_id: str, value: str | None, note: str) -> None:
            super().__init__()
            self.item_id, self.value, self.note = item_id, value, note

    class IncidentRequested(Message):
        """``i`` on a flagged item; ``device_id`` is the item's live source, if any."""

        def __init__(self, item: ChecklistItem, answer: ItemAnswer) -> None:
            super().__init__()
            self.item, self.answer = item, answer
            self.device_id = item.source.device if item.source is not None else None

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

    # -- building and drawing -----------------------------------------------------------

    def compose(self) -> ComposeResult:
        position = 0  # rows are named by position: an item id may hold a "."
        with VerticalScroll(id="checklist-items", can_focus=False):
            for number, section in enumerate(self.checklist.sections):
                yield Static(id=f"section-{number}", classes="checklist-section")
                for _ in section.items:
                    yield Static(id=f"item-{position}", classes="checklist-item")
                    position += 1
        yield Static("", id="checklist-guidance", markup=False)
        yield ChecklistEditor()
        yield Static("", id="checklist-status", markup=False)

    def on_mount(self) -> None:
        self.redraw()
        self.show_message()

    @property
    def editor(self) -> ChecklistEditor:
        return self.query_one(ChecklistEditor)

    @property
    def item(self) -> ChecklistItem:
        return self.items[self.cursor]

    def redraw(self, item_ids: Iterable[str] | None = None) -> None:
        """Redraw ``item_ids`` (None: every item), the section counts and the panels."""
        names = (f"checklist-form--{n}" for n in ("flagged", "muted", "live"))
        # partial: the colour only, so that the selected row's background shows through
        styles = LineStyles(*(self.get_component_rich_style(n, partial=True) for n in names))
        for position, item in enumerate(self.items):
            if item_ids is not None and item.id not in item_ids:
                continue
            row = self.query_one(f"#item-{position}", Static)
            cursor = position == self.cursor
            row.update(
                item_line(
                    item,
                    self.answers[item.id],
                    styles,
                    cursor=cursor,
                    missing=item.id in self.missing,
                    buffer=self.buffer if cursor else None,
                )
            )
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
        counts = counts_text(self.answers.values())
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

    def select(self, position: int) -> None:
        before = self.item.id
        self.cursor = max(0, min(position, len(self.items) - 1))
        self.redraw({before, self.item.id})
        self.query_one(f"#item-{self.cursor}").scroll_visible(animate=False)

    # -- answering ----------------------------------------------------------------------

    def _commit(self, value: str | None, note: str | None = None) -> None:
        item, before = self.item, self.answers[self.item.id]
        note = before.note if note is None else note
        self.answers[item.id] = answered(item, before, value, note)
        self.redraw([item.id])
        self.show_message()
        self.post_message(self.AnswerChanged(item.id, value, note))

    def _commit_buffer(self) -> bool:
        """Save a typed reading; False (and a message) when it is not a number."""
        if self.buffer is None:
            return True
        if not is_number(self.buffer):
            self.show_message(t("checklist.bad_number", text=self.buffer))
            return False
        text, self.buffer = self.buffer, None
        self._commit(text)
        return True

    def on_key(self, event: events.Key) -> None:
        if self.read_only or self.editor.what or event.character is None:
            return
        choice = numbered_choice(self.item, event.character)
        if self.item.kind == "reading" and event.character in NUMBER_KEYS:
            self.buffer = (self.buffer or "") + event.character
        elif choice is not None:
            self._commit(choice)
        else:
            return
        event.stop()
        event.prevent_default()
        self.redraw([self.item.id])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action in ("move", "cancel", "incident") or not self.read_only

    def action_move(self, step: int) -> None:
        if self.editor.what is not None:
            self._editor_done(ChecklistEditor.Done(self.editor.what, self.editor.text))
        if self._commit_buffer():
            self.select(self.cursor + step)

    def action_activate(self) -> None:
        if self.buffer is not None:
            self._commit_buffer()
        elif self.item.kind == "text":
            self.action_edit("text")
        else:  # a reading waits for its digits
            self.action_set_passfail()
            self.action_choice(1)

    def action_set_passfail(self, value: str = "") -> None:
        """``p``/``f`` set the answer; space and enter toggle it (pass first)."""
        if self.item.kind == "passfail":
            self._commit(value or (FAIL if self.answers[self.item.id].value == PASS else PASS))

    def action_choice(self, step: int) -> None:
        if self.item.kind == "choice":
            self._commit(next_choice(self.item, self.answers[self.item.id].value, step))

    def action_backspace(self) -> None:
        if self.buffer is not None:
            self.buffer = self.buffer[:-1] or None
            self.redraw([self.item.id])

    def action_clear(self) -> None:
        self.buffer = None
        if self.answers[self.item.id].value is not None:
            self._commit(None)

    def action_cancel(self) -> None:
        if self.editor.what is not None:
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
            self.post_message(self.IncidentRequested(self.item, answer))
        else:
            self.show_message(t("checklist.incident_only_flagged"))

    # -- the text field (a text item's answer, or any item's note) ----------------------

    def action_edit(self, what: str) -> None:
        if self._commit_buffer():
            answer = self.answers[self.item.id]
            value = (answer.value or "") if what == "text" else answer.note
            self.editor.open(what, t(f"checklist.editor.{what}", item=self.item.text), value)

    def on_checklist_editor_done(self, event: ChecklistEditor.Done) -> None:
        event.stop()
        self._editor_done(event)

    def _editor_done(self, event: ChecklistEditor.Done) -> None:
        current = self.answers[self.item.id]
        if event.what == "text":
            self._commit(event.text or None)
        elif event.text != current.note:
            self._commit(current.value, event.text)
        self._close_editor()

    def _close_editor(self) -> None:
        self.editor.close()
        self.redraw()
        if self.is_mounted:
            self.focus()

"""A keyboard-first record form: one labelled line per field (a line, a password, a few
lines of text, a choice), a message under each field, repeatable rows (e.g. the items a
visitor carries in), a submit button, any further buttons of the form's own, and Cancel.

The form takes plain ``FormField`` descriptions and never reads or writes records: the
screen showing it listens for ``RecordForm.Submitted``, hands ``values()`` and ``rows()``
to data/, and on a refusal calls ``show_errors``. Nothing typed is cleared by a refusal,
and a field's message goes away as soon as that field is edited again.

Keys: enter moves to the next field (from the last one to the submit button), or submits
from a field whose ``enter`` says so; ctrl+s submits from anywhere in the form; ctrl+n adds
a row below the focused one (or at the end) of a rows field; ctrl+r removes the focused
row (both only in a form with rows). Tab, Enter and ctrl+s take effect in the order they
were typed (``OrderedForm``): a burst of keys never lands in the wrong field or submits
before the keys typed ahead of it are in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea
from textual.widgets.button import ButtonVariant

from data.i18n import t
from widgets.ordered_form import EnterMode, OrderedForm

FieldCheck = Callable[[str, Mapping[str, str]], str | None]
"""A live check: the field's value and all the form's values -> a message, or None when
there is nothing to say (yet: a check may wait for the value to look complete)."""


@dataclass(frozen=True)
class RowColumn:
    name: str
    label: str  # shown as the placeholder of the column's input
    width: int = 0  # 0: an equal share of the line


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Literal["text", "password", "area", "choice", "rows"] = "text"
    value: str = ""
    placeholder: str = ""
    required: bool = False  # only marks the label: the rules live in data/
    choices: tuple[tuple[str, str], ...] = ()  # (label, value) of a choice
    blank: bool = True  # a choice may be left unset (shown as the placeholder)
    check: FieldCheck | None = None
    depends: tuple[str, ...] = ()  # other fields whose change re-runs ``check``
    columns: tuple[RowColumn, ...] = ()  # of a rows field
    rows: tuple[tuple[str, ...], ...] = ()  # a rows field's first rows
    enter: EnterMode = "next"  # Enter in a line: move on, submit, or nothing


@dataclass(frozen=True)
class FormButton:
    """A button beside the submit button; pressing it submits the form for ``name``."""

    name: str
    label: str
    variant: ButtonVariant = "default"


class RecordForm(VerticalScroll):
    BINDINGS = [
        Binding("ctrl+s", "submit", "form.submit", id="form.submit"),
        Binding("ctrl+n", "add_row", "form.add_row", id="form.add_row"),
        Binding("ctrl+r", "remove_row", "form.remove_row", id="form.remove_row"),
    ]
    DEFAULT_CSS = """
    RecordForm { height: auto; max-height: 100%; }
    RecordForm .form-line { height: 1; }
    RecordForm .form-label { width: 18; }
    RecordForm .form-line Input, RecordForm .form-line Select { width: 1fr; }
    RecordForm .form-area-line { height: auto; }
    RecordForm .form-area-line TextArea { width: 1fr; height: 8; }
    RecordForm Input { background: $boost; }
    RecordForm .form-rows-line { height: auto; margin-top: 1; }
    RecordForm .form-rows { height: auto; width: 1fr; }
    RecordForm .form-row { height: 1; }
    RecordForm .form-row Input { width: 1fr; margin-right: 1; }
    RecordForm .form-hint { color: $text-muted; padding-left: 18; }
    RecordForm .form-field-error { color: $error; height: auto; padding-left: 18; }
    RecordForm #form-error { color: $error; height: auto; margin-top: 1; }
    RecordForm .-empty { display: none; }
    RecordForm #form-buttons { height: auto; margin-top: 1; }
    RecordForm #form-buttons Button { margin-right: 2; }
    """

    class Submitted(Message):
        """The form was sent: ``choice`` is "submit" or the name of one of its buttons."""

        def __init__(self, form: RecordForm, choice: str = "submit") -> None:
            super().__init__()
            self.form = form
            self.choice = choice

    class Cancelled(Message):
        def __init__(self, form: RecordForm) -> None:
            super().__init__()
            self.form = form

    def __init__(
        self,
        fields: Sequence[FormField],
        submit_label: str,
        *,
        buttons: Sequence[FormButton] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.fields = {spec.name: spec for spec in fields}
        self.submit_label = submit_label
        self.buttons = list(buttons)
        self._row_ids = count(1)
        self._shown: tuple[dict[str, str], dict[str, list[dict[str, str]]]] | None = None

    # -- building ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        enter = {f"field-{spec.name}": spec.enter for spec in self.fields.values()}
        with OrderedForm(enter=enter, enter_to_any=True, id="form-keys"):
            for spec in self.fields.values():
                yield from self._line(spec)
                yield Static("", id=f"error-{spec.name}", classes="form-field-error -empty")
            yield Static("", id="form-error", classes="-empty")
            with Horizontal(id="form-buttons"):
                yield Button(self.submit_label, id="form-submit", variant="primary")
                for button in self.buttons:
                    yield Button(button.label, id=f"form-{button.name}", variant=button.variant)
                yield Button(t("dialog.cancel"), id="form-cancel")

    def _line(self, spec: FormField) -> ComposeResult:
        label = Label(f"{spec.label} *" if spec.required else spec.label, classes="form-label")
        if spec.kind == "rows":
            with Horizontal(classes="form-rows-line"):
                yield label
                with Vertical(id=f"rows-{spec.name}", classes="form-rows"):
                    for row in spec.rows or ((),):
                        yield self._row(spec, row)
            yield Static(t("form.rows_hint"), classes="form-hint")
        elif spec.kind == "area":
            with Horizontal(classes="form-area-line"):
                yield label
                yield TextArea(spec.value, id=f"field-{spec.name}", soft_wrap=True)
        else:
            with Horizontal(classes="form-line"):
                yield label
                yield self._control(spec)

    def on_mount(self) -> None:
        for area in self.query(TextArea):  # text already written is continued where it ends
            area.move_cursor(area.document.end)
        self._shown = self.snapshot()

    def _control(self, spec: FormField) -> Widget:
        if spec.kind == "choice":
            values = {value for _, value in spec.choices}
            return Select(
                spec.choices,
                prompt=spec.placeholder or t("form.choose"),
                allow_blank=spec.blank,
                value=spec.value if spec.value in values else Select.NULL,
                id=f"field-{spec.name}",
                compact=True,
            )
        return Input(
            spec.value,
            placeholder=spec.placeholder,
            id=f"field-{spec.name}",
            password=spec.kind == "password",
            compact=True,
        )

    def _row(self, spec: FormField, values: Sequence[str] = ()) -> Horizontal:
        number = next(self._row_ids)
        inputs = []
        for position, column in enumerate(spec.columns):
            value = values[position] if position < len(values) else ""
            box = Input(
                value,
                placeholder=column.label,
                compact=True,
                id=f"row{number}-{column.name}",
                name=column.name,
            )
            if column.width:
                box.styles.width = column.width
            inputs.append(box)
        return Horizontal(*inputs, classes=f"form-row rows-of-{spec.name}")

    # -- reading ----------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """Every field's value but the rows ("" for an unset choice)."""
        found: dict[str, str] = {}
        for spec in self.fields.values():
            if spec.kind == "choice":
                value = self.query_one(f"#field-{spec.name}", Select).value
                found[spec.name] = value if isinstance(value, str) else ""
            elif spec.kind == "area":
                found[spec.name] = self.query_one(f"#field-{spec.name}", TextArea).text
            elif spec.kind != "rows":
                found[spec.name] = self.query_one(f"#field-{spec.name}", Input).value
        return found

    def rows(self, name: str) -> list[dict[str, str]]:
        """The rows of a rows field, column name -> value; rows left blank are skipped."""
        found = []
        for line in self.query(f".rows-of-{name}").results(Horizontal):
            row = {str(box.name): box.value for box in line.query(Input)}
            if any(value.strip() for value in row.values()):
                found.append(row)
        return found

    def snapshot(self) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
        """Everything the form holds: its fields' values and every rows field's rows."""
        rows = {
            spec.name: self.rows(spec.name) for spec in self.fields.values() if spec.kind == "rows"
        }
        return self.values(), rows

    def is_modified(self) -> bool:
        """Something was typed or chosen since the form was shown."""
        return self._shown is not None and self.snapshot() != self._shown

    def error(self, name: str) -> str:
        """The message shown under a field ("" when none); ``name=""``: the form's own."""
        target = f"#error-{name}" if name else "#form-error"
        return str(self.query_one(target, Static).render())

    # -- messages ---------------------------------------------------------------------

    def show_errors(self, errors: Mapping[str, str], general: str = "") -> None:
        """Show ``errors`` under their fields (clearing the others) and ``general`` below,
        and put the focus on the first field (in the form's order) that has one."""
        for name in self.fields:
            self._set_error(name, errors.get(name, ""))
        unplaced = [message for name, message in errors.items() if name not in self.fields]
        self._set_message("#form-error", " ".join([general, *unplaced]).strip())
        first_bad = next((name for name in self.fields if errors.get(name)), None)
        if first_bad is not None:
            self.focus_field(first_bad)

    def focus_field(self, name: str) -> None:
        """Focus a field's control (a rows field: its first input)."""
        target: Widget
        if self.fields[name].kind == "rows":
            target = self.query_one(f"#rows-{name}").query(Input).first()
        else:
            target = self.query_one(f"#field-{name}")
        target.focus()
        self.scroll_to_widget(target)

    def _set_error(self, name: str, message: str) -> None:
        self._set_message(f"#error-{name}", message)

    def _set_message(self, selector: str, message: str) -> None:
        box = self.query_one(selector, Static)
        box.update(message)
        box.set_class(not message, "-empty")

    def _run_check(self, name: str) -> None:
        spec = self.fields.get(name)
        if spec is None or spec.check is None:
            return
        values = self.values()
        value = values.get(name, "")
        self._set_error(name, (spec.check(value, values) or "") if value.strip() else "")

    @on(Input.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _edited(self, event: Input.Changed | Select.Changed | TextArea.Changed) -> None:
        widget_id = event.control.id or ""
        if not widget_id.startswith("field-"):
            return
        name = widget_id.removeprefix("field-")
        self._set_error(name, "")  # a refused value that was edited is no longer refused
        self._run_check(name)
        for other in self.fields.values():
            if name in other.depends:
                self._run_check(other.name)

    # -- keys -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Rows keys only where there are rows: elsewhere ctrl+n and ctrl+r stay free for
        the screen (e.g. a dialog's own ctrl+r)."""
        if action in ("add_row", "remove_row"):
            return any(spec.kind == "rows" for spec in self.fields.values())
        return True

    def action_submit(self, choice: str = "submit") -> None:
        """Submit once every field holds the keys typed before the submit."""

        def send() -> None:
            self.post_message(self.Submitted(self, choice))

        self.query_one("#form-keys", OrderedForm).after_typed_keys(send)

    @on(OrderedForm.Submitted)
    def _entered(self, event: OrderedForm.Submitted) -> None:
        """Enter in a field that submits (the keys before it are in already)."""
        event.stop()
        self.post_message(self.Submitted(self))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-cancel":
            self.post_message(self.Cancelled(self))
        else:
            self.action_submit((event.button.id or "").removeprefix("form-"))

    def _focused_row(self) -> Horizontal | None:
        focused = self.screen.focused
        parent = focused.parent if focused is not None else None
        return parent if isinstance(parent, Horizontal) and parent.has_class("form-row") else None

    async def action_add_row(self, values: Sequence[str] = ()) -> None:
        """A row below the focused one, else at the end of the first rows field."""
        current = self._focused_row()
        container = current.parent if current is not None else None
        if not isinstance(container, Vertical):
            container = next(self.query(".form-rows").results(Vertical), None)
        if container is None or container.id is None:
            return
        row = self._row(self.fields[container.id.removeprefix("rows-")], values)
        if current is not None:
            await container.mount(row, after=current)
        else:
            await container.mount(row)
        row.query(Input).first().focus()

    async def action_remove_row(self) -> None:
        current = self._focused_row()
        if current is None:
            return
        siblings = list(current.parent.children) if current.parent is not None else []
        index = siblings.index(current)
        await current.remove()
        remaining = [row for row in siblings if row is not current]
        if remaining:
            remaining[min(index, len(remaining) - 1)].query(Input).first().focus()

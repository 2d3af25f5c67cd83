"""The handover's dialogs: sign out, sign in or refuse, notes, pending items, amend.

Each is a ``FormDialog``: a few fields and one or more buttons, each running a call of
data.records.handover. The data layer decides (same account, wrong password, sealed
record, empty reason ...); a refusal is shown translated and the dialog stays open with
everything that was typed, so the operator corrects it instead of starting over.
The fields sit in an ``OrderedForm``: keys typed in a burst land in the field they were
typed for (a password never in the name field).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from console.bindings import translate_bindings
from console.screens.ack import DIALOG_CSS
from console.screens.confirm import ConfirmDialog
from data.accounts import User
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.handover.book import HandoverBook
from data.records.handover.model import Handover, PendingItem
from widgets.ordered_form import EnterMode, OrderedForm

FormAction = Callable[[dict[str, str]], Awaitable[object]]


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # shown as it is (already translated)
    kind: Literal["line", "text", "password"] = "line"
    value: str = ""
    enter: str | None = None  # the choice Enter in this line runs; None: the next field;
    # "": nothing (the line belongs to a choice with its own key, e.g. a refusal's reason)

    def enter_mode(self) -> EnterMode:
        return "next" if self.enter is None else "submit" if self.enter else "stay"


@dataclass(frozen=True)
class Choice:
    name: str
    label: str
    run: FormAction
    variant: Literal["primary", "error", "default"] = "primary"
    key: str | None = None  # a key of its own, e.g. "ctrl+r" (shown on the button)
    confirm: Callable[[dict[str, str]], str] | None = None  # the question asked first


class FormDialog(ModalScreen[object]):
    """Fields, then a button per choice and Cancel. Enter in a line runs its field's
    ``enter`` choice (or moves on); ctrl+s runs the first choice, a choice's ``key`` that
    choice. A choice with ``confirm`` asks first. Dismissed with the choice's result; None
    when cancelled."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="FormDialog")
        + "FormDialog TextArea { height: 8; }\nFormDialog .dialog-intro { margin-bottom: 1; }\n"
    )
    BINDINGS = [
        Binding("escape", "cancel", "dialog.cancel", id="dialog.cancel"),
        Binding("ctrl+s", "submit", "handover.dialog.submit", id="handover.dialog.submit"),
    ]

    def __init__(
        self,
        dialog_id: str,
        title: str,
        fields: Sequence[Field],
        choices: Sequence[Choice],
        intro: str = "",
    ) -> None:
        super().__init__(id=dialog_id)
        translate_bindings(self)
        self.title_text, self.intro = title, intro
        self.fields, self.choices = list(fields), list(choices)
        self.busy = False  # one call at a time: a second Enter must not sign twice
        for choice in self.choices:
            if choice.key:
                self._bindings.bind(choice.key, f"choice('{choice.name}')", choice.label)

    def compose(self) -> ComposeResult:
        prefix = self.id or "form"
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.intro:
                yield Static(self.intro, classes="dialog-intro", markup=False)
            enter = {f"{prefix}-{field.name}": field.enter_mode() for field in self.fields}
            with OrderedForm(enter=enter, id=f"{prefix}-form"):
                for field in self.fields:
                    yield Label(field.label)
                    widget_id = f"{prefix}-{field.name}"
                    if field.kind == "text":
                        yield TextArea(field.value, id=widget_id, soft_wrap=True)
                    else:
                        yield Input(field.value, id=widget_id, password=field.kind == "password")
                yield Static("", id=f"{prefix}-error", classes="dialog-error", markup=False)
                with Horizontal(classes="dialog-buttons"):
                    for choice in self.choices:
                        yield Button(
                            choice_label(choice),
                            id=f"{prefix}-{choice.name}",
                            variant=choice.variant,
                        )
                    yield Button(t("dialog.cancel"), id=f"{prefix}-cancel")

    def on_mount(self) -> None:
        for area in self.query(TextArea):  # written text is continued where it ends
            area.move_cursor(area.document.end)
        if self.fields:  # at once: ``focus()`` would wait behind keys already typed
            self.set_focus(self.query_one(f"#{self.id}-{self.fields[0].name}"))

    def values(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#{self.id}-{field.name}")
            if isinstance(widget, TextArea):
                found[field.name] = widget.text
            elif isinstance(widget, Input):
                found[field.name] = widget.value
        return found

    async def run_choice(self, choice: Choice) -> None:
        if self.busy:
            return
        if choice.confirm is None:
            await self.run_confirmed(choice)
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                await self.run_confirmed(choice)

        self.app.push_screen(ConfirmDialog(choice.confirm(self.values()), choice.label), answered)

    async def run_confirmed(self, choice: Choice) -> None:
        if self.busy:
            return
        self.busy = True
        try:
            result = await choice.run(self.values())
        except DutyDeskError as refused:  # say why; keep what was typed
            self.query_one(f"#{self.id}-error", Static).update(explain(refused))
            return
        finally:
            self.busy = False
        self.dismiss(result)

    async def action_submit(self) -> None:
        await self.run_choice(self.choices[0])

    async def action_choice(self, name: str) -> None:
        await self.run_choice(next(c for c in self.choices if c.name == name))

    @on(OrderedForm.Submitted)
    async def entered(self, event: OrderedForm.Submitted) -> None:
        """Enter in a line whose field names a choice (only those submit)."""
        event.stop()
        field = next(f for f in self.fields if event.field.id == f"{self.id}-{f.name}")
        await self.action_choice(field.enter or "")

    @on(Button.Pressed)
    async def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for choice in self.choices:
            if event.button.id == f"{self.id}-{choice.name}":
                await self.run_choice(choice)
                return
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)


def choice_label(choice: Choice) -> str:
    if not choice.key:
        return choice.label
    return f"{choice.label} ({'+'.join(part.capitalize() for part in choice.key.split('+'))})"


def password_field(whose: str, enter: str | None) -> Field:
    """The password of the account named ``whose`` (or described, e.g. "the incoming
    operator"): the label says whose it is."""
    return Field("password", t("handover.field.password_of", name=whose), "password", enter=enter)


def sign_out_dialog(book: HandoverBook, user: User, watch: Handover, intro: str) -> FormDialog:
    async def sign(values: dict[str, str]) -> Handover:
        return await book.sign_outgoing(user, watch.id, values["password"])

    return FormDialog(
        "handover-sign-out",
        t("handover.sign_out.title", name=user.full_name or user.name),
        [password_field(user.full_name or user.name, "sign")],
        [Choice("sign", t("handover.sign_out.submit"), sign)],
        intro,
    )


def incoming_dialog(book: HandoverBook, watch: Handover) -> FormDialog:
    """The incoming operator signs (seals it, takes duty) or refuses with a reason. Enter
    signs; refusing takes its own key and a confirmation (Enter in the reason does not)."""

    async def sign(values: dict[str, str]) -> Handover:
        return await book.sign_incoming(values["name"].strip(), values["password"], watch.id)

    async def refuse(values: dict[str, str]) -> Handover:
        name, password = values["name"].strip(), values["password"]
        return await book.refuse(name, password, watch.id, values["reason"])

    return FormDialog(
        "handover-sign-in",
        t("handover.sign_in.title", name=watch.operator),
        [
            Field("name", t("handover.field.incoming")),
            password_field(t("handover.field.incoming_operator"), "sign"),
            Field("reason", t("handover.field.refusal_reason"), enter=""),
        ],
        [
            Choice("sign", t("handover.sign_in.submit"), sign),
            Choice(
                "refuse",
                t("handover.sign_in.refuse"),
                refuse,
                "error",
                key="ctrl+r",
                confirm=lambda values: t(
                    "handover.sign_in.refuse_confirm",
                    operator=watch.operator,
                    reason=values["reason"].strip(),
                ),
            ),
        ],
        t("handover.sign_in.intro"),
    )


def notes_dialog(book: HandoverBook, user: User, watch: Handover) -> FormDialog:
    async def save(values: dict[str, str]) -> Handover:
        return await book.set_notes(user, watch.id, values["notes"])

    return FormDialog(
        "handover-notes",
        t("handover.notes.title"),
        [Field("notes", t("handover.field.notes"), "text", watch.notes)],
        [Choice("save", t("handover.notes.submit"), save)],
        t("handover.notes.intro"),
    )


def add_pending_dialog(book: HandoverBook, user: User, watch: Handover) -> FormDialog:
    async def add(values: dict[str, str]) -> PendingItem:
        return await book.add_pending(user, watch.id, values["text"])

    return FormDialog(
        "handover-pending-add",
        t("handover.pending_add.title"),
        [Field("text", t("handover.field.pending"), enter="add")],
        [Choice("add", t("handover.pending_add.submit"), add)],
    )


def close_pending_dialog(book: HandoverBook, user: User, item: PendingItem) -> FormDialog:
    async def close(values: dict[str, str]) -> PendingItem:
        return await book.close_pending(user, item.id, values["note"])

    return FormDialog(
        "handover-pending-close",
        t("handover.pending_close.title"),
        [Field("note", t("handover.field.close_note"), enter="close")],
        [Choice("close", t("handover.pending_close.submit"), close)],
        item.text,
    )


def amend_dialog(book: HandoverBook, user: User, original: Handover) -> FormDialog:
    async def amend(values: dict[str, str]) -> Handover:
        return await book.amend(user, original.id, values["text"], values["password"])

    return FormDialog(
        "handover-amend",
        t("handover.amend.title", id=original.id),
        [
            Field("text", t("handover.field.amendment"), "text"),
            password_field(user.full_name or user.name, "amend"),
        ],
        [Choice("amend", t("handover.amend.submit"), amend)],
        t("handover.amend.intro"),
    )

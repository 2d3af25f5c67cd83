"""The form dialog every record dialog is made of: a title, an intro, a ``RecordForm`` and
the footer of its keys, and the calls the form's buttons make.

``submit`` is the form's main choice (ctrl+s, its submit button, Enter in a field whose
``enter`` is "submit"); ``more`` are further choices, each with a button, maybe a key of
its own and a question asked first (e.g. refusing a handover). A choice's ``run`` does the
work through data/ and returns what the dialog is dismissed with. A refusal
(a ``DutyDeskError``, or one naming several ``problems``) is shown translated under the
fields ``field_of`` says it concerns (the rest under the form), every problem at once,
the first bad field focused, and nothing typed is lost. Escape on a form with something
typed or chosen in it asks before discarding it. A save whose COMMIT answer was lost (a
server store) is settled with the store first: saved after all closes the dialog as saved;
not saved says so and keeps the form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from console.bindings import translate_bindings
from console.dialogs.base import Dialog
from console.dialogs.confirm import ConfirmDialog
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.store import DatabaseFault
from widgets.key_footer import KeyFooter
from widgets.record_form import FormButton, FormField, RecordForm

Result = TypeVar("Result")


@dataclass(frozen=True)
class Choice(Generic[Result]):
    """One way to send the form: its button's label and what it does with the form."""

    label: str
    run: Callable[[RecordForm], Awaitable[Result]]
    name: str = "submit"  # the main choice's name; further choices name their own
    variant: ButtonVariant = "primary"
    key: str | None = None  # a key of its own, e.g. "ctrl+r" (shown on its button)
    confirm: Callable[[Mapping[str, str]], str] | None = None  # the question asked first

    def button_label(self) -> str:
        if not self.key:
            return self.label
        return f"{self.label} ({'+'.join(part.capitalize() for part in self.key.split('+'))})"


def field_of_code(fields: Mapping[str, str]) -> Callable[[DutyDeskError], str]:
    """A refusal's field looked up by its code ("" for the whole form)."""
    return lambda refused: fields.get(refused.code, "")


def about_the_form(_: DutyDeskError) -> str:
    return ""


class FormDialog(Dialog[Result | None], Generic[Result]):
    """Dismissed with what the chosen choice's ``run`` returned; None when cancelled."""

    DEFAULT_CLASSES = "-form"
    BINDINGS = [Binding("escape", "cancel", "dialog.cancel", id="dialog.cancel")]

    def __init__(
        self,
        dialog_id: str,
        title: str,
        fields: Sequence[FormField],
        submit: Choice[Result],
        *,
        more: Sequence[Choice[Result]] = (),
        intro: str = "",
        field_of: Callable[[DutyDeskError], str] = about_the_form,
        focus_submit: bool = False,
    ) -> None:
        super().__init__(id=dialog_id)
        self.title_text, self.intro = title, intro
        self.choices = {choice.name: choice for choice in (submit, *more)}
        buttons = [FormButton(c.name, c.button_label(), c.variant) for c in more]
        self.form = RecordForm(fields, submit.label, buttons=buttons)
        translate_bindings(self.form)
        self.field_of = field_of
        self.focus_submit = focus_submit
        self.busy = False  # one call at a time: a second Enter must not sign twice
        self.done = False  # a second ctrl+s queued while the first was saving
        for choice in more:
            if choice.key:
                self._bindings.bind(choice.key, f"submit('{choice.name}')", choice.label)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.intro:
                yield Static(self.intro, classes="dialog-intro", markup=False)
            yield self.form
            yield from self.compose_extra()
        yield KeyFooter()  # wraps its keys at 80 columns instead of cutting them

    def compose_extra(self) -> ComposeResult:
        """What a dialog shows below its form (e.g. past fixes of similar incidents)."""
        yield from ()

    def on_mount(self) -> None:
        # set_focus at once: ``focus()`` would wait behind keys already typed
        if self.focus_submit:
            self.set_focus(self.form.query_one("#form-submit", Button))
        elif fields := self.form.query("Input, Select, TextArea"):
            self.set_focus(fields.first())

    def action_submit(self, choice: str = "submit") -> None:
        """Send the form for ``choice`` once the keys typed before are in."""
        self.form.action_submit(choice)

    @on(RecordForm.Submitted)
    async def _submitted(self, event: RecordForm.Submitted) -> None:
        event.stop()
        choice = self.choices[event.choice]
        if self.busy or self.done:
            return
        if choice.confirm is None:
            await self._run(choice)
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                await self._run(choice)

        question = choice.confirm(event.form.values())
        self.app.push_screen(ConfirmDialog(question, choice.label), answered)

    async def _run(self, choice: Choice[Result]) -> None:
        if self.busy or self.done:
            return
        self.busy = True
        try:
            result = await choice.run(self.form)
        except DutyDeskError as refused:  # say why under each field; keep what was typed
            settled = await _settle(refused)
            if settled is True:  # the save whose answer was lost had happened
                self.done = True
                self.app.notify(t("form.saved_after_all"))
                self.dismiss(None)  # the section reloads its records as the dialog closes
                return
            self.show_refusal(settled or refused)
            return
        finally:
            self.busy = False
        self.done = True
        self.dismiss(result)

    def show_refusal(self, refused: DutyDeskError) -> None:
        # a refusal naming several problems (e.g. a visitor's entry) carries them all
        problems: Sequence[DutyDeskError] = getattr(refused, "problems", None) or (refused,)
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            name = self.field_of(problem)
            by_field.setdefault(name if name in self.form.fields else "", []).append(
                explain(problem)
            )
        general = " ".join(by_field.pop("", []))
        self.form.show_errors({name: " ".join(m) for name, m in by_field.items()}, general)

    @on(RecordForm.Cancelled)
    def action_cancel(self) -> None:
        """Close; a form with something typed or chosen in it asks first."""
        if not self.form.is_modified():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog(t("form.discard_question"), t("form.discard")), answered)


async def _settle(refused: DutyDeskError) -> bool | DutyDeskError | None:
    """A save whose COMMIT answer was lost (a server store's ``in_doubt``), asked of the
    store: True when it was saved after all; the refusal to show when it was not (saving
    again is safe); None to show ``refused`` as it is (not in doubt, or the server still
    away: then it says the change may have been saved)."""
    doubt = refused.in_doubt if isinstance(refused, DatabaseFault) else None
    if doubt is None:
        return None
    try:
        committed = await doubt.committed()
    except DatabaseFault:
        return None
    if committed:
        return True
    return DutyDeskError(
        "The connection to the database dropped while saving: nothing was saved. Save again.",
        code="db_commit_lost",
    )

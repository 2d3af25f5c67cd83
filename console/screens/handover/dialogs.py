"""The handover's dialogs: sign out, sign in or refuse, notes, pending items, amend.

Each is a form dialog of console/dialogs: a few fields and one or more buttons, each
running a call of data.records.handover. The data layer decides (same account, wrong
password, sealed record, empty reason ...); a refusal is shown translated and the dialog
stays open with everything that was typed, so the operator corrects it instead of
starting over.
Keys typed in a burst land in the field they were typed for (a password never in the
name field): the record form orders Tab and Enter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from textual.widgets.button import ButtonVariant

from console.dialogs.form import Choice, FormDialog, field_of_code
from data.accounts import User
from data.i18n import t
from data.records.handover.book import HandoverBook
from data.records.handover.model import Handover, PendingItem
from widgets.record_form import FormField, RecordForm

HandoverDialog = FormDialog[object]


def choice(
    label: str,
    run: Callable[[dict[str, str]], Awaitable[object]],
    name: str = "submit",
    variant: ButtonVariant = "primary",
    key: str | None = None,
    confirm: Callable[[Mapping[str, str]], str] | None = None,
) -> Choice[object]:
    """A choice whose ``run`` takes the form's values (a handover form has no rows)."""

    async def run_with(form: RecordForm) -> object:
        return await run(form.values())

    return Choice(label, run_with, name, variant, key, confirm)


def password_field(whose: str) -> FormField:
    """The password of the account named ``whose`` (or described, e.g. "the incoming
    operator"): the label says whose it is; Enter in it signs."""
    label = t("handover.field.password_of", name=whose)
    return FormField("password", label, kind="password", enter="submit")


def sign_out_dialog(book: HandoverBook, user: User, watch: Handover, intro: str) -> HandoverDialog:
    async def sign(values: dict[str, str]) -> Handover:
        return await book.sign_outgoing(user, watch.id, values["password"])

    return HandoverDialog(
        "handover-sign-out",
        t("handover.sign_out.title", name=user.full_name or user.name),
        [password_field(user.full_name or user.name)],
        choice(t("handover.sign_out.submit"), sign),
        intro=intro,
    )


def incoming_dialog(book: HandoverBook, watch: Handover) -> HandoverDialog:
    """The incoming operator signs (seals it, takes duty) or refuses with a reason. Enter
    signs; refusing takes its own key and a confirmation (Enter in the reason does not)."""

    async def sign(values: dict[str, str]) -> Handover:
        name, password = values["name"].strip(), values["password"]
        return await book.sign_incoming(name, password, watch.id, values["off_roster"])

    async def refuse(values: dict[str, str]) -> Handover:
        name, password = values["name"].strip(), values["password"]
        return await book.refuse(name, password, watch.id, values["reason"])

    def refuse_question(values: Mapping[str, str]) -> str:
        reason = values["reason"].strip()
        return t("handover.sign_in.refuse_confirm", operator=watch.operator, reason=reason)

    return HandoverDialog(
        "handover-sign-in",
        t("handover.sign_in.title", name=watch.operator),
        [
            FormField("name", t("handover.field.incoming")),
            password_field(t("handover.field.incoming_operator")),
            FormField("reason", t("handover.field.refusal_reason"), enter="stay"),
            # asked when the roster names someone else for the shift (data.records.roster)
            FormField("off_roster", t("handover.field.off_roster_reason"), enter="submit"),
        ],
        choice(t("handover.sign_in.submit"), sign),
        more=[
            choice(
                t("handover.sign_in.refuse"),
                refuse,
                "refuse",
                "error",
                key="ctrl+r",
                confirm=refuse_question,
            )
        ],
        intro=t("handover.sign_in.intro"),
        field_of=field_of_code({"handover_off_roster": "off_roster"}),
    )


def notes_dialog(book: HandoverBook, user: User, watch: Handover) -> HandoverDialog:
    async def save(values: dict[str, str]) -> Handover:
        return await book.set_notes(user, watch.id, values["notes"])

    return HandoverDialog(
        "handover-notes",
        t("handover.notes.title"),
        [FormField("notes", t("handover.field.notes"), kind="area", value=watch.notes)],
        choice(t("handover.notes.submit"), save),
        intro=t("handover.notes.intro"),
    )


def add_pending_dialog(book: HandoverBook, user: User, watch: Handover) -> HandoverDialog:
    async def add(values: dict[str, str]) -> PendingItem:
        return await book.add_pending(user, watch.id, values["text"])

    return HandoverDialog(
        "handover-pending-add",
        t("handover.pending_add.title"),
        [FormField("text", t("handover.field.pending"), enter="submit")],
        choice(t("handover.pending_add.submit"), add),
    )


def close_pending_dialog(book: HandoverBook, user: User, item: PendingItem) -> HandoverDialog:
    async def close(values: dict[str, str]) -> PendingItem:
        return await book.close_pending(user, item.id, values["note"])

    return HandoverDialog(
        "handover-pending-close",
        t("handover.pending_close.title"),
        [FormField("note", t("handover.field.close_note"), enter="submit")],
        choice(t("handover.pending_close.submit"), close),
        intro=item.text,
    )


def amend_dialog(book: HandoverBook, user: User, original: Handover) -> HandoverDialog:
    async def amend(values: dict[str, str]) -> Handover:
        return await book.amend(user, original.id, values["text"], values["password"])

    return HandoverDialog(
        "handover-amend",
        t("handover.amend.title", id=original.id),
        [
            FormField("text", t("handover.field.amendment"), kind="area"),
            password_field(user.full_name or user.name),
        ],
        choice(t("handover.amend.submit"), amend),
        intro=t("handover.amend.intro"),
    )

"""The access log's forms: a visitor's entry, a staff entry, and an exit.

Each form dialog gets an async callback that does the work through data.records.visitors;
a refusal (a DutyDeskError, or an EntryRefused naming every problem) is shown translated
under the fields it concerns, the first of them focused, and the dialog stays open with
everything typed. Escape on a form with something typed in it asks before discarding it.
Resident ID numbers are checked as they are typed (GB 11643: 18 characters, a real birth
date, the check digit).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from console.dialogs.form import Choice, FormDialog
from console.screens.visitors.details import DOC_TYPES, item_text
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.idnumbers import RESIDENT_ID_LENGTH, DocType, IdNumberError, normalise_id, validate_id
from data.phones import PhoneError, parse_phone
from data.records.visitors.model import AccessRecord, Item, VisitorEntry
from widgets.record_form import FormField, RecordForm, RowColumn

Result = TypeVar("Result")
ITEM_COLUMNS = (
    ("description", "visitors.item.description", 0),
    ("serial", "visitors.item.serial", 0),
    ("count", "visitors.item.count", 8),
)
_FIELD_OF_CODE = {
    "id_bad_type": "id_type",
    "id_inside": "id_number",
    "name_required": "name",
    "person_inside": "name",
    "badge_inside": "badge",
    "bad_item": "items",
    "too_many_items": "items",
}
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
PHONE_DIGITS_TO_CHECK = 11  # a shorter number may still be being typed


def error_field(error: DutyDeskError) -> str:
    """The form field a refusal is about ("" when it concerns the whole form)."""
    code = error.code
    if code in _FIELD_OF_CODE:
        return _FIELD_OF_CODE[code]
    if code.startswith("id_"):
        return "id_number"
    if code.startswith(("phone_", "escort_")):
        return code.split("_")[0]
    if code == "text_too_long":
        return str(error.params.get("what", ""))
    return ""


def check_id(today: dt.date) -> Callable[[str, Mapping[str, str]], str | None]:
    """The live check of the ID number: a resident ID once it has its 18 characters (or
    holds something that can never be one); other documents are checked on submit."""

    def check(value: str, values: Mapping[str, str]) -> str | None:
        number = normalise_id(value)
        if (values.get("id_type") or DocType.RESIDENT_ID) != DocType.RESIDENT_ID:
            return None
        if len(number) < RESIDENT_ID_LENGTH and number.isdigit():
            return None  # still typing
        try:
            validate_id(DocType.RESIDENT_ID, number, today)
        except IdNumberError as error:
            return explain(error)
        return None

    return check


def check_phone(value: str, _: Mapping[str, str]) -> str | None:
    if sum(char.isdigit() for char in value) < PHONE_DIGITS_TO_CHECK:
        return None
    try:
        parse_phone(value)
    except PhoneError as error:
        return explain(error)
    return None


def items_from_rows(rows: Sequence[Mapping[str, str]]) -> list[Item]:
    """Items from the form's rows. A count that is not a whole number reads as 0, which
    data/ refuses (bad_item) together with every other problem of the entry."""
    items = []
    for row in rows:
        text = row.get("count", "").strip() or "1"
        count = int(text) if text.isdigit() else 0
        items.append(Item(row.get("description", ""), row.get("serial", "").strip() or None, count))
    return items


def item_rows_field(name: str, label: str, items: Sequence[Item] = ()) -> FormField:
    columns = tuple(RowColumn(col, t(key), width) for col, key, width in ITEM_COLUMNS)
    rows = tuple((i.description, i.serial or "", str(i.count)) for i in items)
    return FormField(name, label, kind="rows", columns=columns, rows=rows)


def split_list(text: str) -> list[str]:
    return [part for part in _LIST_SEPARATORS.split(text) if part]


class RecordDialog(FormDialog[Result]):
    """An access-log form dialog: ``perform`` does the work with the form; a refusal lands
    under the fields ``error_field`` names."""

    def __init__(self, title: str, fields: Sequence[FormField], submit: str, dialog_id: str):
        super().__init__(
            dialog_id, title, fields, Choice(submit, self.perform), field_of=error_field
        )

    async def perform(self, form: RecordForm) -> Result:
        raise NotImplementedError


class VisitorEntryDialog(RecordDialog[int]):
    def __init__(
        self,
        escorts: Sequence[tuple[str, str]],
        today: dt.date,
        enter: Callable[[VisitorEntry], Awaitable[int]],
    ) -> None:
        docs = tuple((t(key), doc.value) for doc, key in DOC_TYPES.items())
        fields = [
            FormField("name", t("visitors.field.name"), required=True),
            FormField(
                "id_type",
                t("visitors.field.id_type"),
                kind="choice",
                choices=docs,
                value=DocType.RESIDENT_ID.value,
                blank=False,
            ),
            FormField(
                "id_number",
                t("visitors.field.id_number"),
                required=True,
                check=check_id(today),
                depends=("id_type",),
            ),
            FormField("organisation", t("visitors.field.organisation")),
            FormField(
                "phone",
                t("visitors.field.phone"),
                required=True,
                check=check_phone,
                placeholder=t("visitors.field.phone_hint"),
            ),
            FormField("purpose", t("visitors.field.purpose")),
            FormField(
                "escort",
                t("visitors.field.escort"),
                kind="choice",
                required=True,
                choices=tuple(escorts),
                placeholder=t("visitors.field.escort_hint"),
            ),
            FormField("badge", t("visitors.field.badge")),
            FormField(
                "work_on", t("visitors.field.work_on"), placeholder=t("visitors.field.work_on_hint")
            ),
            item_rows_field("items", t("visitors.field.items_in")),
        ]
        super().__init__(t("visitors.entry_title"), fields, t("visitors.enter"), "visitor-entry")
        self.enter = enter

    async def perform(self, form: RecordForm) -> int:
        values = form.values()
        entry = VisitorEntry(
            name=values["name"],
            id_type=values["id_type"],
            id_number=values["id_number"],
            organisation=values["organisation"],
            phone=values["phone"],
            purpose=values["purpose"],
            escort=values["escort"],
            badge=values["badge"],
            work_on=split_list(values["work_on"]),
            items_in=items_from_rows(form.rows("items")),
        )
        return await self.enter(entry)


class StaffEntryDialog(RecordDialog[int]):
    def __init__(self, enter: Callable[[str, str, str], Awaitable[int]]) -> None:
        fields = [
            FormField(
                "name",
                t("visitors.field.staff_name"),
                required=True,
                placeholder=t("visitors.field.staff_hint"),
            ),
            FormField("badge", t("visitors.field.badge")),
            FormField("purpose", t("visitors.field.purpose")),
        ]
        super().__init__(t("visitors.staff_title"), fields, t("visitors.enter"), "staff-entry")
        self.enter = enter

    async def perform(self, form: RecordForm) -> int:
        values = form.values()
        return await self.enter(values["name"], values["badge"], values["purpose"])


class ExitDialog(RecordDialog[AccessRecord]):
    """Items carried out start as the items carried in: the operator removes or changes
    what does not leave; a difference is flagged on the record, not refused."""

    def __init__(
        self, record: AccessRecord, leave: Callable[[list[Item], str], Awaitable[AccessRecord]]
    ) -> None:
        carried = "; ".join(item_text(i) for i in record.items_in) or t("visitors.no_items")
        fields = [
            item_rows_field("items", t("visitors.field.items_out"), record.items_in),
            FormField("note", t("visitors.field.exit_note")),
        ]
        title = t("visitors.exit_title", name=record.name, badge=record.badge or "-")
        super().__init__(
            f"{title}\n{t('visitors.carried_in', items=carried)}",
            fields,
            t("visitors.exit"),
            "visitor-exit",
        )
        self.leave = leave

    async def perform(self, form: RecordForm) -> AccessRecord:
        return await self.leave(items_from_rows(form.rows("items")), form.values()["note"])

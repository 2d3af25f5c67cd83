"""How the access log is shown: labels, the rows of the two lists (in the room now, and
records), and the details dialog. ID and phone numbers are shown masked, as data/ returns
them; only the details dialog opened by a supervisor's reveal shows a full ID number, and
only while it is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from console.bindings import translate_bindings
from data.i18n import t
from data.idnumbers import DocType
from data.records.visitors.model import AccessRecord, Item, Presence
from widgets.key_footer import KeyFooter

DOC_TYPES = {
    DocType.RESIDENT_ID: "visitors.doc.resident_id",
    DocType.PASSPORT: "visitors.doc.passport",
    DocType.HK_MACAU_PERMIT: "visitors.doc.hk_macau",
    DocType.TAIWAN_PERMIT: "visitors.doc.taiwan",
    DocType.OFFICER_CARD: "visitors.doc.officer",
    DocType.OTHER: "visitors.doc.other",
}
INSIDE_COLUMNS = ("name", "kind", "organisation", "escort", "badge", "since", "id", "flag")
RECORD_COLUMNS = (
    "name",
    "kind",
    "organisation",
    "badge",
    "entered",
    "exited",
    "escort",
    "id",
    "flag",
)
When = Callable[[dt.datetime], str]  # a moment as the lists show it


def presence_cells(person: Presence, when: When, shift_flag: str) -> list[Text]:
    """A row of the "in the room now" list; ``shift_flag`` marks visitors still inside
    close to the end of the shift."""
    cells = [
        person.name,
        kind_label(person.kind),
        person.organisation,
        person.escort or "",
        person.badge or "",
        when(person.since),
        person.id_masked or "",
    ]
    flagged = shift_flag and person.kind == "visitor"
    return [*map(Text, cells), Text(f"⚑ {shift_flag}", style="bold") if flagged else Text()]


def record_cells(record: AccessRecord, when: When) -> list[Text]:
    """A row of the records list; a difference in items carried in and out is flagged."""
    exited = when(record.exited_at) if record.exited_at else t("visitors.inside")
    cells = [
        record.name,
        kind_label(record.kind),
        record.organisation,
        record.badge or "",
        when(record.entered_at),
        exited,
        record.escort or "",
        record.id_masked or "",
    ]
    mismatch = f"⚠ {t('visitors.flag.mismatch')}" if record.mismatch else ""
    return [*map(Text, cells), Text(mismatch, style="bold")]


def fill_table(table: DataTable[Text], rows: Sequence[tuple[int, list[Text]]]) -> None:
    """Replace the rows; the cursor stays on the same record when it is still listed."""
    current = cursor_id(table)
    table.clear()
    for record_id, cells in rows:
        table.add_row(*cells, key=str(record_id))
    if current is not None and str(current) in {str(record_id) for record_id, _ in rows}:
        table.move_cursor(row=table.get_row_index(str(current)), animate=False)


def cursor_id(table: DataTable[Text]) -> int | None:
    if not table.row_count:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return int(key) if key is not None else None


class RecordDetails(ModalScreen[None]):
    """Everything about one record, numbers masked unless ``revealed`` (a supervisor's
    audited reveal) is given: it is shown only while this dialog is open."""

    CSS_PATH = Path(__file__).with_name("visitor_details.tcss")
    BINDINGS = [Binding("escape", "close", "dialog.close", id="dialog.close")]

    def __init__(self, record: AccessRecord, tz: dt.tzinfo, revealed: str | None = None):
        super().__init__(id="visitor-details")
        translate_bindings(self)
        self.record, self.tz, self.revealed = record, tz, revealed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(describe(self.record, self.tz, self.revealed), id="details-text")
        yield KeyFooter()

    def action_close(self) -> None:
        self.dismiss(None)


def kind_label(kind: str) -> str:
    return t("visitors.kind.visitor") if kind == "visitor" else t("visitors.kind.staff")


def doc_label(doc: str | None) -> str:
    try:
        return t(DOC_TYPES[DocType(doc or "")])
    except ValueError:
        return doc or ""


def item_text(item: Item) -> str:
    serial = f" ({item.serial})" if item.serial else ""
    return f"{item.description}{serial} ×{item.count}"


def describe(record: AccessRecord, tz: dt.tzinfo, revealed: str | None = None) -> Text:
    def when(moment: dt.datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    id_text = f"{doc_label(record.id_type)} {revealed or record.id_masked or ''}".strip()
    if revealed:
        id_text += f"  {t('visitors.revealed')}"
    lines = [
        (t("visitors.field.name"), f"{record.name} · {kind_label(record.kind)}"),
        (t("visitors.field.organisation"), record.organisation),
        (t("visitors.field.id_number"), id_text),
        (t("visitors.field.phone"), record.phone_masked or ""),
        (t("visitors.field.purpose"), record.purpose),
        (t("visitors.field.escort"), record.escort or ""),
        (t("visitors.field.badge"), record.badge or ""),
        (t("visitors.field.work_on"), ", ".join(record.work_on)),
        (t("visitors.col.entered"), f"{when(record.entered_at)} · {record.entered_by}"),
        (
            t("visitors.col.exited"),
            f"{when(record.exited_at)} · {record.exited_by}"
            if record.exited_at
            else t("visitors.inside"),
        ),
        (t("visitors.field.items_in"), "; ".join(map(item_text, record.items_in))),
        (t("visitors.field.items_out"), "; ".join(map(item_text, record.items_out))),
        (t("visitors.field.exit_note"), record.exit_note),
    ]
    text = Text()
    for label, value in lines:
        if value:
            text.append(f"{label}: ", style="bold")
            text.append(f"{value}\n")
    if record.mismatch is not None:
        text.append(mismatch_text(record) + "\n", style="bold")
    return text


def mismatch_text(record: AccessRecord) -> str:
    mismatch = record.mismatch
    if mismatch is None:
        return ""
    return t(
        "visitors.mismatch",
        name=record.name,
        missing="; ".join(map(item_text, mismatch.missing)) or "-",
        extra="; ".join(map(item_text, mismatch.extra)) or "-",
    )

"""The access log of a period (data.records.visitors) as a printable Document: one row per
entry, ID and phone numbers masked as they are stored, the items carried in and out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo

from data.exports.document import Document, Section, Table
from data.exports.formatting import when
from data.i18n import t
from data.records.visitors.model import AccessRecord, Item

COLUMNS = (
    "id",
    "kind",
    "name",
    "organisation",
    "id_number",
    "phone",
    "purpose",
    "escort",
    "badge",
    "entered",
    "exited",
    "items_in",
    "items_out",
)


def item_text(item: Item) -> str:
    """``笔记本电脑 (PF3K9Z21) ×1``: what the visitors screen shows."""
    serial = f" ({item.serial})" if item.serial else ""
    return f"{item.description}{serial} ×{item.count}"


def items_text(items: Iterable[Item]) -> str:
    """One item a line: a spreadsheet cell or a table cell that wraps per item."""
    return "\n".join(map(item_text, items))


def visitor_row(record: AccessRecord, tz: tzinfo) -> list[str]:
    carried_out = items_text(record.items_out)
    if record.mismatch is not None:
        carried_out = "\n".join(x for x in (carried_out, t("export.visitors.mismatch")) if x)
    return [
        str(record.id),
        t(f"visitors.kind.{record.kind}"),
        record.name,
        record.organisation,
        record.id_masked or "",
        record.phone_masked or "",
        record.purpose,
        record.escort or "",
        record.badge or "",
        when(record.entered_at, tz),
        when(record.exited_at, tz) if record.exited_at else "",
        items_text(record.items_in),
        carried_out,
    ]


def visitor_list_document(
    records: Sequence[AccessRecord], site_name: str, tz: tzinfo, period: str
) -> Document:
    rows = [visitor_row(r, tz) for r in sorted(records, key=lambda r: (r.entered_at, r.id))]
    return Document(
        t("export.title.visitors"),
        site_name,
        [(t("export.report.period"), period)],
        [Section("", [], Table([t(f"export.visitors.{c}") for c in COLUMNS], rows))],
    )

"""An inspection record (巡检记录表) as a printable A4 Document (data.exports.document).

The text comes from the i18n catalogs in the active language; times are shown in the
site's time zone. The document shows the template as it was when the record was filled
in (stored with the record).
"""

from __future__ import annotations

from datetime import UTC

from data.checklists import Checklist, ChecklistItem
from data.exports.document import Document, Section, Table
from data.exports.record_doc import LocalTime, column_names, seal_meta
from data.i18n import language, t
from data.models import SiteInfo
from data.records.inspections.model import Answer, Inspection


def inspection_document(
    record: Inspection, template: Checklist | None = None, site: SiteInfo | None = None
) -> Document:
    """``template`` defaults to the one stored with the record (as it was filled in)."""
    checklist = template or record.template
    when = LocalTime(site.tz if site else UTC)
    meta = [
        (t("record_doc.record_no"), f"#{record.id}"),
        (t("record_doc.inspection.inspector"), record.inspector),
        (t("record_doc.inspection.started"), when(record.started_at)),
        (
            t("record_doc.inspection.submitted"),
            when(record.submitted_at) or t("record_doc.inspection.draft"),
        ),
        (t("record_doc.inspection.period"), record.period or ""),
    ]
    if record.amends_id is not None:
        meta.append((t("record_doc.amends"), f"#{record.amends_id}"))
    if record.seal is not None:
        meta += seal_meta(record.seal)
    columns = column_names("item", "value", "range", "flag", "note")
    sections = [
        Section(
            section.title,
            table=Table(
                columns, [_item_row(i, record.answers.get(i.id), when) for i in section.items]
            ),
        )
        for section in checklist.sections
    ]
    flagged = record.flagged()
    if flagged:
        lines = [f"{f.text}: {f.value}{f.unit or ''} — {f.note}" for f in flagged]
        sections.append(Section(t("record_doc.inspection.flagged"), lines))
    name = checklist.name if checklist.name_en is None or _chinese() else checklist.name_en
    return Document(
        title=t("record_doc.inspection.title", name=name),
        subtitle=site.name if site else "",
        meta=meta,
        sections=sections,
        signatures=[t("record_doc.sign.inspector"), t("record_doc.sign.reviewer")],
    )


def _item_row(item: ChecklistItem, answer: Answer | None, when: LocalTime) -> list[str]:
    value = answer.value if answer else None
    if value is None:
        shown = ""
    elif item.kind == "passfail":
        shown = t(f"record_doc.{value}")
    elif item.kind == "reading":
        shown = f"{float(value):g}{item.unit or ''}"
    else:
        shown = value
    notes = []
    if answer is not None and answer.prefilled:
        notes.append(t("record_doc.inspection.prefilled", time=when(answer.prefilled_at)))
    if answer is not None and answer.overridden:
        notes.append(t("record_doc.inspection.overridden", value=answer.prefilled_value or ""))
    if answer is not None and answer.note:
        notes.append(answer.note)
    flag = "!" if answer is not None and answer.flagged and value is not None else ""
    allowed = f"{item.range}{item.unit or ''}" if item.range is not None else ""
    return [item.text, shown, allowed, flag, "; ".join(notes)]


def _chinese() -> bool:
    return language() == "zh_CN"

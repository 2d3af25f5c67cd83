"""Handovers and inspection records as printable documents (data.exports.document).

The text comes from the i18n catalogs in the active language; times are shown in the
site's time zone. What a document shows is what the record holds: a handover shows the
summary the outgoing operator signed, an inspection the template as it was when it was
filled in. Neither ever carries an ID or phone number (the handover's people in the room
are names, organisations and badges only).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from data.checklists import Checklist, ChecklistItem
from data.exports.document import Document, Section, Table
from data.i18n import language, t
from data.models import SiteInfo
from data.records.alarm_rows import Alarm
from data.records.handover_rows import Handover
from data.records.handover_summary import HandoverSummary, PendingItem
from data.records.inspection_rows import Answer, Inspection
from data.records.sealing import Seal


def handover_document(handover: Handover, site: SiteInfo | None = None) -> Document:
    tz = site.tz if site else UTC
    when = _Clock(tz)
    meta = [
        (t("record_doc.record_no"), f"#{handover.id}"),
        (
            t("record_doc.handover.shift"),
            f"{handover.shift_name} {when(handover.shift_start)} – {when(handover.shift_end)}",
        ),
        (t("record_doc.handover.outgoing"), handover.operator),
        (t("record_doc.handover.signed_out"), when(handover.out_signed_at)),
        (t("record_doc.handover.incoming"), handover.incoming or ""),
        (t("record_doc.handover.signed_in"), when(handover.in_signed_at)),
    ]
    if handover.amends_id is not None:
        meta.append((t("record_doc.amends"), f"#{handover.amends_id}"))
    if handover.seal is not None:
        meta += _seal_meta(handover.seal)
    summary = handover.summary
    sections = [Section(t("record_doc.handover.notes"), [handover.notes or t("record_doc.none")])]
    if summary is not None:
        sections += _summary_sections(summary, when)
    if handover.refusals:
        rows = [[when(r.refused_at), r.refused_by, r.reason] for r in handover.refusals]
        sections.append(_table("refusals", _cols("time", "who", "reason"), rows))
    title = (
        t("record_doc.handover.amendment")
        if handover.kind == "amendment"
        else t("record_doc.handover.title")
    )
    return Document(
        title=title,
        subtitle=site.name if site else "",
        meta=meta,
        sections=sections,
        signatures=[t("record_doc.sign.outgoing"), t("record_doc.sign.incoming")],
    )


def inspection_document(
    record: Inspection, template: Checklist | None = None, site: SiteInfo | None = None
) -> Document:
    """``template`` defaults to the one stored with the record (as it was filled in)."""
    checklist = template or record.template
    when = _Clock(site.tz if site else UTC)
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
        meta += _seal_meta(record.seal)
    columns = _cols("item", "value", "range", "flag", "note")
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


def _seal_meta(seal: Seal) -> list[tuple[str, str]]:
    """The seal, and the audit chain's anchor at seal time: on paper, it lets anyone prove
    later that the trail still holds this record's row (dutydesk audit verify --anchor)."""
    meta = [(t("record_doc.seal"), seal.sha256)]
    if seal.anchor is not None:
        meta.append((t("record_doc.anchor"), str(seal.anchor)))
    return meta


def _summary_sections(summary: HandoverSummary, when: _Clock) -> list[Section]:
    alarm_columns = _cols("time", "device", "check", "severity", "message", "ack")
    sections = [
        Section(
            t("record_doc.handover.period"), [f"{when(summary.since)} – {when(summary.until)}"]
        ),
        _table(
            "pending",
            _cols("text", "who", "time", "closed"),
            [[p.text, p.opened_by, when(p.opened_at), _closed(p, when)] for p in summary.pending],
        ),
        _table("alarms_open", alarm_columns, _alarm_rows(summary.alarms_open, when)),
        _table("alarms_raised", alarm_columns, _alarm_rows(summary.alarms_raised, when)),
        _table("alarms_cleared", alarm_columns, _alarm_rows(summary.alarms_cleared, when)),
        _table(
            "transitions",
            _cols("time", "device", "check", "state", "message"),
            [
                [when(x.at), x.device_id, x.check_id, f"{x.from_state} → {x.to_state}", x.message]
                for x in summary.transitions
            ],
        ),
        _table(
            "actions",
            _cols("time", "who", "target", "outcome"),
            [[when(a.at), a.user or "", a.target, a.outcome] for a in summary.actions],
        ),
    ]
    if summary.people_in_room is None:
        sections.append(Section(t("record_doc.handover.people"), [t("record_doc.not_available")]))
    else:
        sections.append(
            _table(
                "people",
                _cols("name", "kind", "organisation", "badge", "escort", "entered"),
                [
                    [
                        p.name,
                        t(f"record_doc.person.{p.kind}"),
                        p.organisation,
                        p.badge or "",
                        p.escort or "",
                        when(p.entered_at),
                    ]
                    for p in summary.people_in_room
                ],
            )
        )
    incidents = summary.incidents
    if incidents is None:
        sections.append(
            Section(t("record_doc.handover.incidents"), [t("record_doc.not_available")])
        )
    else:
        groups = (
            ("opened", incidents.opened),
            ("closed", incidents.closed),
            ("still_open", incidents.still_open),
        )
        sections.append(
            _table(
                "incidents",
                _cols("id", "title", "severity", "status", "opened", "closed", "state"),
                [
                    [
                        f"#{i.id}",
                        i.title,
                        t(f"incident.severity.{i.severity}") if i.severity else "",
                        t(f"incident.status.{i.status}") if i.status else "",
                        when(i.opened_at),
                        when(i.closed_at),
                        t(f"record_doc.incident.{group}"),
                    ]
                    for group, lines in groups
                    for i in lines
                ],
            )
        )
    sections.append(
        _table(
            "inspections",
            _cols("template", "period", "state", "id", "due"),
            [
                [
                    i.template_name,
                    i.period,
                    t(f"record_doc.inspection.state.{i.state}"),
                    f"#{i.record_id}" if i.record_id else "",
                    when(i.due_by),
                ]
                for i in summary.inspections
            ],
        )
    )
    return sections


class _Clock:
    """Formats aware times in one zone; a missing time shows as ''."""

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz

    def __call__(self, moment: datetime | None) -> str:
        return f"{moment.astimezone(self._tz):%Y-%m-%d %H:%M}" if moment else ""


def _cols(*keys: str) -> list[str]:
    return [t(f"record_doc.col.{key}") for key in keys]


def _table(part: str, columns: list[str], rows: list[list[str]]) -> Section:
    """A handover section ``doc.handover.<part>``: the table, or "none" when empty."""
    heading = t(f"record_doc.handover.{part}")
    if not rows:
        return Section(heading, [t("record_doc.none")])
    return Section(heading, table=Table(columns, rows))


def _closed(item: PendingItem, when: _Clock) -> str:
    if item.closed_by is None:
        return ""
    return f"{item.closed_by} {when(item.closed_at)} {item.close_note or ''}".strip()


def _alarm_rows(alarms: Iterable[Alarm], when: _Clock) -> list[list[str]]:
    return [
        [
            when(a.raised_at),
            a.device_id,
            a.check_id,
            t(f"wall.state.{a.severity.lower()}"),
            a.message,
            f"{a.ack_by} {when(a.ack_at)}: {a.ack_comment}" if a.ack_by else "",
        ]
        for a in alarms
    ]


def _item_row(item: ChecklistItem, answer: Answer | None, when: _Clock) -> list[str]:
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

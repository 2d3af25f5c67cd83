"""A handover (交接班记录) as a printable Document (data.exports.document).

The text comes from the i18n catalogs in the active language; times are shown in the
site's time zone. What the document shows is what the record holds: the summary the
outgoing operator signed, never an ID or phone number (the people in the room are names,
organisations and badges only).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from data.exports.document import Document, Section, Table
from data.exports.record_doc import LocalTime, column_names, seal_meta
from data.i18n import t
from data.models import SiteInfo
from data.records.alarms.model import Alarm
from data.records.handover.model import Handover, HandoverSummary, PendingItem


def handover_document(handover: Handover, site: SiteInfo | None = None) -> Document:
    tz = site.tz if site else UTC
    when = LocalTime(tz)
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
        meta += seal_meta(handover.seal)
    summary = handover.summary
    sections = [Section(t("record_doc.handover.notes"), [handover.notes or t("record_doc.none")])]
    if summary is not None:
        sections += _summary_sections(summary, when)
    if handover.refusals:
        rows = [[when(r.refused_at), r.refused_by, r.reason] for r in handover.refusals]
        sections.append(_table("refusals", column_names("time", "who", "reason"), rows))
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


def _summary_sections(summary: HandoverSummary, when: LocalTime) -> list[Section]:
    alarm_columns = column_names("time", "device", "check", "severity", "message", "ack")
    sections = [
        Section(
            t("record_doc.handover.period"), [f"{when(summary.since)} – {when(summary.until)}"]
        ),
        _table(
            "pending",
            column_names("text", "who", "time", "closed"),
            [[p.text, p.opened_by, when(p.opened_at), _closed(p, when)] for p in summary.pending],
        ),
        _table("alarms_open", alarm_columns, _alarm_rows(summary.alarms_open, when)),
        _table("alarms_raised", alarm_columns, _alarm_rows(summary.alarms_raised, when)),
        _table("alarms_cleared", alarm_columns, _alarm_rows(summary.alarms_cleared, when)),
        _table(
            "transitions",
            column_names("time", "device", "check", "state", "message"),
            [
                [when(x.at), x.device_id, x.check_id, f"{x.from_state} → {x.to_state}", x.message]
                for x in summary.transitions
            ],
        ),
        _table(
            "actions",
            column_names("time", "who", "target", "outcome"),
            [[when(a.at), a.user or "", a.target, a.outcome] for a in summary.actions],
        ),
    ]
    if summary.people_in_room is None:
        sections.append(Section(t("record_doc.handover.people"), [t("record_doc.not_available")]))
    else:
        sections.append(
            _table(
                "people",
                column_names("name", "kind", "organisation", "badge", "escort", "entered"),
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
                column_names("id", "title", "severity", "status", "opened", "closed", "state"),
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
            column_names("template", "period", "state", "id", "due"),
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


def _table(part: str, columns: list[str], rows: list[list[str]]) -> Section:
    """A handover section ``doc.handover.<part>``: the table, or "none" when empty."""
    heading = t(f"record_doc.handover.{part}")
    if not rows:
        return Section(heading, [t("record_doc.none")])
    return Section(heading, table=Table(columns, rows))


def _closed(item: PendingItem, when: LocalTime) -> str:
    if item.closed_by is None:
        return ""
    return f"{item.closed_by} {when(item.closed_at)} {item.close_note or ''}".strip()


def _alarm_rows(alarms: Iterable[Alarm], when: LocalTime) -> list[list[str]]:
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

"""Incidents as printable Documents: one incident's record (故障处置记录) with its
timeline, and a list of incidents for ``dutydesk export incidents``.

The caller's phone number is masked (data.exports.formatting.masked_phone): an exported
record is filed and passed around; the full number stays in the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from data.exports.document import Document, Section, Table
from data.exports.drill_doc import run_section
from data.exports.formatting import NONE, duration, masked_phone, when
from data.i18n import t
from data.records.emergency.model import PlanRun
from data.records.incidents.model import Incident


def _response(incident: Incident, now: datetime) -> str:
    clock = incident.response(now)
    return f"{t(f'response.{clock.status.value}')} ({duration(incident.target)})"


def incident_document(
    incident: Incident,
    site_name: str = "",
    tz: tzinfo = UTC,
    now: datetime | None = None,
    plan_runs: Sequence[PlanRun] = (),
) -> Document:
    """One incident, with the timeline that ``IncidentBook.get`` fills in, and the step
    log of each emergency plan started for it."""
    moment = now or datetime.now(UTC)
    where = " / ".join(x for x in (incident.device_id, incident.check_id) if x) or NONE
    meta = [
        (t("export.incident.title_field"), incident.title),
        (t("export.incident.severity"), t(f"incident.severity.{incident.severity}")),
        (t("export.incident.category"), t(f"incident.category.{incident.category}")),
        (t("export.incident.status"), t(f"incident.status.{incident.status}")),
        (t("export.incident.device"), where),
        (t("export.incident.reported_at"), when(incident.reported_at, tz)),
        (t("export.incident.opened_by"), incident.opened_by),
    ]
    if incident.caller or incident.department or incident.phone:
        caller = " ".join(filter(None, (incident.department, incident.caller)))
        meta.append((t("export.incident.caller"), f"{caller} {masked_phone(incident.phone)}"))
    times = Table(
        [t("export.incident.milestone"), t("export.incident.at"), t("export.incident.elapsed")],
        [
            [
                t("export.incident.responded"),
                when(incident.responded_at, tz),
                duration(incident.time_to_respond),
            ],
            [
                t("export.incident.resolved"),
                when(incident.resolved_at, tz),
                duration(incident.time_to_resolve),
            ],
            [t("export.incident.closed"), when(incident.closed_at, tz), ""],
        ],
    )
    sections = [
        Section(
            t("export.incident.response_heading"),
            [
                t(
                    "export.field",
                    label=t("export.incident.response"),
                    value=_response(incident, moment),
                )
            ],
            times,
        )
    ]
    if incident.description:
        sections.insert(0, Section(t("export.incident.description"), [incident.description]))
    if incident.vendor:
        vendor = Table(
            [t("export.incident.field"), t("export.incident.value")],
            [
                [t("export.incident.vendor"), incident.vendor],
                [t("export.incident.vendor_contact"), incident.vendor_contact or NONE],
                [t("export.incident.vendor_ticket"), incident.vendor_ticket or NONE],
                [t("export.incident.escalated_at"), when(incident.escalated_at, tz)],
                [t("export.incident.vendor_responded_at"), when(incident.vendor_responded_at, tz)],
            ],
        )
        sections.append(Section(t("export.incident.vendor_heading"), table=vendor))
    sections.append(
        Section(
            t("export.incident.fix_heading"),
            [
                t("export.field", label=t("export.incident.cause"), value=incident.cause or NONE),
                t(
                    "export.field",
                    label=t("export.incident.solution"),
                    value=incident.solution or NONE,
                ),
            ],
        )
    )
    timeline = Table(
        [
            t("export.incident.at"),
            t("export.incident.who"),
            t("export.incident.what"),
            t("export.incident.text"),
        ],
        [[when(e.at, tz), e.who, t(f"incident.entry.{e.kind}"), e.text] for e in incident.timeline],
    )
    sections.append(Section(t("export.incident.timeline"), table=timeline))
    sections.extend(run_section(run, tz) for run in plan_runs)
    return Document(
        title=t("export.incident.record_title", id=incident.id),
        subtitle=site_name,
        meta=meta,
        sections=sections,
        signatures=[t("export.sign.handled"), t("export.sign.reviewed")],
    )


def incident_table(incidents: Sequence[Incident], tz: tzinfo, now: datetime) -> Table:
    columns = [
        t("export.incident.id"),
        t("export.incident.reported_at"),
        t("export.incident.title_field"),
        t("export.incident.severity"),
        t("export.incident.category"),
        t("export.incident.device"),
        t("export.incident.status"),
        t("export.incident.time_to_respond"),
        t("export.incident.response"),
        t("export.incident.time_to_resolve"),
        t("export.incident.cause"),
        t("export.incident.solution"),
    ]
    rows = [
        [
            str(i.id),
            when(i.reported_at, tz),
            i.title,
            t(f"incident.severity.{i.severity}"),
            t(f"incident.category.{i.category}"),
            i.device_id or NONE,
            t(f"incident.status.{i.status}"),
            duration(i.time_to_respond),
            t(f"response.{i.response(now).status.value}"),
            duration(i.time_to_resolve),
            i.cause or "",
            i.solution or "",
        ]
        for i in incidents
    ]
    return Table(columns, rows)


def incident_list_document(
    incidents: Sequence[Incident],
    site_name: str = "",
    tz: tzinfo = UTC,
    period: str = "",
    now: datetime | None = None,
) -> Document:
    """Incidents (e.g. ``IncidentBook.history``) as one table, oldest first."""
    ordered = sorted(incidents, key=lambda i: (i.reported_at, i.id))
    table = incident_table(ordered, tz, now or datetime.now(UTC))
    meta = [(t("export.report.period"), period)] if period else []
    meta.append((t("export.report.count"), str(len(ordered))))
    return Document(
        title=t("export.incident.list_title"),
        subtitle=site_name,
        meta=meta,
        sections=[Section(t("export.incident.list_title"), table=table)],
        signatures=[t("export.sign.prepared"), t("export.sign.reviewed")],
    )

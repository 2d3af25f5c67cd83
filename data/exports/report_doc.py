"""A service report (data.records.reports.Report) as a printable Document."""

from __future__ import annotations

from data.exports.document import Document, Section, Table
from data.exports.formatting import NONE, duration, hours, percent, when
from data.i18n import t
from data.records.reports.model import Report
from data.records.roster.stats import RosterStats

_STATES = ("CRITICAL", "WARNING", "UNKNOWN")


def report_document(report: Report) -> Document:
    tz = report.start.tzinfo
    assert tz is not None  # period_bounds makes them in the site's zone
    meta = [
        (t("export.report.period"), report.label),
        (t("export.report.range"), f"{when(report.start, tz)} – {when(report.end, tz)}"),
    ]
    if report.counted_until < report.end:
        meta.append((t("export.report.counted_until"), when(report.counted_until, tz)))
    meta += [(t(f"export.report.scope.{key}"), value) for key, value in report.scope.items()]
    meta.append((t("export.generated_at"), when(report.generated_at, tz)))
    sections = [
        _summary(report),
        _availability(report),
        _alarms(report),
        *_incidents(report),
        _inspections(report),
        _actions(report),
        *_hotline(report),
        *_drills(report),
        *_warranties(report),
        *_roster(report),
    ]
    return Document(
        title=t("export.report.title"),
        subtitle=report.site_name,
        meta=meta,
        sections=sections,
        signatures=[t("export.sign.prepared"), t("export.sign.reviewed")],
    )


def _summary(report: Report) -> Section:
    a, i = report.alarms, report.incidents
    rows = [
        [t("export.report.alarms_total"), str(a.total)],
        [t("export.report.mtta"), duration(a.mtta)],
        [t("export.report.mttr"), duration(a.mttr)],
        [t("export.report.incidents_total"), str(i.total)],
        [
            t("export.report.compliance"),
            f"{percent(i.compliance, 1)} ({i.met}/{i.met + i.breached})",
        ],
        [t("export.report.mean_respond"), duration(i.mean_respond)],
        [t("export.report.mean_resolve"), duration(i.mean_resolve)],
    ]
    if report.inspections is not None:
        done = sum(s.done for s in report.inspections)
        due = sum(s.due for s in report.inspections)
        rows.append([t("export.report.inspections_done"), f"{done}/{due}"])
    if report.visitors is not None:
        rows.append([t("export.report.visitor_entries"), str(report.visitors.visitor_entries)])
        rows.append([t("export.report.staff_entries"), str(report.visitors.staff_entries)])
    rows.append([t("export.report.actions"), f"{report.actions.ok}/{report.actions.total}"])
    if report.hotline is not None:
        rows.append([t("export.report.calls_total"), str(report.hotline.calls)])
        rows.append([t("export.report.followups_open"), str(report.hotline.open_followups)])
    if report.drills is not None:
        d = report.drills
        rows.append([t("export.report.drills_done"), str(len(d.drills))])
        rows.append([t("export.report.drill_plan_done"), f"{d.planned_done}/{len(d.planned)}"])
    columns = [t("export.report.figure"), t("export.report.value")]
    return Section(t("export.report.summary"), table=Table(columns, rows))


def _availability(report: Report) -> Section:
    columns = [
        t("export.report.device"),
        t("export.report.check"),
        t("export.report.availability"),
        *(t(f"export.report.hours.{state}") for state in _STATES),
        t("export.report.hours.unmonitored"),
        t("export.report.hours.maintenance"),
    ]
    rows = []
    for device in report.devices:
        rows.append(
            [
                device.device_name,
                t("export.report.device_overall"),
                percent(device.ratio),
                "",
                "",
                "",
                "",
                hours(device.maintenance),
            ]
        )
        for check in device.checks:
            rows.append(
                [
                    device.device_name,
                    check.check_id,
                    percent(check.ratio),
                    *(hours(check.seconds[state]) for state in _STATES),
                    hours(check.unmonitored),
                    hours(check.maintenance),
                ]
            )
    note = t("export.report.availability_note")
    return Section(t("export.report.availability_heading"), [note], Table(columns, rows))


def _alarms(report: Report) -> Section:
    columns = [t("export.report.severity"), t("export.report.count")]
    rows = [[t(f"export.alarm.{sev}"), str(n)] for sev, n in report.alarms.by_severity.items()]
    rows.append([t("export.report.total"), str(report.alarms.total)])
    text = t(
        "export.report.alarm_note",
        acked=report.alarms.acknowledged,
        cleared=report.alarms.cleared,
        mtta=duration(report.alarms.mtta),
        mttr=duration(report.alarms.mttr),
    )
    return Section(t("export.report.alarms_heading"), [text], Table(columns, rows))


def _incidents(report: Report) -> list[Section]:
    stats = report.incidents
    tz = report.start.tzinfo
    assert tz is not None
    counts = Table(
        [t("export.report.kind"), t("export.report.count")],
        [[t(f"incident.category.{k}"), str(n)] for k, n in stats.by_category.items()]
        + [[t(f"incident.severity.{k}"), str(n)] for k, n in stats.by_severity.items()],
    )
    text = t(
        "export.report.response_note",
        met=stats.met,
        breached=stats.breached,
        pending=stats.pending,
        compliance=percent(stats.compliance, 1),
    )
    columns = [
        t("export.incident.id"),
        t("export.incident.reported_at"),
        t("export.incident.title_field"),
        t("export.incident.severity"),
        t("export.incident.category"),
        t("export.incident.time_to_respond"),
        t("export.incident.response"),
        t("export.incident.status"),
    ]
    rows = [
        [
            str(i.id),
            when(i.reported_at, tz),
            i.title,
            t(f"incident.severity.{i.severity}"),
            t(f"incident.category.{i.category}"),
            duration(i.time_to_respond),
            t(f"response.{i.response(report.generated_at).status.value}"),
            t(f"incident.status.{i.status}"),
        ]
        for i in stats.incidents
    ]
    listing = Section(t("export.report.incident_list"), table=Table(columns, rows))
    return [Section(t("export.report.incidents_heading"), [text], counts), listing]


def _inspections(report: Report) -> Section:
    heading = t("export.report.inspections_heading")
    if report.inspections is None:
        return Section(heading, [t("export.report.no_inspection_records")])
    columns = [
        t("export.report.template"),
        t("export.report.schedule"),
        t("export.report.due"),
        t("export.report.done"),
        t("export.report.missed"),
    ]
    rows = [
        [s.name, t(f"export.schedule.{s.schedule}"), str(s.due), str(s.done), str(s.missed)]
        for s in report.inspections
    ]
    visitors = report.visitors
    text = (
        t(
            "export.report.visitor_note",
            visitors=visitors.visitor_entries,
            staff=visitors.staff_entries,
        )
        if visitors is not None
        else NONE
    )
    return Section(heading, [text], Table(columns, rows))


def _actions(report: Report) -> Section:
    columns = [t("export.report.action"), t("export.report.ok"), t("export.report.failed")]
    rows = [[name, str(ok), str(failed)] for name, (ok, failed) in report.actions.by_action.items()]
    rows.append([t("export.report.total"), str(report.actions.ok), str(report.actions.failed)])
    return Section(t("export.report.actions_heading"), table=Table(columns, rows))


def _drills(report: Report) -> list[Section]:
    """The period's drills, and the year's drill plan against the drills done so far."""
    d = report.drills
    if d is None:
        return []
    tz = report.start.tzinfo
    assert tz is not None
    done = Table(
        [
            t("export.drills.plan"),
            t("export.drills.scenario"),
            t("export.drills.started_at"),
            t("export.drills.participants"),
            t("export.drills.findings"),
            t("export.drills.follow_ups"),
        ],
        [
            [
                run.plan_name,
                run.scenario,
                when(run.started_at, tz),
                "、".join(run.participants),
                run.findings,
                "；".join(run.follow_ups),
            ]
            for run in d.drills
        ],
    )
    note = t("export.report.drills_note", runs=d.incident_runs)
    plan = Table(
        [
            t("export.drills.plan"),
            t("export.report.drill_month"),
            t("export.report.drills_held"),
            t("export.report.drill_last"),
            t("export.report.drill_status"),
        ],
        [
            [
                p.plan_name,
                str(p.month),
                str(p.done),
                when(p.last, tz) if p.last else NONE,
                t(f"export.report.drill_status.{p.status}"),
            ]
            for p in d.planned
        ],
    )
    return [
        Section(t("export.report.drills_heading"), [note], done),
        Section(t("export.report.drill_plan_heading", year=d.year), table=plan),
    ]


def _warranties(report: Report) -> list[Section]:
    """The devices whose warranty (or maintenance contract) ends within 60 days of the
    last day counted, the soonest first: to renew before they run out."""
    if not report.warranties:
        return []
    columns = [
        t(f"export.assets.{c}")
        for c in ("asset_number", "device", "vendor", "contract_number", "support_level")
    ]
    columns += [t("export.assets.contract.hotline"), t("export.assets.warranty_end")]
    rows = [
        [
            a.asset_number or t("export.assets.unregistered"),
            f"{a.device_name} ({a.device_id})",
            a.vendor,
            a.contract_number or "",
            a.effective_support_level,
            a.hotline,
            str(a.covered_until or ""),
        ]
        for a in report.warranties
    ]
    return [Section(t("export.report.warranties"), table=Table(columns, rows))]


def _hotline(report: Report) -> list[Section]:
    """Calls, follow-ups by satisfaction and those still due; none in a filtered report."""
    h = report.hotline
    if h is None:
        return []
    rows = [
        [t("export.report.calls_total"), str(h.calls)],
        [t("export.report.calls_to_incidents"), str(h.to_incidents)],
        [t("export.report.followups_done"), str(h.followups_done)],
        *([t(f"hotline.satisfaction.{k}"), str(n)] for k, n in h.followups.items()),
        [t("export.report.satisfaction_rate"), percent(h.satisfaction_rate, 1)],
        [t("export.report.followups_open"), str(h.open_followups)],
    ]
    columns = [t("export.report.figure"), t("export.report.value")]
    return [Section(t("export.report.hotline"), table=Table(columns, rows))]


def roster_figures(r: RosterStats) -> list[list[str]]:
    """The roster's rows (figure, value), people by full name; the reports section shows
    the same rows."""
    return [
        [t("export.report.roster_days"), f"{r.days_rostered}/{r.days}"],
        [t("export.report.roster_swaps"), str(r.swaps)],
        [t("export.report.roster_off"), str(r.off_roster_handovers)],
        *(
            [t("export.report.roster_person", name=r.names.of(name)), str(n)]
            for name, n in r.shifts_by_person.items()
        ),
    ]


def assurance_columns() -> list[str]:
    return [
        t("roster.col.period"),
        t("export.report.roster_span"),
        t("roster.col.leader"),
        t("export.report.roster_period_days"),
        t("export.report.roster_short"),
    ]


def assurance_rows(r: RosterStats) -> list[list[str]]:
    """Each assurance period of the month: its days in the report and the shifts of those
    days short of its two-person duty."""
    return [
        [
            a.period.name,
            f"{a.period.start} – {a.period.end}",
            a.period.leader,
            str(a.days),
            str(a.short_shifts),
        ]
        for a in r.assurance
    ]


def _roster(report: Report) -> list[Section]:
    """Days rostered, swaps, handovers off the roster, shifts per person, and each
    assurance period of the month (short shifts: fewer than its two-person duty)."""
    r = report.roster
    if r is None:
        return []
    columns = [t("export.report.figure"), t("export.report.value")]
    sections = [Section(t("export.report.roster"), table=Table(columns, roster_figures(r)))]
    if r.assurance:
        periods = Table(assurance_columns(), assurance_rows(r))
        sections.append(Section(t("export.report.assurance"), table=periods))
    return sections

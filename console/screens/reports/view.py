"""How the reports section draws a service report (data.records.reports.Report): small
tables of plain text and the availability bars. Numbers are formatted as in the exported
report (data.exports.formatting), so the screen and the paper agree.
"""

from __future__ import annotations

import datetime as dt
import math

from rich import box
from rich.cells import cell_len
from rich.table import Table

from data.exports.formatting import NONE, duration, hours, percent
from data.exports.report_doc import assurance_columns, assurance_rows, roster_figures
from data.i18n import t
from data.records.reports.model import DeviceAvailability, Report
from widgets.bar_chart import Bar

ALERT_BELOW = 0.99  # availability under this is marked on the chart
ALARM_STATES = ("CRITICAL", "UNKNOWN", "WARNING")


def table(*columns: str, title: str = "", words: tuple[int, ...] = (0,)) -> Table:
    """A plain table: bold header, no colours (the theme colours the screen); the columns
    at ``words`` hold text (left aligned), the others figures (right aligned)."""
    grid = Table(
        title=title or None,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
    )
    for index, name in enumerate(columns):
        grid.add_column(name, justify="left" if index in words else "right", no_wrap=index > 0)
    return grid


def worst_first(report: Report) -> list[DeviceAvailability]:
    """Lowest availability first; devices with nothing measured last."""
    return sorted(report.devices, key=lambda d: (d.ratio is None, d.ratio or 0.0, d.device_id))


def availability(report: Report) -> Table:
    grid = table(
        t("reports.col.device"),
        t("reports.col.availability"),
        t("reports.col.critical_h"),
        t("reports.col.maintenance_h"),
    )
    for device in worst_first(report):
        down = sum(check.seconds["CRITICAL"] for check in device.checks)
        grid.add_row(
            device.device_name, percent(device.ratio), hours(down), hours(device.maintenance)
        )
    return grid


def chart_floor(report: Report) -> float:
    """Where the availability bars start: a whole percent at least one point under the
    worst device, so 99.2 % and 100 % look different (the scale is printed with it)."""
    ratios = [device.ratio for device in report.devices if device.ratio is not None]
    return max(0.0, math.floor(min(ratios, default=1.0) * 100 - 1) / 100)


def availability_bars(report: Report) -> list[Bar]:
    return [
        Bar(
            device.device_name,
            device.ratio,
            percent(device.ratio),
            alert=device.ratio is not None and device.ratio < ALERT_BELOW,
        )
        for device in worst_first(report)
    ]


def alarms(report: Report) -> Table:
    stats = report.alarms
    grid = table(t("reports.col.alarms"), t("reports.col.count"), title=t("reports.alarms_heading"))
    for state in ALARM_STATES:
        grid.add_row(t(f"export.alarm.{state}"), str(stats.by_severity.get(state, 0)))
    grid.add_row(t("export.report.total"), str(stats.total))
    grid.add_row(t("reports.acknowledged"), str(stats.acknowledged))
    grid.add_row(t("reports.mtta"), duration(stats.mtta))
    grid.add_row(t("reports.mttr"), duration(stats.mttr))
    return grid


def response(report: Report) -> Table:
    stats = report.incidents
    grid = table(
        t("reports.col.incidents"), t("reports.col.value"), title=t("reports.response_heading")
    )
    judged = stats.met + stats.breached
    grid.add_row(t("export.report.total"), str(stats.total))
    grid.add_row(t("reports.met"), f"✔ {stats.met}")
    grid.add_row(t("reports.breached"), f"✖ {stats.breached}")
    grid.add_row(t("reports.pending"), str(stats.pending))
    grid.add_row(t("reports.compliance"), f"{percent(stats.compliance, 1)} ({stats.met}/{judged})")
    grid.add_row(t("reports.mean_respond"), duration(stats.mean_respond))
    grid.add_row(t("reports.mean_resolve"), duration(stats.mean_resolve))
    return grid


def categories(report: Report) -> Table:
    stats = report.incidents
    grid = table(
        t("reports.col.category"), t("reports.col.count"), title=t("reports.categories_heading")
    )
    for category, count in stats.by_category.items():
        grid.add_row(t(f"incident.category.{category}"), str(count))
    for severity, count in stats.by_severity.items():
        grid.add_row(t(f"incident.severity.{severity}"), str(count))
    return grid


def inspections(report: Report) -> Table:
    grid = table(
        t("reports.col.inspection"),
        t("reports.col.done_due"),
        t("reports.col.missed"),
        title=t("reports.inspections_heading"),
    )
    for stats in report.inspections or ():
        grid.add_row(stats.name, f"{stats.done}/{stats.due}", str(stats.missed))
    visitors = report.visitors
    grid.add_row(t("reports.visitors"), str(visitors.visitor_entries) if visitors else NONE, "")
    grid.add_row(t("reports.staff"), str(visitors.staff_entries) if visitors else NONE, "")
    return grid


def actions(report: Report) -> Table:
    stats = report.actions
    grid = table(
        t("reports.col.action"),
        t("reports.col.ok"),
        t("reports.col.failed"),
        title=t("reports.actions_heading"),
    )
    for name, (ok, failed) in stats.by_action.items():
        grid.add_row(name, str(ok), str(failed))
    grid.add_row(t("export.report.total"), str(stats.ok), str(stats.failed))
    return grid


def roster(report: Report) -> Table | str:
    """The roster's figures as in the exported report; nothing for a report of some
    devices (the roster concerns the whole room)."""
    if report.roster is None:
        return ""
    grid = table(
        t("export.report.figure"), t("export.report.value"), title=t("export.report.roster")
    )
    for row in roster_figures(report.roster):
        grid.add_row(*row)
    return grid


def assurance(report: Report) -> Table | str:
    """The month's assurance periods (重大节假日保障), as in the exported report."""
    if report.roster is None or not report.roster.assurance:
        return ""
    grid = table(*assurance_columns(), title=t("export.report.assurance"), words=(0, 1, 2))
    rows = assurance_rows(report.roster)
    # At 80 columns the long headings of the counts wrap, so the period's name keeps its room.
    grid.columns[0].min_width = max(cell_len(row[0]) for row in rows)
    for column in grid.columns[3:]:
        column.no_wrap, column.overflow = False, "fold"
    for row in rows:
        grid.add_row(*row)
    return grid


def incident_list(report: Report, tz: dt.tzinfo) -> Table:
    grid = table(
        t("reports.col.incident"),
        t("reports.col.reported"),
        t("reports.col.respond_time"),
        t("reports.col.response"),
        t("reports.col.resolve_time"),
        t("reports.col.status"),
        title=t("reports.incidents_heading", n=report.incidents.total),
        words=(0, 1, 3, 5),
    )
    for incident in report.incidents.incidents:
        verdict = incident.response(report.generated_at).status.value
        grid.add_row(
            f"#{incident.id} {incident.title}",
            incident.reported_at.astimezone(tz).strftime("%m-%d %H:%M"),
            duration(incident.time_to_respond),
            t(f"response.{verdict}"),
            duration(incident.time_to_resolve),
            t(f"incident.status.{incident.status}"),
        )
    return grid

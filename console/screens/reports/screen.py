"""The reports section (服务统计): one month's service statistics, by zone, kind or device,
and (for the whole site) the duty roster's figures and assurance periods, as exported.

The month opens on the current one; ``[`` and ``]`` step back and forward (not past this
month). The figures come from data.records.reports.monthly; ``x`` writes the report as
CSV, Markdown and PDF to the exports folder (a supervisor's permission, audited).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Select, Static

from console.context import DeskContext
from console.screens.export_files import write_exports
from console.screens.reports import view as view
from console.screens.section import SectionScreen
from data.errors import DutyDeskError
from data.exports.formatting import percent
from data.exports.report_doc import report_document
from data.i18n import explain, t
from data.records.reports.model import Report
from widgets.bar_chart import BarChart

FILTERS = ("zone", "kind", "device")


def shift_month(month: str, step: int) -> str:
    """``"2026-11"`` moved by ``step`` months."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class ReportsScreen(SectionScreen):
    SECTION = "reports"
    BINDINGS = [
        Binding("left_square_bracket", "month(-1)", "reports.key.previous", id="reports.previous"),
        Binding("right_square_bracket", "month(1)", "reports.key.next", id="reports.next"),
        Binding("t", "this_month", "reports.key.this_month", id="reports.this_month"),
        Binding("x", "export", "reports.key.export", id="reports.export"),
    ]
    CSS_PATH = Path(__file__).with_name("reports.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.month = ""  # YYYY-MM, set on mount from the site's clock
        self.report: Report | None = None
        self.exported: list[Path] = []  # the files of the last export

    def compose_body(self) -> ComposeResult:
        site = self.ctx.desk.site
        yield Static("", id="reports-title", markup=False)
        kinds = sorted({device.kind for device in site.devices})
        options: dict[str, list[tuple[str, str]]] = {
            "zone": [(zone.name, zone.id) for zone in site.zones],
            "kind": [(t(f"reports.kind.{kind}"), kind) for kind in kinds],
            "device": [(f"{device.name} ({device.id})", device.id) for device in site.devices],
        }
        with Horizontal(id="reports-filters"):
            for name in FILTERS:
                yield Select(
                    options[name],
                    prompt=t(f"reports.filter.{name}"),
                    id=f"reports-{name}",
                    compact=True,
                )
        with VerticalScroll(id="reports-body"):
            yield Static("", id="reports-availability-heading", classes="reports-heading")
            with Horizontal(classes="reports-row"):
                yield Static("", id="reports-availability")
                yield BarChart(id="reports-chart", low=0.0, high=1.0)
            with Horizontal(classes="reports-row"):
                for name in ("alarms", "response", "categories"):
                    yield Static("", id=f"reports-{name}")
            with Horizontal(classes="reports-row"):
                for name in ("inspections", "actions"):
                    yield Static("", id=f"reports-{name}")
            # the assurance periods' table is wide (five columns): each on its own line
            yield Static("", id="reports-roster")
            yield Static("", id="reports-assurance")
            yield Static("", id="reports-incidents")

    def on_mount(self) -> None:
        self.month = self._this_month()
        self.query_one("#reports-body").focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    def _this_month(self) -> str:
        desk = self.ctx.desk
        return desk.clock().astimezone(desk.site.site.tz).strftime("%Y-%m")

    def filter_value(self, name: str) -> str | None:
        value = self.query_one(f"#reports-{name}", Select).value
        return value if isinstance(value, str) else None

    @work(exclusive=True, group="reports-reload")
    async def reload(self) -> None:
        title = self.query_one("#reports-title", Static)
        title.update(t("reports.loading", month=self.month))
        try:
            report = await self.ctx.desk.reports.monthly(
                self.month,
                self.filter_value("zone"),
                self.filter_value("kind"),
                self.filter_value("device"),
            )
        except DutyDeskError as error:
            title.update(explain(error))
            return
        self.report = report
        self._show(report)

    def _show(self, report: Report) -> None:
        tz = self.ctx.desk.site.site.tz
        last_day = (report.end - dt.timedelta(seconds=1)).astimezone(tz)
        scope = ", ".join(
            f"{t(f'reports.filter.{key}')} {value}" for key, value in report.scope.items()
        ) or t("reports.all")
        self.query_one("#reports-title", Static).update(
            t(
                "reports.title",
                month=report.label,
                start=f"{report.start.astimezone(tz):%m-%d}",
                end=f"{last_day:%m-%d}",
                scope=scope,
            )
        )
        with self.app.batch_update():
            self.query_one("#reports-availability", Static).update(view.availability(report))
            chart = self.query_one("#reports-chart", BarChart)
            chart.low = view.chart_floor(report)
            chart.bars = tuple(view.availability_bars(report))
            self.query_one("#reports-availability-heading", Static).update(
                f"{t('reports.availability_heading')} · "
                + t("reports.chart_scale", low=percent(chart.low, 0))
            )
            for name, render in (
                ("alarms", view.alarms),
                ("response", view.response),
                ("categories", view.categories),
                ("inspections", view.inspections),
                ("actions", view.actions),
                ("roster", view.roster),
                ("assurance", view.assurance),
            ):
                self.query_one(f"#reports-{name}", Static).update(render(report))
            self.query_one("#reports-incidents", Static).update(view.incident_list(report, tz))

    @on(Select.Changed, "#reports-filters Select")
    def _filter_changed(self) -> None:
        self.reload()

    def action_month(self, step: int) -> None:
        latest = self._this_month()
        wanted = shift_month(self.month, step)
        if wanted > latest:
            self.notify(t("reports.no_future"))
            return
        self.month = wanted
        self.reload()

    def action_this_month(self) -> None:
        self.month = self._this_month()
        self.reload()

    def action_export(self) -> None:
        if self.report is not None:
            self._export(self.report)

    @work(group="reports-export")
    async def _export(self, report: Report) -> None:
        stem = "-".join(["report", report.label, *report.scope.values()])
        try:
            paths = await write_exports(
                self.ctx,
                report_document(report),
                stem,
                ("csv", "md", "pdf"),
                "report.export",
                f"report:{report.label}",
            )
        except (OSError, DutyDeskError) as error:
            self.notify(t("reports.export_failed", reason=explain(error)), severity="error")
            return
        self.exported = paths
        self.notify(t("reports.exported", files=", ".join(str(p) for p in paths)))

"""The duty roster section (值班排班): a month's grid of who is on which shift each day,
the selected day's leader on call, vendors' contacts and swaps, and the keys that let a
supervisor (or the admin) edit a day and record a swap. Operators read.

Who may edit, and every rule of a day (known accounts, two-person duty during an
assurance period), is data.records.roster's: this screen shows its answers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.context import DeskContext
from console.screens.export_files import write_exports
from console.screens.roster.dialogs import DayDialog, SwapDialog
from console.screens.roster.view import GRID_COLUMNS, day_details, grid_cells, month_title
from console.screens.section import SectionScreen
from data.errors import DutyDeskError
from data.exports.document import Document
from data.exports.roster_doc import assurance_of, roster_of
from data.i18n import explain, t
from data.records.roster.model import RosterDay, Swap
from data.records.roster.names import PeopleNames
from data.roles import Permission, allows


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def shift_month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


class RosterScreen(SectionScreen):
    SECTION = "roster"
    RECORD_ACTIONS = ("roster.",)
    BINDINGS = [
        Binding("enter,e", "edit_day", "roster.key.edit", id="roster.edit"),
        Binding("w", "swap", "roster.key.swap", id="roster.swap"),
        Binding("p", "month(-1)", "roster.key.previous", id="roster.previous"),
        Binding("n", "month(1)", "roster.key.next", id="roster.next"),
        Binding("t", "today", "roster.key.today", id="roster.today"),
        Binding("x", "export_month", "roster.key.export", id="roster.export"),
        Binding("d", "daily_report", "roster.key.daily", id="roster.daily"),
    ]
    CSS_PATH = Path(__file__).with_name("roster.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.first = month_start(ctx.desk.roster.today())
        self.days: list[RosterDay] = []
        self.swaps: list[Swap] = []
        self.names = PeopleNames()  # the accounts' full names, read at each reload
        self.exported: list[Path] = []  # the files of the last export (tests read them)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="roster-title", markup=False)
        yield DataTable[Text](id="roster-grid", cursor_type="row", zebra_stripes=True)
        yield Static("", id="roster-day", markup=False)

    @property
    def grid(self) -> DataTable[Text]:
        return self.query_one("#roster-grid", DataTable)

    def on_mount(self) -> None:
        for column in GRID_COLUMNS:
            self.grid.add_column(t(f"roster.col.{column}"), key=column)
        for shift in self.ctx.desk.roster.shift_names:
            self.grid.add_column(shift, key=f"shift:{shift}")
        self.grid.add_column(t("roster.col.leader"), key="leader")
        self.grid.focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.call_later(self.reload)

    async def reload(self, cursor: dt.date | None = None) -> None:
        book = self.ctx.desk.roster
        last = shift_month(self.first, 1) - dt.timedelta(days=1)
        self.days = await book.days(self.first, last)
        self.swaps = await book.swaps(self.first, last)
        self.names = await book.people_names()
        today = book.today()
        wanted = cursor or self.selected_day() or today
        self.query_one("#roster-title", Static).update(month_title(self.first, self.days))
        grid = self.grid
        grid.clear()
        for day in self.days:
            cells = grid_cells(day, book.shift_names, today, self.names)
            grid.add_row(*cells, key=day.day.isoformat())
        if self.first <= wanted <= last:
            grid.move_cursor(row=(wanted - self.first).days, animate=False)
        self.show_day()

    def selected_day(self) -> dt.date | None:
        if not self.days or not self.grid.row_count:
            return None
        row = self.grid.cursor_row
        return self.days[row].day if 0 <= row < len(self.days) else None

    def selected(self) -> RosterDay | None:
        day = self.selected_day()
        return None if day is None else self.days[(day - self.first).days]

    @on(DataTable.RowHighlighted, "#roster-grid")
    def show_day(self) -> None:
        day = self.selected()
        text = ""
        if day is not None:
            swaps = [swap for swap in self.swaps if swap.day == day.day]
            text = day_details(day, swaps, self.ctx.desk.roster.shift_names, self.names)
        self.query_one("#roster-day", Static).update(text)

    async def action_month(self, months: int) -> None:
        self.first = shift_month(self.first, months)
        await self.reload(self.first)

    async def action_today(self) -> None:
        today = self.ctx.desk.roster.today()
        self.first = month_start(today)
        await self.reload(today)

    def may_edit(self) -> bool:
        user = self.ctx.user
        if user is not None and allows(user.role, Permission.EDIT_ROSTER):
            return True
        self.notify(t("roster.read_only"), severity="warning")
        return False

    def action_edit_day(self) -> None:
        day, user = self.selected(), self.ctx.user
        if day is None or user is None or not self.may_edit():
            return

        def saved(result: RosterDay | None) -> None:
            if result is not None:
                self.notify(t("roster.saved", day=result.day.isoformat()))
                self.ctx.figures.roster.invalidate()

        self.app.push_screen(DayDialog(self.ctx.desk.roster, user, day, self.names), saved)

    def action_swap(self) -> None:
        day, user = self.selected(), self.ctx.user
        if day is None or user is None or not self.may_edit():
            return

        def recorded(result: Swap | None) -> None:
            if result is not None:
                self.notify(
                    t(
                        "roster.swapped",
                        to=self.names.of(result.to_name),
                        shift=result.shift,
                        **{"from": self.names.of(result.from_name)},
                    )
                )
                self.ctx.figures.roster.invalidate()

        book = self.ctx.desk.roster
        dialog = SwapDialog(book, user, day, book.shift_names, self.names)
        self.app.push_screen(dialog, recorded)

    async def action_export_month(self) -> None:
        """The month's roster as CSV, Markdown and PDF in the exports folder (supervisor)."""
        last = shift_month(self.first, 1) - dt.timedelta(days=1)
        site = self.ctx.desk.site.site
        period = f"{self.first.isoformat()} — {last.isoformat()}"
        document = await roster_of(
            self.ctx.desk.roster, self.first, last, site_name=site.name, tz=site.tz, period=period
        )
        await self._export(document, f"roster-{self.first:%Y-%m}", ("csv", "md", "pdf"))

    async def action_daily_report(self) -> None:
        """The selected day's assurance report (保障日报) as Markdown and PDF."""
        day = self.selected()
        if day is None:
            return
        if day.period is None:
            self.notify(t("roster.no_period", day=day.day.isoformat()), severity="warning")
            return
        site = self.ctx.desk.site.site
        since = dt.datetime.combine(day.day, dt.time(), site.tz)
        incidents = await self.ctx.desk.incidents.history(since, since + dt.timedelta(days=1))
        document = await assurance_of(
            self.ctx.desk.roster,
            incidents,
            day.day,
            day.day,
            site_name=site.name,
            tz=site.tz,
            period=day.day.isoformat(),
        )
        await self._export(document, f"assurance-{day.day.isoformat()}", ("md", "pdf"))

    async def _export(self, document: Document, stem: str, formats: tuple[str, ...]) -> None:
        try:
            paths = await write_exports(
                self.ctx, document, stem, formats, "roster.export", f"roster:{stem}"
            )
        except (OSError, DutyDeskError) as error:
            self.notify(t("reports.export_failed", reason=explain(error)), severity="error")
            return
        self.exported = paths
        self.notify(t("reports.exported", files=", ".join(str(p) for p in paths)))

"""The incidents section (故障处置): the open incidents with their response clocks, problem
tracking (unresolved and older than the site's ``problem_age_days``), the history with
filters, full-text search, and the selected incident's details, timeline and past fixes.

The rules (what may change when, cause and solution required, roles) live in
data.records.incidents; this screen shows its answers and its refusals.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from console.context import DeskContext
from console.screens.export_files import write_exports
from console.screens.incidents.dialogs import NewIncidentDialog, close_dialog, incident_dialog
from console.screens.incidents.hooks import active_alarm_of
from console.screens.incidents.view import IncidentTable, details, past_fixes
from console.screens.plans.dialogs import start_plan_dialog
from console.screens.plans.view import incident_runs
from console.screens.section import SectionScreen
from data.calendar import ResponseStatus
from data.errors import DutyDeskError
from data.exports.incident_doc import incident_document
from data.i18n import explain, t
from data.records.emergency.model import PlanRun
from data.records.incidents.model import Incident

HISTORY_DAYS = 31  # the history opens on the last month
RELOAD_SECONDS = 30.0  # clocks tick on; another desk may change incidents
SIMILAR_LIMIT = 5


class IncidentsScreen(SectionScreen):
    SECTION = "incidents"
    RECORD_ACTIONS = ("incident.", "plan.")  # the details show the plans run for it
    BINDINGS = [
        Binding("n", "new", "incidents.key.new", id="incidents.new"),
        Binding("r", "dialog('respond')", "incidents.key.respond", id="incidents.respond"),
        Binding("e", "dialog('entry')", "incidents.key.entry", id="incidents.entry"),
        Binding("v", "dialog('escalate')", "incidents.key.escalate", id="incidents.escalate"),
        Binding(
            "w",
            "dialog('vendor_responded')",
            "incidents.key.vendor_responded",
            id="incidents.vendor_responded",
            show=False,
        ),
        Binding("s", "dialog('resolve')", "incidents.key.resolve", id="incidents.resolve"),
        Binding("c", "close", "incidents.key.close", id="incidents.close"),
        Binding("o", "dialog('reopen')", "incidents.key.reopen", id="incidents.reopen", show=False),
        Binding("x", "export", "incidents.key.export", id="incidents.export"),
        Binding("p", "plan", "incidents.key.plan", id="incidents.plan"),
        Binding("slash", "search", "incidents.key.search", id="incidents.search"),
        Binding("h", "history", "incidents.key.history", id="incidents.history"),
        Binding("escape", "back", "incidents.key.back", id="incidents.back", show=False),
    ]
    CSS_PATH = Path(__file__).with_name("incidents.tcss")
    # The details and the past fixes are stacked, not side by side: Textual cuts what a
    # toast shows at every widget edge under it, and a Chinese character straddling an
    # edge is drawn as two blanks (Textualize/textual#6357). Full-width panels put no
    # edge under a toast.

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.mode = "open"  # open, history or search
        self.selected: Incident | None = None  # with its timeline
        self.problems: list[Incident] = []
        self.note = ""  # e.g. a bad date in the history filter
        self.exported: list[Path] = []  # the files of the last export

    def compose_body(self) -> ComposeResult:
        yield Static("", id="incidents-summary")
        with Horizontal(id="incidents-filters", classes="hidden"):
            yield Input(placeholder=t("incidents.search_hint"), id="incidents-query", compact=True)
            for name in ("from", "to", "device"):
                yield Input(
                    placeholder=t(f"incidents.filter.{name}"),
                    id=f"incidents-{name}",
                    compact=True,
                    classes="history-filter",
                )
        yield IncidentTable(id="incidents-list")
        yield Static("", id="incidents-problems-heading", classes="incidents-heading")
        yield IncidentTable(id="incidents-problems")
        with Vertical(id="incidents-bottom"):
            with VerticalScroll(id="incidents-details"):
                yield Static("", id="incidents-details-text")
            with VerticalScroll(id="incidents-similar"):
                yield Static("", id="incidents-similar-text")

    def table(self, name: str) -> IncidentTable:
        return self.query_one(f"#incidents-{name}", IncidentTable)

    def on_mount(self) -> None:
        self.table("list").focus()
        self.set_interval(RELOAD_SECONDS, self.reload)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()  # also after each dialog: it changed an incident

    # -- loading ------------------------------------------------------------------------

    @work(exclusive=True, group="incidents-reload")
    async def reload(self) -> None:
        desk = self.ctx.desk
        book, now, tz = desk.incidents, desk.clock(), desk.site.site.tz
        names = {device.id: device.name for device in desk.site.devices}
        listed = await self._listed()
        summary = Text(t(f"incidents.summary.{self.mode}", n=len(listed)))
        resolved = sum(1 for incident in listed if incident.status == "resolved")
        if self.mode == "open" and resolved:
            summary.append(t("incidents.summary.resolved", n=resolved))
        self.problems = await book.problem_tracking(now)
        alerts = await book.response_alerts(now)
        wanted = self.ctx.take_wanted_incident()
        if wanted is not None and wanted not in {i.id for i in listed}:
            listed.insert(0, await book.get(wanted))
        self.table("list").show(listed, now, tz, names)
        self.table("problems").show(self.problems, now, tz, names)
        if wanted is not None:
            self.table("list").move_cursor(row=self.table("list").get_row_index(str(wanted)))
        heading = t(
            "incidents.problems", n=len(self.problems), days=desk.site.site.problem_age_days
        )
        self.query_one("#incidents-problems-heading", Static).update(heading)
        states = [clock.status for _, clock in alerts]
        if states.count(ResponseStatus.AT_RISK):
            summary.append(
                " · " + t("header.incidents_at_risk", n=states.count(ResponseStatus.AT_RISK)),
                style="bold",
            )
        if states.count(ResponseStatus.BREACHED):
            summary.append(
                " · " + t("header.incidents_breached", n=states.count(ResponseStatus.BREACHED)),
                style="bold reverse",
            )
        if self.note:
            summary.append(" · " + self.note, style="bold")
        self.query_one("#incidents-summary", Static).update(summary)
        await self._show_details(self._current_id())

    async def _listed(self) -> list[Incident]:
        book, tz = self.ctx.desk.incidents, self.ctx.desk.site.site.tz
        self.note = ""
        if self.mode == "search":
            query = self.query_one("#incidents-query", Input).value
            return await book.search(query) if query.strip() else []
        if self.mode == "open":
            return await book.not_closed()  # what the header counts
        try:
            since = _day_start(self.query_one("#incidents-from", Input).value, tz)
            until = _day_start(self.query_one("#incidents-to", Input).value, tz)
        except ValueError:
            self.note = t("incidents.bad_date")
            return []
        found = await book.history(since, until + dt.timedelta(days=1) if until else None)
        text = self.query_one("#incidents-device", Input).value.strip().casefold()
        names = {device.id: device.name for device in self.ctx.desk.site.devices}
        return [
            i
            for i in found
            if not text
            or text in (i.device_id or "").casefold()
            or text in names.get(i.device_id or "", "").casefold()
        ]

    def _current_id(self) -> int | None:
        focused = self.focused
        table = focused if isinstance(focused, IncidentTable) else self.table("list")
        return table.current_id if table.current_id is not None else self.table("list").current_id

    @on(DataTable.RowHighlighted)
    async def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The details follow the cursor of the focused list (a reload of the other list
        moves its cursor too: that is not a choice)."""
        key = event.row_key.value
        if event.data_table is not self.focused or key is None:
            return
        if self.selected is None or self.selected.id != int(key):
            await self._show_details(int(key))

    async def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, IncidentTable) and event.widget.current_id is not None:
            await self._show_details(event.widget.current_id)

    async def _show_details(self, incident_id: int | None) -> None:
        desk = self.ctx.desk
        tz = desk.site.site.tz
        details_text = self.query_one("#incidents-details-text", Static)
        similar_text = self.query_one("#incidents-similar-text", Static)
        if incident_id is None:
            self.selected = None
            details_text.update(t("incidents.none"))
            similar_text.update("")
            return
        book = desk.incidents
        incident = self.selected = await book.get(incident_id)
        names = {device.id: device.name for device in desk.site.devices}
        name = names.get(incident.device_id or "", incident.device_id or "")
        shown = details(incident, desk.clock(), tz, name)
        shown.append_text(incident_runs(await desk.emergency.for_incident(incident.id), tz))
        details_text.update(shown)
        text = " ".join((incident.title, incident.description))
        found = await book.similar(incident.device_id, incident.check_id, text, SIMILAR_LIMIT + 1)
        others = [item for item in found if item.incident.id != incident.id]  # not itself
        similar_text.update(past_fixes(others[:SIMILAR_LIMIT], tz))

    # -- keys ---------------------------------------------------------------------------

    def action_new(self) -> None:
        if self.ctx.user is not None:
            desk = self.ctx.desk
            dialog = NewIncidentDialog(desk, self.ctx.user, desk.site.devices)
            self.app.push_screen(dialog, self._done)

    def _done(self, incident: Incident | None) -> None:
        if incident is not None:
            self.notify(t("incidents.saved", id=incident.id))
            self.ctx.figures.incidents.invalidate()
            self.reload()

    async def action_dialog(self, make: str) -> None:
        """``r`` respond, ``e`` entry, ``v`` escalate (to the vendor of the device's
        maintenance contract), ``w`` vendor answered, ``s`` resolve, ``o`` reopen: the
        dialog for the selected incident."""
        user, incident = self.ctx.user, self.selected
        if user is None or incident is None:
            self.notify(t("incidents.none_selected"))
            return
        desk = self.ctx.desk
        vendor = (
            await desk.assets.vendor_contact(incident.device_id) if make == "escalate" else None
        )
        self.app.push_screen(incident_dialog(desk, user, incident, make, vendor), self._done)

    def action_close(self) -> None:
        """``c``: asks first, naming the incident's alarm when it is still active."""
        user, incident = self.ctx.user, self.selected
        if user is None or incident is None:
            self.notify(t("incidents.none_selected"))
            return
        if incident.status != "resolved":  # say why now, not after a question
            code = "incident_closed" if incident.status == "closed" else "incident_not_resolved"
            self.notify(t(f"error.{code}"), severity="error")
            return
        alarm = active_alarm_of(self.ctx, incident)
        self.app.push_screen(close_dialog(self.ctx.desk, user, incident, alarm), self._done)

    def action_plan(self) -> None:
        """``p``: start one of the site's emergency plans for the selected incident; its
        steps are then logged in the plans section (0)."""
        user, incident = self.ctx.user, self.selected
        if user is None or incident is None:
            self.notify(t("incidents.none_selected"))
            return
        dialog = start_plan_dialog(self.ctx.desk, user, incident.id, incident.category)
        self.app.push_screen(dialog, self._plan_started)

    def _plan_started(self, run: PlanRun | None) -> None:
        if run is not None:
            self.notify(t("incidents.plan_started", plan=run.plan_name))
            self.reload()

    def action_export(self) -> None:
        if self.selected is None:
            self.notify(t("incidents.none_selected"))
        else:
            self._export(self.selected)

    @work(group="incidents-export")
    async def _export(self, incident: Incident) -> None:
        desk = self.ctx.desk
        runs = await desk.emergency.for_incident(incident.id)
        doc = incident_document(
            incident, desk.site.site.name, desk.site.site.tz, desk.clock(), plan_runs=runs
        )
        try:
            paths = await write_exports(
                self.ctx,
                doc,
                f"incident-{incident.id}",
                ("md", "pdf"),
                "incident.export",
                f"incident:{incident.id}",
            )
        except (OSError, DutyDeskError) as error:
            self.notify(t("incidents.export_failed", reason=explain(error)), severity="error")
            return
        self.exported = paths
        self.notify(t("incidents.exported", files=", ".join(str(p) for p in paths)))

    # -- views --------------------------------------------------------------------------

    def _show_filters(self, search: bool, history: bool) -> None:
        self.query_one("#incidents-filters").set_class(not (search or history), "hidden")
        self.query_one("#incidents-query").set_class(not search, "hidden")
        for box in self.query(".history-filter"):
            box.set_class(not history, "hidden")

    def action_search(self) -> None:
        self.mode = "search"
        self._show_filters(search=True, history=False)
        self.query_one("#incidents-query", Input).focus()

    def action_history(self) -> None:
        self.mode = "open" if self.mode == "history" else "history"
        self._show_filters(search=False, history=self.mode == "history")
        if self.mode == "history":
            today = self.ctx.desk.clock().astimezone(self.ctx.desk.site.site.tz).date()
            start = self.query_one("#incidents-from", Input)
            end = self.query_one("#incidents-to", Input)
            start.value = start.value or str(today - dt.timedelta(days=HISTORY_DAYS - 1))
            end.value = end.value or str(today)
        self.reload()
        self.table("list").focus()

    def action_back(self) -> None:
        """Escape: from a search or the history back to the open incidents."""
        self.mode = "open"
        self._show_filters(search=False, history=False)
        self.reload()
        self.table("list").focus()

    @on(Input.Submitted, "#incidents-filters Input")
    def _filter_submitted(self) -> None:
        self.reload()
        self.table("list").focus()


def _day_start(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """The start of the day ``YYYY-MM-DD`` in the site's zone; None when blank."""
    if not text.strip():
        return None
    return dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(0), tzinfo=tz)

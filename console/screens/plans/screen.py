"""The emergency plans section (应急预案与演练, key 0): plan runs and drills, running ones
first, and the selected run's timed step log.

Keys: ``d`` starts a drill, ``l`` (or Enter) logs the next step (done, or skipped with a
reason), ``f`` finishes the run (a drill with its participants, findings and follow-ups),
``x`` files the run's record (Markdown and PDF), ``i`` opens the run's incident, ``v``
shows the site's plans. Plans are started for an incident from the incidents section
(``p``). The rules live in data.records.emergency; this screen shows its answers and
refusals.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from console.context import DeskContext
from console.dialogs.confirm import ConfirmDialog
from console.screens.export_files import write_exports
from console.screens.plans.dialogs import (
    PlansViewer,
    drill_dialog,
    finish_drill_dialog,
    step_dialog,
)
from console.screens.plans.view import progress, run_cells, run_details
from console.screens.section import SectionScreen
from data.errors import DutyDeskError
from data.exports.drill_doc import run_document
from data.i18n import explain, t
from data.records.emergency.model import PlanRun

COLUMNS = ("id", "kind", "plan", "what", "started", "steps", "status")
RELOAD_SECONDS = 30.0  # another desk may log steps


class PlansScreen(SectionScreen):
    SECTION = "plans"
    RECORD_ACTIONS = ("plan.",)  # another console's step or drill reloads the runs
    BINDINGS = [
        Binding("d", "drill", "plans.key.drill", id="plans.drill"),
        Binding("l", "step", "plans.key.step", id="plans.step"),
        Binding("enter", "step", "plans.key.step", id="plans.step_enter", show=False),
        Binding("f", "finish", "plans.key.finish", id="plans.finish"),
        Binding("x", "export", "plans.key.export", id="plans.export"),
        Binding("i", "incident", "plans.key.incident", id="plans.incident"),
        Binding("v", "plans", "plans.key.plans", id="plans.plans"),
    ]
    CSS_PATH = Path(__file__).with_name("plans.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.runs: dict[int, PlanRun] = {}
        self.selected: PlanRun | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="plans-summary", markup=False)
        table = DataTable[Text](id="plans-runs", cursor_type="row")
        for column in COLUMNS:
            table.add_column(t(f"plans.col.{column}"), key=column)
        yield table
        with VerticalScroll(id="plans-details"):
            yield Static("", id="plans-details-text")

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#plans-runs", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.set_interval(RELOAD_SECONDS, self.reload)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    @work(exclusive=True, group="plans-reload")
    async def reload(self, select: int | None = None) -> None:
        book, tz = self.ctx.desk.emergency, self.ctx.desk.site.site.tz
        runs = await book.recent()
        self.runs = {run.id: run for run in runs}
        running = sum(run.status == "running" for run in runs)
        names = "、".join(plan.name for plan in book.plans)
        summary = t("plans.summary", running=running, total=len(runs), plans=names)
        self.query_one("#plans-summary", Static).update(summary)
        table = self.table
        keep = select if select is not None else self._cursor_id()
        table.clear()
        for run in runs:
            table.add_row(*run_cells(run, tz), key=str(run.id))
        if keep in self.runs:
            table.move_cursor(row=table.get_row_index(str(keep)))
        self._show(self._cursor_id())

    def _cursor_id(self) -> int | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#plans-runs")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(int(event.row_key.value) if event.row_key.value else None)

    def _show(self, run_id: int | None) -> None:
        text = self.query_one("#plans-details-text", Static)
        self.selected = self.runs.get(run_id) if run_id is not None else None
        if self.selected is None:
            text.update(t("plans.none"))
        else:
            text.update(run_details(self.selected, self.ctx.desk.site.site.tz))

    # -- keys ---------------------------------------------------------------------------

    def _chosen(self, running: bool = False) -> PlanRun | None:
        """The selected run (and, when ``running``, only one still running), else say why."""
        if self.ctx.user is None or self.selected is None:
            self.notify(t("plans.none_selected"))
            return None
        if running and self.selected.status != "running":
            self.notify(t("error.run_finished"), severity="error")
            return None
        return self.selected

    def _done(self, run: PlanRun | None) -> None:
        if run is not None:
            self.notify(t("plans.saved", id=run.id, progress=progress(run)))
            self.reload(select=run.id)

    def action_drill(self) -> None:
        if self.ctx.user is not None:
            self.app.push_screen(drill_dialog(self.ctx.desk, self.ctx.user), self._done)

    def action_step(self) -> None:
        run = self._chosen(running=True)
        if run is None or self.ctx.user is None:
            return
        if not run.pending:
            self.notify(t("plans.all_logged"))
            return
        self.app.push_screen(step_dialog(self.ctx.desk, self.ctx.user, run), self._done)

    def action_finish(self) -> None:
        run, user = self._chosen(running=True), self.ctx.user
        if run is None or user is None:
            return
        if run.pending:  # say why now, not after the form
            self.notify(t("error.steps_pending", count=len(run.pending)), severity="error")
            return
        if run.is_drill:
            self.app.push_screen(finish_drill_dialog(self.ctx.desk, user, run), self._done)
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                try:
                    self._done(await self.ctx.desk.emergency.finish(user, run.id))
                except DutyDeskError as refused:
                    self.notify(explain(refused), severity="error")

        question = t("plans.finish_question", id=run.id, plan=run.plan_name)
        self.app.push_screen(ConfirmDialog(question, t("plans.finish")), answered)

    async def action_incident(self) -> None:
        run = self._chosen()
        if run is None:
            return
        if run.incident_id is None:
            self.notify(t("plans.no_incident"))
            return
        await self.ctx.show_incident(run.incident_id)

    def action_plans(self) -> None:
        """``v``: read the site's plans (what sets each off, who acts, the steps)."""
        self.app.push_screen(PlansViewer(self.ctx.desk.emergency.plans))

    def action_export(self) -> None:
        run = self._chosen()
        if run is not None:
            self._export(run)

    @work(group="plans-export")
    async def _export(self, run: PlanRun) -> None:
        desk = self.ctx.desk
        doc = run_document(run, desk.site.site.name, desk.site.site.tz)
        try:
            paths = await write_exports(
                self.ctx,
                doc,
                f"plan-run-{run.id}",
                ("md", "pdf"),
                "plan.export",
                f"plan_run:{run.id}",
            )
        except (OSError, DutyDeskError) as error:
            self.notify(t("plans.export_failed", reason=explain(error)), severity="error")
            return
        self.notify(t("plans.exported", files=", ".join(str(p) for p in paths)))

"""The inspections section: what is due in each template's current period (today's daily
round, this month's monthly inspection) and whether it is done, the open drafts, the
inspections missed lately, and the records submitted recently (``h``: the past year).

``n`` (or enter on the upper list) starts the selected template, or continues the
operator's draft of it; enter on a record opens it read only; ``e`` exports the record
highlighted in the records list, whichever list has the focus.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.context import DeskContext
from console.screens.inspections.export import export_inspection
from console.screens.inspections.form import open_inspection, template_name
from console.screens.section import SectionScreen
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.inspections.model import DueStatus, Inspection

MISSED_DAYS = 7  # periods missed within this many days are listed
RECENT_DAYS = 7
HISTORY_DAYS = 366
DUE_COLUMNS = ("template", "schedule", "period", "state", "drafts", "missed")
RECORD_COLUMNS = ("id", "template", "period", "inspector", "submitted", "flagged", "amends")


class InspectionsScreen(SectionScreen):
    SECTION = "inspections"
    RECORD_ACTIONS = ("inspection.",)
    BINDINGS = [
        Binding("n", "start", "inspections.start", id="inspections.start"),
        Binding("enter", "open", "inspections.open", id="inspections.open"),
        Binding("e", "export", "inspections.export", id="inspections.export"),
        Binding("h", "history", "inspections.history", id="inspections.history"),
    ]
    CSS_PATH = Path(__file__).with_name("inspections.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.history = False
        self.statuses: dict[str, DueStatus] = {}
        self.drafts: dict[int, Inspection] = {}
        self.records: dict[int, Inspection] = {}
        self.exported: list[Path] = []  # the files of the last export

    def compose_body(self) -> ComposeResult:
        yield Static("", id="inspections-summary", markup=False)
        yield Static(t("inspections.due_heading"), classes="inspections-heading")
        yield DataTable[Text](id="inspections-due", cursor_type="row", zebra_stripes=True)
        yield Static("", id="inspections-records-heading", classes="inspections-heading")
        yield DataTable[Text](id="inspections-records", cursor_type="row", zebra_stripes=True)

    @property
    def due_table(self) -> DataTable[Text]:
        return self.query_one("#inspections-due", DataTable)

    @property
    def record_table(self) -> DataTable[Text]:
        return self.query_one("#inspections-records", DataTable)

    def on_mount(self) -> None:
        for name in DUE_COLUMNS:
            self.due_table.add_column(t(f"inspections.col.{name}"), key=name)
        for name in RECORD_COLUMNS:
            self.record_table.add_column(t(f"inspections.col.{name}"), key=name)
        self.due_table.focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    # -- loading ------------------------------------------------------------------------

    @work(exclusive=True, group="inspections-reload")
    async def reload(self) -> None:
        desk = self.ctx.desk
        book, now, tz = desk.inspections, desk.clock(), desk.site.site.tz
        statuses = await book.status(now)
        drafts = await book.open_drafts()
        missed = await book.missed(now - dt.timedelta(days=MISSED_DAYS), now)
        since = now - dt.timedelta(days=HISTORY_DAYS if self.history else RECENT_DAYS)
        records = await book.records(since, now + dt.timedelta(days=1))  # today's included
        self.statuses = {s.template.id: s for s in statuses}
        self.drafts = {d.id: d for d in drafts}
        self.records = {r.id: r for r in reversed(records)}  # newest first
        missed_by: dict[str, list[str]] = defaultdict(list)
        for status in missed:
            missed_by[status.template.id].append(status.period.label)
        self._show_due(tz, missed_by)
        self._show_records(tz)
        done = sum(1 for s in statuses if s.done)
        summary = t(
            "inspections.summary",
            due=len(statuses) - done,
            done=done,
            drafts=len(drafts),
            missed=len(missed),
            days=MISSED_DAYS,
        )
        text = summary if statuses else t("inspections.no_templates")
        self.query_one("#inspections-summary", Static).update(text)

    def _show_due(self, tz: dt.tzinfo, missed: dict[str, list[str]]) -> None:
        table = self.due_table
        current = _current_key(table)
        table.clear()
        drafts_of: dict[str, list[Inspection]] = defaultdict(list)
        for draft in self.drafts.values():
            drafts_of[draft.template_id].append(draft)
        for status in self.statuses.values():
            template = status.template
            if status.done:
                state = Text(f"✔ {t('inspections.done', id=status.record_id)}")
            else:
                due_by = f"{status.due_by.astimezone(tz):%m-%d %H:%M}"
                state = Text(f"○ {t('inspections.due_by', at=due_by)}")
            labels = missed.get(template.id, [])
            missed_text = t("inspections.missed", n=len(labels), last=labels[-1]) if labels else ""
            cells = [
                Text(template_name(template)),
                Text(t(f"inspections.schedule.{template.schedule}")),
                Text(status.period.label),
                state,
                _drafts_text(drafts_of.pop(template.id, [])),
                Text(f"✖ {missed_text}" if labels else ""),
            ]
            table.add_row(*cells, key=f"t:{template.id}")
        for orphans in drafts_of.values():  # drafts of templates the site no longer lists
            for draft in orphans:
                name = Text(template_name(draft.template))
                table.add_row(
                    name,
                    Text(""),
                    Text(""),
                    Text(""),
                    _drafts_text([draft]),
                    Text(""),
                    key=f"d:{draft.id}",
                )
        _restore(table, current)

    def _show_records(self, tz: dt.tzinfo) -> None:
        table = self.record_table
        current = _current_key(table)
        table.clear()
        days = HISTORY_DAYS if self.history else RECENT_DAYS
        self.query_one("#inspections-records-heading", Static).update(
            t("inspections.records_heading", n=len(self.records), days=days)
        )
        for record in self.records.values():
            submitted = record.submitted_at.astimezone(tz) if record.submitted_at else None
            flagged = len(record.flagged())
            cells = [
                f"#{record.id}",
                template_name(record.template),
                record.period or "",
                record.inspector,
                f"{submitted:%Y-%m-%d %H:%M}" if submitted else "",
                f"⚑ {flagged}" if flagged else "",
                f"#{record.amends_id}" if record.amends_id else "",
            ]
            table.add_row(*(Text(c) for c in cells), key=f"r:{record.id}")
        _restore(table, current)

    # -- keys ---------------------------------------------------------------------------

    async def action_start(self) -> None:
        key = _current_key(self.due_table)
        if key is None:
            self.notify(t("inspections.none_selected"))
            return
        ctx, user = self.ctx, self.ctx.user
        kind, _, ident = key.partition(":")
        try:
            if kind == "d":
                await open_inspection(ctx, self.app, int(ident))
                return
            mine = [
                d
                for d in self.drafts.values()
                if d.template_id == ident and user is not None and d.inspector == user.name
            ]
            if mine:  # one draft per template and operator: continue it
                await open_inspection(ctx, self.app, mine[-1].id)
            elif user is not None:
                started = await ctx.desk.inspections.start(user, ident)
                await open_inspection(ctx, self.app, started)
        except DutyDeskError as error:
            self.notify(explain(error), severity="error")

    async def action_open(self) -> None:
        if self.focused is self.record_table:
            key = _current_key(self.record_table)
            if key is not None:
                await open_inspection(self.ctx, self.app, int(key.partition(":")[2]))
        else:
            await self.action_start()

    @on(DataTable.RowSelected)
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        await self.action_open()

    async def action_export(self) -> None:
        record = await self._selected_record()
        if record is None:
            self.notify(t("inspections.export_none"))
            return
        self._export(record)

    @work(group="inspections-export")
    async def _export(self, record: Inspection) -> None:
        try:
            paths = await export_inspection(self.ctx, record)
        except (OSError, DutyDeskError) as error:
            self.notify(t("inspections.export_failed", reason=str(error)), severity="error")
            return
        self.exported = paths
        self.notify(t("inspections.exported", files=", ".join(str(p) for p in paths)))

    async def _selected_record(self) -> Inspection | None:
        """The record highlighted in the records list, whichever list has the focus: what
        the operator sees highlighted is what is exported (moving along the templates
        highlights the record that completed one). A template completed by a record older
        than the list shows gives that record."""
        status = self._due_status()
        done_by = status.record_id if status is not None else None
        if self.focused is self.due_table and done_by is not None and done_by not in self.records:
            return await self.ctx.desk.inspections.get(done_by)
        key = _current_key(self.record_table)
        return self.records.get(int(key[2:])) if key else None

    def _due_status(self) -> DueStatus | None:
        key = _current_key(self.due_table) or ""
        return self.statuses.get(key[2:]) if key.startswith("t:") else None

    @on(DataTable.RowHighlighted, "#inspections-due")
    def _template_highlighted(self) -> None:
        """The operator moving along the templates: highlight the record that completed
        the template's period in the records list."""
        status = self._due_status()
        if self.focused is not self.due_table or status is None or status.record_id is None:
            return
        key = f"r:{status.record_id}"
        if key in self.record_table.rows:
            _restore(self.record_table, key)

    def action_history(self) -> None:
        self.history = not self.history
        self.reload()
        self.record_table.focus()


def _drafts_text(drafts: list[Inspection]) -> Text:
    parts = [
        f"✎ #{d.id} {d.inspector} {sum(1 for a in d.answers.values() if a.value is not None)}"
        f"/{sum(1 for _ in d.template.items())}"
        for d in drafts
    ]
    return Text(", ".join(parts))


def _current_key(table: DataTable[Text]) -> str | None:
    if table.row_count == 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return str(key) if key is not None else None


def _restore(table: DataTable[Text], key: str | None) -> None:
    """Put the cursor back on the row it was on before a reload."""
    if key is not None and key in table.rows:
        table.move_cursor(row=table.get_row_index(key), animate=False)

"""The access and visitors section: who is in the machine room now (always on top), today's
records or a search, and the keys that register entries and exits, show a record, and let
a supervisor reveal an ID number.

The rules (escort required, ID checks, who may reveal, auditing) are all in data/ (the
desk's access log): this screen shows its answers.
Visitors still inside when the shift ends within SHIFT_END_WARNING are flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from console.context import DeskContext
from console.header_figures import room_text
from console.screens.section import SectionScreen
from console.screens.visitors.details import (
    INSIDE_COLUMNS,
    RECORD_COLUMNS,
    RecordDetails,
    cursor_id,
    fill_table,
    mismatch_text,
    presence_cells,
    record_cells,
)
from console.screens.visitors.dialogs import ExitDialog, StaffEntryDialog, VisitorEntryDialog
from data.accounts import User
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.visitors.book import AccessLog
from data.records.visitors.model import AccessRecord, Item, Presence, VisitorEntry
from data.shifts import shift_at

SHIFT_END_WARNING = dt.timedelta(minutes=30)  # visitors inside this close to shift end
RELOAD_SECONDS = 30.0  # the lists are re-read this often (another desk may register people)
FILTERS = ("name", "organisation", "from", "to", "badge")


@dataclass(frozen=True)
class SearchTerms:
    name: str | None = None
    organisation: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    badge: str | None = None


class VisitorsScreen(SectionScreen):
    SECTION = "visitors"
    RECORD_ACTIONS = ("access.enter", "access.exit", "access.purge", "door.import")
    BINDINGS = [
        Binding("n", "new_visitor", "visitors.key.new", id="visitors.new"),
        Binding("s", "new_staff", "visitors.key.staff", id="visitors.staff"),
        Binding("o", "exit", "visitors.key.exit", id="visitors.exit"),
        Binding("slash", "search", "visitors.key.search", id="visitors.search"),
        Binding("escape", "clear_search", "visitors.key.clear", id="visitors.clear", show=False),
        Binding("r", "reveal", "visitors.key.reveal", id="visitors.reveal"),
        Binding("enter", "details", "visitors.key.details", id="visitors.details"),
    ]
    CSS_PATH = Path(__file__).with_name("visitors.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.search_terms: SearchTerms | None = None  # None: today's records
        self._last_table: DataTable[Text] | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="visitors-inside-title", classes="visitors-title")
        yield DataTable[Text](id="visitors-inside", cursor_type="row")
        yield Static("", id="visitors-note", classes="hidden", markup=False)
        with Horizontal(id="visitors-filters", classes="hidden"):
            for name in FILTERS:
                placeholder = t(f"visitors.filter.{name}")
                yield Input(placeholder=placeholder, id=f"visitors-q-{name}", compact=True)
        yield Static("", id="visitors-records-title", classes="visitors-title")
        yield DataTable[Text](id="visitors-records", cursor_type="row", zebra_stripes=True)

    def table(self, name: str) -> DataTable[Text]:
        return self.query_one(f"#visitors-{name}", DataTable)

    def on_mount(self) -> None:
        for name, columns in (("inside", INSIDE_COLUMNS), ("records", RECORD_COLUMNS)):
            for column in columns:
                self.table(name).add_column(t(f"visitors.col.{column}"), key=column)
        self._last_table = self.table("inside")
        self._last_table.focus()
        self.set_interval(RELOAD_SECONDS, self.reload)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.call_later(self.reload)  # also after each dialog: it may have changed the log

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, DataTable):
            self._last_table = event.widget

    def show_note(self, text: str) -> None:
        note = self.query_one("#visitors-note", Static)
        note.update(text)
        note.set_class(not text, "hidden")

    async def reload(self) -> None:
        try:
            log = self.ctx.desk.visitors  # KeyFileError when the field key is unusable
            inside = await log.inside_now()
            records = await self._search_records(log)
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        self.ctx.figures.room.put(room_text(len(inside)))
        self._fill_inside(inside)
        title = "visitors.found" if self.search_terms is not None else "visitors.today"
        self.query_one("#visitors-records-title", Static).update(t(title, n=len(records)))
        fill_table(self.table("records"), [(r.id, record_cells(r, self._when)) for r in records])

    async def _search_records(self, log: AccessLog) -> list[AccessRecord]:
        user, terms = self.ctx.user, self.search_terms
        if user is None:
            return []
        if terms is None:
            today = self._local(self.ctx.desk.clock()).date()
            terms = SearchTerms(date_from=today, date_to=today)
        return await log.search(
            user, terms.name, terms.organisation, terms.date_from, terms.date_to, terms.badge
        )

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.ctx.desk.site.site.tz)

    def _when(self, moment: dt.datetime) -> str:
        local, today = self._local(moment), self._local(self.ctx.desk.clock()).date()
        return local.strftime("%H:%M" if local.date() == today else "%m-%d %H:%M")

    def _shift_ending(self) -> dt.datetime | None:
        """The current shift's end when it is at most SHIFT_END_WARNING away."""
        now = self.ctx.desk.clock()
        span = shift_at(self.ctx.desk.site.site, now)
        return span.end if span is not None and span.end - now <= SHIFT_END_WARNING else None

    def _fill_inside(self, inside: Sequence[Presence]) -> None:
        ending = self._shift_ending()
        flag = t("visitors.flag.shift_end", time=f"{ending:%H:%M}") if ending else ""
        flagged = sum(1 for p in inside if p.kind == "visitor") if ending else 0
        title = t("visitors.inside_title", n=len(inside))
        if flagged:
            title += " · " + t("visitors.shift_ending", n=flagged, time=f"{ending:%H:%M}")
        self.query_one("#visitors-inside-title", Static).update(title)
        rows = [(p.record_id, presence_cells(p, self._when, flag)) for p in inside]
        fill_table(self.table("inside"), rows)

    def selected_id(self) -> int | None:
        """The record under the cursor of the focused list (else the last one focused)."""
        focused = self.focused
        table = focused if isinstance(focused, DataTable) else self._last_table
        return cursor_id(table) if table is not None else None

    async def action_new_visitor(self) -> None:
        desk, user = self.ctx.desk, self.ctx.user
        try:
            log = desk.visitors
            escorts = escort_choices(await desk.accounts.active_staff())
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        if user is None:
            return

        async def enter(entry: VisitorEntry) -> int:
            return await log.enter_visitor(user, entry)

        today = self._local(desk.clock()).date()
        self.app.push_screen(VisitorEntryDialog(escorts, today, enter), self._entered)

    def action_new_staff(self) -> None:
        desk, user = self.ctx.desk, self.ctx.user
        if user is None:
            return

        async def enter(name: str, badge: str, purpose: str) -> int:
            return await desk.visitors.enter_staff(user, name, badge, purpose)

        self.app.push_screen(StaffEntryDialog(enter), self._entered)

    def _entered(self, record_id: int | None) -> None:
        if record_id is not None:
            self.notify(t("visitors.entered"))

    async def action_exit(self) -> None:
        found = await self._selected_record()
        if found is None:
            return
        log, user, record = found
        if not record.inside:
            self.show_note(t("error.already_exited"))
            return

        async def leave(items: list[Item], note: str) -> AccessRecord:
            return await log.exit(user, record.id, items, note)

        self.app.push_screen(ExitDialog(record, leave), self._left)

    def _left(self, record: AccessRecord | None) -> None:
        if record is None:
            return
        if record.mismatch is not None:  # flagged, not refused: say so where it stays visible
            self.show_note("⚠ " + mismatch_text(record))
            self.notify(mismatch_text(record), severity="warning")
        else:
            self.show_note("")
            self.notify(t("visitors.left", name=record.name))

    async def action_reveal(self) -> None:
        await self.action_details(reveal=True)

    async def action_details(self, reveal: bool = False) -> None:
        """The selected record; with ``reveal`` its full ID number, which data/ refuses
        to all but supervisors (the refusal is shown; granted or not, it is audited)."""
        found = await self._selected_record()
        if found is None:
            return
        log, user, record = found
        try:
            number = await log.reveal(user, record.id, "id_number") if reveal else None
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        self.app.push_screen(RecordDetails(record, self.ctx.desk.site.site.tz, number))

    @on(DataTable.RowSelected)
    async def _row_chosen(self) -> None:
        await self.action_details()

    async def _selected_record(self) -> tuple[AccessLog, User, AccessRecord] | None:
        record_id, user = self.selected_id(), self.ctx.user
        if record_id is None or user is None:
            self.notify(t("visitors.none_selected"))
            return None
        try:
            log = self.ctx.desk.visitors
            return log, user, await log.get(user, record_id)
        except DutyDeskError as error:
            self.show_note(explain(error))
            return None

    def action_search(self) -> None:
        self.query_one("#visitors-filters").remove_class("hidden")
        self.query_one("#visitors-q-name", Input).focus()

    @on(Input.Submitted, "#visitors-filters Input")
    async def _search(self) -> None:
        typed = {
            name: self.query_one(f"#visitors-q-{name}", Input).value.strip() for name in FILTERS
        }
        try:
            start, end = (
                dt.date.fromisoformat(typed[k]) if typed[k] else None for k in ("from", "to")
            )
        except ValueError:
            self.show_note(t("visitors.bad_date"))
            return
        self.show_note("")
        self.search_terms = SearchTerms(
            typed["name"] or None, typed["organisation"] or None, start, end, typed["badge"] or None
        )
        await self.reload()
        self.table("records").focus()

    async def action_clear_search(self) -> None:
        filters = self.query_one("#visitors-filters")
        if self.search_terms is None and filters.has_class("hidden"):
            return
        for name in FILTERS:
            self.query_one(f"#visitors-q-{name}", Input).value = ""
        filters.add_class("hidden")
        self.search_terms = None
        self.show_note("")
        await self.reload()
        self.table("inside").focus()


def escort_choices(staff: Sequence[User]) -> list[tuple[str, str]]:
    """(label, account name) of each who may escort: "full name (name)", else the name."""
    return [(f"{u.full_name} ({u.name})" if u.full_name else u.name, u.name) for u in staff]

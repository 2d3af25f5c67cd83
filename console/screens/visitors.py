"""The access and visitors section: who is in the machine room now (always on top), today's
records or a search, and the keys that register entries and exits, show a record, and let
a supervisor reveal an ID number.

The access log (data.records.visitors.AccessLog) is made here when first needed, one per
app, with the database's field key (created beside the database when missing). The rules
(escort required, ID checks, who may reveal, auditing) are all in data/: this screen shows
its answers. ``room_count`` feeds the header; the header asks every second, so it returns
the last count and re-counts in the background now and then (another desk may register
people too).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from console.screens.section import SectionScreen
from console.screens.visitor_forms import (
    ExitDialog,
    RecordDetails,
    StaffEntryDialog,
    VisitorEntryDialog,
    kind_label,
    mismatch_text,
)
from data.crypto import ensure_key, open_cipher
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.visitors import AccessLog, AccessRecord, Item, Presence, VisitorEntry
from data.shifts import shift_at
from data.store import Store

if TYPE_CHECKING:
    from console.app import DutyDeskApp

SHIFT_END_WARNING = dt.timedelta(minutes=30)  # visitors inside this close to shift end
ROOM_COUNT_MAX_AGE = 15.0  # seconds before the header's count is re-read
RELOAD_SECONDS = 30.0
INSIDE_COLUMNS = ("name", "kind", "organisation", "escort", "badge", "since", "id", "flag")
RECORD_COLUMNS = (
    "name",
    "kind",
    "organisation",
    "badge",
    "entered",
    "exited",
    "escort",
    "id",
    "flag",
)
FILTERS = ("name", "organisation", "from", "to", "badge")


@dataclass
class _AppState:
    log: AccessLog | None = None
    count: int = 0
    counted_at: float | None = None
    counting: bool = False


@dataclass(frozen=True)
class SearchTerms:
    name: str | None = None
    organisation: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    badge: str | None = None


_STATE: WeakKeyDictionary[DutyDeskApp, _AppState] = WeakKeyDictionary()


def _state(app: DutyDeskApp) -> _AppState:
    return _STATE.setdefault(app, _AppState())


def access_log(app: DutyDeskApp) -> AccessLog:
    """The app's access log; KeyFileError when the key file is unusable."""
    state = _state(app)
    if state.log is None:
        db_path = app.config.db_path
        ensure_key(db_path)  # created (mode 0600) when missing, else checked
        services = app.services
        state.log = AccessLog(
            services.store,
            services.audit,
            open_cipher(db_path),
            app.config.clock,
            tz=app.site.site.tz,
        )
    return state.log


async def escort_choices(store: Store) -> list[tuple[str, str]]:
    """(label, account name) of every active operator and supervisor: who may escort."""
    rows = await store.fetchall(
        "SELECT name, full_name FROM users WHERE role IN ('operator', 'supervisor')"
        " AND NOT disabled ORDER BY name"
    )
    return [
        (f"{r['full_name']} ({r['name']})" if r["full_name"] else r["name"], r["name"])
        for r in rows
    ]


def room_count(app: DutyDeskApp) -> int:
    """People in the room as last counted (0 before the first count)."""
    state = _state(app)
    stale = state.counted_at is None or app.config.monotonic() - state.counted_at >= (
        ROOM_COUNT_MAX_AGE
    )
    if stale and not state.counting:
        state.counting = True
        app.run_worker(_recount(app), group="room-count", exit_on_error=False)
    return state.count


async def _recount(app: DutyDeskApp) -> None:
    try:
        row = await app.services.store.fetchone(
            "SELECT count(*) FROM access_records WHERE exited_at IS NULL"
        )
        set_room_count(app, int(row[0]) if row is not None else 0)
    except (DutyDeskError, sqlite3.Error, ValueError, RuntimeError):
        pass  # e.g. the store closing as the app exits: the header keeps the last count
    finally:
        _state(app).counting = False


def set_room_count(app: DutyDeskApp, count: int) -> None:
    state = _state(app)
    state.counted_at = app.config.monotonic()
    if state.count != count:
        state.count = count
        app.refresh_header()


class VisitorsScreen(SectionScreen):
    SECTION = "visitors"
    BINDINGS = [
        Binding("n", "new_visitor", "visitors.key.new", id="visitors.new"),
        Binding("s", "new_staff", "visitors.key.staff", id="visitors.staff"),
        Binding("o", "exit", "visitors.key.exit", id="visitors.exit"),
        Binding("slash", "search", "visitors.key.search", id="visitors.search"),
        Binding("escape", "clear_search", "visitors.key.clear", id="visitors.clear", show=False),
        Binding("r", "reveal", "visitors.key.reveal", id="visitors.reveal"),
        Binding("enter", "details", "visitors.key.details", id="visitors.details"),
    ]
    DEFAULT_CSS = """
    VisitorsScreen .visitors-title { height: 1; padding: 0 1; text-style: bold; }
    VisitorsScreen #visitors-inside { height: auto; max-height: 12; }
    VisitorsScreen #visitors-records { height: 1fr; }
    VisitorsScreen #visitors-filters { height: 1; margin: 0 1; }
    VisitorsScreen #visitors-filters Input { width: 1fr; margin-right: 1; }
    VisitorsScreen #visitors-note { height: auto; padding: 0 1; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.search_terms: SearchTerms | None = None  # None: today's records
        self.records: dict[int, AccessRecord] = {}
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

    # -- loading ----------------------------------------------------------------------

    async def reload(self) -> None:
        app = self.duty_app
        try:
            log = access_log(app)
            inside = await log.inside_now()
            records = await self._search_records(log)
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        set_room_count(app, len(inside))
        self._fill_inside(inside)
        self.records = {record.id: record for record in records}
        title = "visitors.found" if self.search_terms is not None else "visitors.today"
        self.query_one("#visitors-records-title", Static).update(t(title, n=len(records)))
        self._fill(self.table("records"), [(r.id, self._record_cells(r)) for r in records])

    async def _search_records(self, log: AccessLog) -> list[AccessRecord]:
        user, terms = self.duty_app.user, self.search_terms
        if user is None:
            return []
        if terms is None:
            today = self._local(self.duty_app.config.clock()).date()
            terms = SearchTerms(date_from=today, date_to=today)
        return await log.search(
            user, terms.name, terms.organisation, terms.date_from, terms.date_to, terms.badge
        )

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.duty_app.site.site.tz)

    def _when(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        local, today = self._local(moment), self._local(self.duty_app.config.clock()).date()
        return local.strftime("%H:%M" if local.date() == today else "%m-%d %H:%M")

    def _shift_ending(self) -> dt.datetime | None:
        """The current shift's end when it is at most SHIFT_END_WARNING away."""
        now = self.duty_app.config.clock()
        span = shift_at(self.duty_app.site.site, now)
        return span.end if span is not None and span.end - now <= SHIFT_END_WARNING else None

    def _fill_inside(self, inside: Sequence[Presence]) -> None:
        ending = self._shift_ending()
        flag = t("visitors.flag.shift_end", time=f"{ending:%H:%M}") if ending else ""
        flagged = sum(1 for p in inside if p.kind == "visitor") if ending else 0
        title = t("visitors.inside_title", n=len(inside))
        if flagged:
            title += " · " + t("visitors.shift_ending", n=flagged, time=f"{ending:%H:%M}")
        self.query_one("#visitors-inside-title", Static).update(title)
        rows = []
        for p in inside:
            cells = [
                p.name,
                kind_label(p.kind),
                p.organisation,
                p.escort or "",
                p.badge or "",
                self._when(p.since),
                p.id_masked or "",
            ]
            mark = Text(f"⚑ {flag}", style="bold") if flag and p.kind == "visitor" else Text()
            rows.append((p.record_id, [*map(Text, cells), mark]))
        self._fill(self.table("inside"), rows)

    def _record_cells(self, r: AccessRecord) -> list[Text]:
        exited = self._when(r.exited_at) if r.exited_at else t("visitors.inside")
        cells = [
            r.name,
            kind_label(r.kind),
            r.organisation,
            r.badge or "",
            self._when(r.entered_at),
            exited,
            r.escort or "",
            r.id_masked or "",
        ]
        mark = Text(f"⚠ {t('visitors.flag.mismatch')}", style="bold") if r.mismatch else Text()
        return [*map(Text, cells), mark]

    @staticmethod
    def _fill(table: DataTable[Text], rows: Sequence[tuple[int, list[Text]]]) -> None:
        """Replace the rows; the cursor stays on the same record when it is still listed."""
        current = _cursor_id(table)
        table.clear()
        for record_id, cells in rows:
            table.add_row(*cells, key=str(record_id))
        if current is not None and str(current) in {str(record_id) for record_id, _ in rows}:
            table.move_cursor(row=table.get_row_index(str(current)), animate=False)

    def selected_id(self) -> int | None:
        """The record under the cursor of the focused list (else the last one focused)."""
        focused = self.focused
        table = focused if isinstance(focused, DataTable) else self._last_table
        return _cursor_id(table) if table is not None else None

    # -- keys -------------------------------------------------------------------------

    async def action_new_visitor(self) -> None:
        app, user = self.duty_app, self.duty_app.user
        try:
            log = access_log(app)
            escorts = await escort_choices(app.services.store)
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        if user is None:
            return

        async def enter(entry: VisitorEntry) -> int:
            return await log.enter_visitor(user, entry)

        today = self._local(app.config.clock()).date()
        self.app.push_screen(VisitorEntryDialog(escorts, today, enter), self._entered)

    def action_new_staff(self) -> None:
        app, user = self.duty_app, self.duty_app.user
        if user is None:
            return

        async def enter(name: str, badge: str, purpose: str) -> int:
            return await access_log(app).enter_staff(user, name, badge, purpose)

        self.app.push_screen(StaffEntryDialog(enter), self._entered)

    def _entered(self, record_id: int | None) -> None:
        if record_id is not None:
            self.show_note("")
            self.notify(t("visitors.entered"))

    async def action_exit(self) -> None:
        found = await self._selected_record()
        if found is None:
            return
        log, record = found
        user = self.duty_app.user
        if not record.inside or user is None:
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
        record_id, user = self.selected_id(), self.duty_app.user
        if record_id is None or user is None:
            self.notify(t("visitors.none_selected"))
            return
        try:
            log = access_log(self.duty_app)
            number = await log.reveal(user, record_id, "id_number")  # refused and audited
            record = await log.get(user, record_id)  # unless a supervisor asks
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        self.app.push_screen(RecordDetails(record, self.duty_app.site.site.tz, number))

    async def action_details(self) -> None:
        found = await self._selected_record()
        if found is not None:
            self.app.push_screen(RecordDetails(found[1], self.duty_app.site.site.tz))

    @on(DataTable.RowSelected)
    async def _row_chosen(self) -> None:
        await self.action_details()

    async def _selected_record(self) -> tuple[AccessLog, AccessRecord] | None:
        record_id, user = self.selected_id(), self.duty_app.user
        if record_id is None or user is None:
            self.notify(t("visitors.none_selected"))
            return None
        try:
            log = access_log(self.duty_app)
            return log, await log.get(user, record_id)
        except DutyDeskError as error:
            self.show_note(explain(error))
            return None

    # -- search -----------------------------------------------------------------------

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


def _cursor_id(table: DataTable[Text]) -> int | None:
    if not table.row_count:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return int(key) if key is not None else None


SECTION_SCREEN = VisitorsScreen

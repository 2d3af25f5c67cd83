"""The service hotline section (服务热线, key 9): the follow-ups due on top, today's calls
(or a search) below, and the keys that log a call, turn it into an incident or link it to
an open one, record a follow-up, and let a supervisor see a caller's number.

The rules (validation, who may do what, auditing, when a follow-up is due) are all in
data/ (the desk's hotline book): this screen shows its answers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from console.context import DeskContext
from console.header_figures import followups_text
from console.screens.hotline.dialogs import (
    CallDialog,
    CallIncidentDialog,
    FollowUpDialog,
    LinkDialog,
    Values,
)
from console.screens.section import SectionScreen
from console.screens.visitors.details import cursor_id, fill_table
from data.accounts import User
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.hotline.book import HotlineBook
from data.records.hotline.model import Call, FollowUp, FollowUpDue
from data.records.incidents.model import Incident

RELOAD_SECONDS = 30.0  # another desk may log calls or close incidents
CALL_COLUMNS = ("received", "caller", "unit", "phone", "topic", "incident")
DUE_COLUMNS = ("incident", "title", "closed", "caller", "unit", "phone")
FILTERS = ("text", "phone")


class HotlineScreen(SectionScreen):
    SECTION = "hotline"
    RECORD_ACTIONS = (
        "hotline.call",
        "hotline.incident",
        "hotline.link",
        "hotline.followup",
        "incident.",
    )
    BINDINGS = [
        Binding("n", "new_call", "hotline.key.new", id="hotline.new"),
        Binding("i", "to_incident", "hotline.key.incident", id="hotline.incident"),
        Binding("l", "link", "hotline.key.link", id="hotline.link"),
        Binding("f", "follow_up", "hotline.key.followup", id="hotline.followup"),
        Binding("slash", "search", "hotline.key.search", id="hotline.search"),
        Binding("escape", "clear_search", "hotline.key.clear", id="hotline.clear", show=False),
        Binding("r", "reveal", "hotline.key.reveal", id="hotline.reveal"),
    ]
    CSS_PATH = Path(__file__).with_name("hotline.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.search: Values | None = None  # None: today's calls
        self.due: dict[int, FollowUpDue] = {}
        self.calls: dict[int, Call] = {}

    def compose_body(self) -> ComposeResult:
        yield Static("", id="hotline-due-title", classes="hotline-title")
        yield DataTable[Text](id="hotline-due", cursor_type="row")
        yield Static("", id="hotline-note", classes="hidden", markup=False)
        with Horizontal(id="hotline-filters", classes="hidden"):
            for name in FILTERS:
                placeholder = t(f"hotline.filter.{name}")
                yield Input(placeholder=placeholder, id=f"hotline-q-{name}", compact=True)
        yield Static("", id="hotline-calls-title", classes="hotline-title")
        yield DataTable[Text](id="hotline-calls", cursor_type="row", zebra_stripes=True)

    def table(self, name: str) -> DataTable[Text]:
        return self.query_one(f"#hotline-{name}", DataTable)

    def on_mount(self) -> None:
        for name, columns in (("due", DUE_COLUMNS), ("calls", CALL_COLUMNS)):
            for column in columns:
                self.table(name).add_column(t(f"hotline.col.{column}"), key=column)
        self.table("calls").focus()
        self.set_interval(RELOAD_SECONDS, self.reload)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.call_later(self.reload)  # also after each dialog: it may have changed the book

    def show_note(self, text: str) -> None:
        note = self.query_one("#hotline-note", Static)
        note.update(text)
        note.set_class(not text, "hidden")

    def book(self) -> HotlineBook:
        return self.ctx.desk.hotline  # KeyFileError when the field key is unusable

    async def reload(self) -> None:
        user = self.ctx.user
        if user is None:
            return
        try:
            book = self.book()
            due = await book.followups_due(user)
            calls = await self._calls(book, user)
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        self.ctx.figures.followups.put(followups_text(len(due)))
        self.due = {d.incident_id: d for d in due}
        self.calls = {c.id: c for c in calls}
        self.query_one("#hotline-due-title", Static).update(t("hotline.due_title", n=len(due)))
        fill_table(self.table("due"), [(d.incident_id, self._due_cells(d)) for d in due])
        title = "hotline.found" if self.search is not None else "hotline.today"
        self.query_one("#hotline-calls-title", Static).update(t(title, n=len(calls)))
        fill_table(self.table("calls"), [(c.id, self._call_cells(c)) for c in calls])

    async def _calls(self, book: HotlineBook, user: User) -> list[Call]:
        if self.search is not None:
            return await book.calls(
                user, text=self.search["text"] or None, phone=self.search["phone"] or None
            )
        tz = self.ctx.desk.site.site.tz
        today = self.ctx.desk.clock().astimezone(tz).date()
        since = dt.datetime.combine(today, dt.time(), tz)
        return await book.calls(user, since, since + dt.timedelta(days=1))

    def _when(self, moment: dt.datetime) -> str:
        tz = self.ctx.desk.site.site.tz
        local, today = moment.astimezone(tz), self.ctx.desk.clock().astimezone(tz).date()
        return local.strftime("%H:%M" if local.date() == today else "%m-%d %H:%M")

    def _call_cells(self, call: Call) -> list[Text]:
        incident = f"#{call.incident_id}" if call.incident_id is not None else ""
        cells = (self._when(call.received_at), call.caller, call.unit, call.phone_masked or "")
        return [Text(cell) for cell in (*cells, call.topic, incident)]

    def _due_cells(self, due: FollowUpDue) -> list[Text]:
        cells = (f"#{due.incident_id}", due.title, self._when(due.closed_at), due.caller)
        return [Text(cell) for cell in (*cells, due.unit, due.phone_masked or "")]

    def selected_call(self) -> Call | None:
        call_id = cursor_id(self.table("calls"))
        call = self.calls.get(call_id) if call_id is not None else None
        if call is None:
            self.notify(t("hotline.none_selected"))
        return call

    # The keys.

    def action_new_call(self) -> None:
        user = self.ctx.user
        if user is None:
            return

        async def log(values: Values) -> Call:
            return await self.book().log_call(
                user,
                caller=values["caller"],
                unit=values["unit"],
                phone=values["phone"],
                topic=values["topic"],
                action=values["action"],
            )

        self.app.push_screen(CallDialog(log), self._logged)

    def _logged(self, call: Call | None) -> None:
        if call is not None:
            self.show_note("")
            self.notify(t("hotline.logged"))

    def action_to_incident(self) -> None:
        user, call = self.ctx.user, self.selected_call()
        if user is None or call is None:
            return

        async def open_incident(values: Values) -> Incident:
            return await self.book().open_incident(
                user, call.id, values["severity"], values["category"], values["title"]
            )

        self.app.push_screen(CallIncidentDialog(call, open_incident), self._incident_opened)

    def _incident_opened(self, incident: Incident | None) -> None:
        if incident is not None:
            self.ctx.figures.incidents.invalidate()
            self.notify(t("hotline.incident_opened", id=incident.id))

    async def action_link(self) -> None:
        user, call = self.ctx.user, self.selected_call()
        if user is None or call is None:
            return
        open_ones = await self.ctx.desk.incidents.not_closed()
        if not open_ones:
            self.show_note(t("hotline.no_open_incidents"))
            return

        async def link(values: Values) -> Call:
            return await self.book().link(user, call.id, int(values["incident"]))

        self.app.push_screen(LinkDialog(call, open_ones, link), self._linked)

    def _linked(self, call: Call | None) -> None:
        if call is not None:
            self.notify(t("hotline.linked", id=call.incident_id))

    def action_follow_up(self) -> None:
        user = self.ctx.user
        incident_id = cursor_id(self.table("due"))
        due = self.due.get(incident_id) if incident_id is not None else None
        if user is None or due is None:
            self.notify(t("hotline.due_none_selected"))
            return

        async def record(values: Values) -> FollowUp:
            return await self.book().record_followup(
                user,
                due.incident_id,
                contact=values["contact"],
                satisfaction=values["satisfaction"],
                remarks=values["remarks"],
            )

        self.app.push_screen(FollowUpDialog(due, record), self._followed_up)

    def _followed_up(self, followup: FollowUp | None) -> None:
        if followup is not None:
            self.ctx.figures.followups.invalidate()
            self.notify(t("hotline.followed_up"))

    async def action_reveal(self) -> None:
        """The caller's full number, which data/ refuses to all but supervisors (the
        refusal is shown; granted or not, it is audited). Shown in the note until the
        next reload: never in the list."""
        user, call = self.ctx.user, self.selected_call()
        if user is None or call is None:
            return
        try:
            number = await self.book().reveal_phone(user, call.id)
        except DutyDeskError as error:
            self.show_note(explain(error))
            return
        self.show_note(t("hotline.revealed", caller=call.caller, phone=number))

    def action_search(self) -> None:
        self.query_one("#hotline-filters").remove_class("hidden")
        self.query_one("#hotline-q-text", Input).focus()

    @on(Input.Submitted, "#hotline-filters Input")
    async def _searched(self) -> None:
        self.search = {
            name: self.query_one(f"#hotline-q-{name}", Input).value.strip() for name in FILTERS
        }
        self.show_note("")
        await self.reload()
        self.table("calls").focus()

    async def action_clear_search(self) -> None:
        filters = self.query_one("#hotline-filters")
        if self.search is None and filters.has_class("hidden"):
            return
        for name in FILTERS:
            self.query_one(f"#hotline-q-{name}", Input).value = ""
        filters.add_class("hidden")
        self.search = None
        self.show_note("")
        await self.reload()
        self.table("calls").focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, DataTable):
            self.show_note("")  # a revealed number does not stay up while moving around

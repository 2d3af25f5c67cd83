"""The shift handover section (交接班): the current watch, its summary compiled by itself,
the outgoing operator's notes and the pending items carried forward; the dual sign-off;
the history of sealed handovers.

Every rule (who may sign, two accounts, sealed records never change) is data.records
.handover's; this screen shows its state and its refusals, translated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from console.context import DeskContext
from console.screens.handover import dialogs as dialogs
from console.screens.handover.view import (
    HandoverViewer,
    export_handover,
    handover_doc,
    render_sections,
)
from console.screens.section import SectionScreen
from data.accounts import User
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.handover.book import HandoverBook
from data.records.handover.model import Handover, HandoverSummary, PendingItem

HISTORY_DAYS = 92  # the history lists the last quarter
DialogMaker = Callable[[HandoverBook, User, Handover], dialogs.HandoverDialog]
WATCH_ONLY = {"take_over", "notes", "add_pending", "close_pending"}


class HandoverScreen(SectionScreen):
    SECTION = "handover"
    RECORD_ACTIONS = ("handover.", "session.handover")
    BINDINGS = [
        Binding("o", "open_shift", "handover.open_shift", id="handover.open_shift"),
        Binding("t", "take_over", "handover.take_over", id="handover.take_over"),
        Binding("n", "notes", "handover.edit_notes", id="handover.notes"),
        Binding("p", "add_pending", "handover.add_pending", id="handover.add_pending"),
        Binding("c", "close_pending", "handover.close_pending", id="handover.close_pending"),
        Binding("h", "history", "handover.history", id="handover.history"),
        Binding("e", "export", "handover.export", id="handover.export"),
    ]
    CSS_PATH = Path(__file__).with_name("handover.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.duty_watch: Handover | None = None
        self.summary: HandoverSummary | None = None
        self.pending_items: list[PendingItem] = []
        self.past: list[Handover] = []  # what the history table lists, in its order
        self.showing_history = False
        self.sealed_note = ""  # the seal of the handover signed here last

    def compose_body(self) -> ComposeResult:
        yield Static("", id="handover-watch", markup=False)
        with Horizontal(id="handover-side"):
            with Vertical():
                yield Label(t("handover.notes"))
                yield Static("", id="handover-notes", markup=False)
            with Vertical():
                yield Label(t("handover.pending"))
                yield DataTable(id="handover-pending", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="handover-summary"):
            yield Static("", id="handover-summary-text")
        yield DataTable(id="handover-history", cursor_type="row", classes="hidden")

    async def on_mount(self) -> None:
        pending = self.query_one("#handover-pending", DataTable)
        pending.add_columns(t("record_doc.col.text"), t("record_doc.col.who"))
        history = self.query_one("#handover-history", DataTable)
        history.add_columns(*(t(f"handover.history.col.{c}") for c in HISTORY_COLUMNS))
        await self.reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.call_later(self.reload)  # another terminal may have signed meanwhile

    # Showing.

    async def reload(self) -> None:
        book = self.ctx.desk.handovers
        self.duty_watch = await book.current()
        self.summary = await book.preview(self.duty_watch.id) if self.duty_watch else None
        self.pending_items = await book.pending()
        if self.showing_history:
            await self.load_history()
        self.show_watch()
        self.refresh_bindings()
        await self.ctx.refresh_duty()

    def show_watch(self) -> None:
        tz = self.ctx.desk.site.site.tz
        watch, lines = self.duty_watch, []
        if watch is None:
            lines.append(t("handover.no_watch"))
        else:
            start, end = watch.shift_start.astimezone(tz), watch.shift_end.astimezone(tz)
            span = f"{start:%m-%d %H:%M}–{end:%H:%M}"
            since = f"{watch.period_start.astimezone(tz):%m-%d %H:%M}"
            lines.append(
                t(
                    "handover.watch",
                    id=watch.id,
                    shift=watch.shift_name,
                    span=span,
                    operator=watch.operator,
                    since=since,
                )
            )
            if watch.status == "signed_out" and watch.out_signed_at:
                at = f"{watch.out_signed_at.astimezone(tz):%H:%M}"
                lines.append(t("handover.waiting_incoming", operator=watch.operator, at=at))
            if watch.refusals:
                last = watch.refusals[-1]
                at = f"{last.refused_at.astimezone(tz):%m-%d %H:%M}"
                lines.append(t("handover.refused", who=last.refused_by, at=at, reason=last.reason))
        if self.sealed_note:
            lines.append(self.sealed_note)
        self.query_one("#handover-watch", Static).update("\n".join(lines))
        notes = watch.notes if watch and watch.notes else t("record_doc.none")
        self.query_one("#handover-notes", Static).update(notes)
        table = self.query_one("#handover-pending", DataTable)
        table.clear()
        for item in self.pending_items:
            table.add_row(Text(item.text), item.opened_by, key=str(item.id))
        body: RenderableType = Text(t("handover.no_summary"))
        if watch is not None and self.summary is not None:
            doc = handover_doc(self.ctx.desk, watch, self.summary)
            skip = {t("record_doc.handover.notes"), t("record_doc.handover.pending")}
            body = render_sections(s for s in doc.sections if s.heading not in skip)
        self.query_one("#handover-summary-text", Static).update(body)

    async def load_history(self) -> None:
        now = self.ctx.desk.clock()
        book = self.ctx.desk.handovers
        since, until = now - dt.timedelta(days=HISTORY_DAYS), now + dt.timedelta(days=1)
        self.past = list(reversed(await book.history(since, until)))  # newest first
        tz = self.ctx.desk.site.site.tz
        table = self.query_one("#handover-history", DataTable)
        table.clear()
        for h in self.past:
            sealed_at = h.seal.sealed_at if h.seal else h.in_signed_at
            when = f"{sealed_at.astimezone(tz):%Y-%m-%d %H:%M}" if sealed_at else ""
            kind = t("handover.history.amends", id=h.amends_id) if h.amends_id else h.shift_name
            mark = t("handover.history.sealed") if h.sealed else ""
            table.add_row(f"#{h.id}", when, kind, h.operator, h.incoming or "", mark, key=str(h.id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer shows only the keys that apply now."""
        if self.showing_history and action in WATCH_ONLY:
            return False
        if action == "open_shift":
            return self.duty_watch is None and not self.showing_history
        if action in WATCH_ONLY:
            return self.duty_watch is not None and (
                action != "close_pending" or bool(self.pending_items)
            )
        return True

    # Acting.

    async def action_open_shift(self) -> None:
        user = self.ctx.user
        if user is None:
            return
        try:
            await self.ctx.desk.handovers.open_shift(user)
        except DutyDeskError as refused:
            self.notify(explain(refused), severity="error")
        await self.reload()

    def action_take_over(self) -> None:
        user, watch = self.ctx.user, self.duty_watch
        if user is None or watch is None:
            return
        book = self.ctx.desk.handovers
        if watch.status == "signed_out":
            self.app.push_screen(dialogs.incoming_dialog(book, watch), self._after_incoming)
            return
        self.app.push_screen(
            dialogs.sign_out_dialog(book, user, watch, self.sign_out_intro()), self._signed_out
        )

    def sign_out_intro(self) -> str:
        summary = self.summary
        if summary is None:
            return ""
        unacked = sum(1 for a in summary.alarms_open if not a.ack_by)
        missed = sum(1 for i in summary.inspections if i.state != "done")
        return t(
            "handover.sign_out.intro",
            alarms=len(summary.alarms_open),
            unacked=unacked,
            pending=len(summary.open_pending),
            inside=len(summary.people_in_room or []),
            missed=missed,
        )

    async def _signed_out(self, result: object) -> None:
        await self.reload()
        if isinstance(result, Handover):  # now the incoming operator's turn
            book = self.ctx.desk.handovers
            self.app.push_screen(dialogs.incoming_dialog(book, result), self._after_incoming)

    async def _after_incoming(self, result: object) -> None:
        if isinstance(result, Handover) and result.seal is not None and result.incoming:
            self.sealed_note = t(
                "handover.sealed", id=result.id, incoming=result.incoming, sha=result.seal.sha256
            )
            # signed here by both: the incoming operator holds the console
            incoming = await self.ctx.desk.accounts.find(result.incoming)
            if incoming is None:  # the data layer authenticated them just before
                raise LookupError(f"no account {result.incoming}")
            await self.ctx.took_over(incoming)
            await self.reload()
            self.notify(self.sealed_note)  # last: the handover is done when this shows
            return
        if isinstance(result, Handover):
            self.notify(
                t("handover.refusal_recorded", operator=result.operator), severity="warning"
            )
        await self.reload()

    def action_notes(self) -> None:
        self._open_dialog(dialogs.notes_dialog)

    def action_add_pending(self) -> None:
        self._open_dialog(dialogs.add_pending_dialog)

    def _open_dialog(self, make: DialogMaker) -> None:
        user, watch = self.ctx.user, self.duty_watch
        if user is not None and watch is not None:
            self.app.push_screen(make(self.ctx.desk.handovers, user, watch), self._changed)

    def action_close_pending(self) -> None:
        table = self.query_one("#handover-pending", DataTable)
        user = self.ctx.user
        if user is None or not self.pending_items or table.cursor_row < 0:
            return
        item = self.pending_items[min(table.cursor_row, len(self.pending_items) - 1)]
        dialog = dialogs.close_pending_dialog(self.ctx.desk.handovers, user, item)
        self.app.push_screen(dialog, self._changed)

    async def _changed(self, result: object) -> None:
        if result is not None:
            await self.reload()

    async def action_history(self) -> None:
        self.showing_history = not self.showing_history
        for widget_id in ("handover-side", "handover-summary"):
            self.query_one(f"#{widget_id}").set_class(self.showing_history, "hidden")
        history = self.query_one("#handover-history", DataTable)
        history.set_class(not self.showing_history, "hidden")
        if self.showing_history:
            await self.load_history()
            history.focus()
        else:
            self.query_one("#handover-pending", DataTable).focus()
        self.refresh_bindings()

    def selected_past(self) -> Handover | None:
        table = self.query_one("#handover-history", DataTable)
        if not self.past or table.cursor_row < 0:
            return None
        return self.past[min(table.cursor_row, len(self.past) - 1)]

    @on(DataTable.RowSelected, "#handover-history")
    def _open_past(self) -> None:
        chosen = self.selected_past()
        if chosen is not None:
            self.app.push_screen(HandoverViewer(self.ctx, chosen))

    async def action_export(self) -> None:
        """The highlighted past handover in the history, else the watch as it stands."""
        chosen = self.selected_past() if self.showing_history else self.duty_watch
        if chosen is None:
            self.notify(t("handover.export.nothing"), severity="warning")
            return
        doc = handover_doc(self.ctx.desk, chosen, None if chosen.sealed else self.summary)
        written = await export_handover(self.ctx, self.app, chosen, doc)
        self.notify(t("handover.export.done", paths=", ".join(map(str, written))))


HISTORY_COLUMNS = ("id", "time", "shift", "outgoing", "incoming", "sealed")

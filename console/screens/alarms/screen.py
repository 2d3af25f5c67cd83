"""The alarms section: active alarms by severity and age, acknowledgement (one or many),
withdrawal, muting the bell, and the history of alarms with filters.

The active list comes from the context's LiveState (kept current by check events); the history
is read from the AlarmBook on demand. Viewing this screen counts as having seen the bell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from checks.feed import CheckSnapshot
from console.bindings import translate_bindings
from console.context import DeskContext, LiveView
from console.dialogs.reason import ReasonDialog
from console.screens.acknowledge import AckDialog
from console.screens.device.screen import DeviceScreen
from console.screens.incidents.hooks import open_incident
from console.screens.section import SectionScreen
from data.i18n import t
from data.records.alarms.model import SEVERITIES, Alarm, BellMute
from widgets.alarm_list import AlarmList, AlarmRow, attempts_text, format_age

HISTORY_DAYS = 7  # the history opens on the last week
MUTE_MINUTES = 30  # offered by default when muting the bell
AGE_REFRESH_SECONDS = 30.0


class AlarmsScreen(SectionScreen, LiveView):
    SECTION = "alarms"
    BINDINGS = [
        Binding("a", "ack", "alarms.ack", id="alarms.ack"),
        Binding("u", "unack", "alarms.unack", id="alarms.unack"),
        Binding("h", "history", "alarms.history", id="alarms.history"),
        Binding("m", "mute", "alarms.mute", id="alarms.mute"),
        Binding("i", "incident", "alarms.incident", id="alarms.incident"),
        Binding("escape", "live", "alarms.live", id="alarms.live", show=False),
    ]
    CSS_PATH = Path(__file__).with_name("alarms.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.history = False
        self.shown: dict[int, Alarm] = {}  # what the list shows, by alarm id
        self.muted: BellMute | None = None
        self.note = ""  # e.g. a bad date in the history filter
        self._live_seen: frozenset[Alarm] = frozenset()  # the live alarms the history last saw

    def compose_body(self) -> ComposeResult:
        yield Static("", id="alarms-summary")
        with Horizontal(id="alarms-filters", classes="hidden"):
            yield Input(placeholder=t("alarms.filter.from"), id="alarms-from")
            yield Input(placeholder=t("alarms.filter.to"), id="alarms-to")
            yield Input(placeholder=t("alarms.filter.device"), id="alarms-device")
            yield Select(
                [(t("wall.state." + s.lower()), s) for s in reversed(SEVERITIES)],
                prompt=t("alarms.filter.any_severity"),
                id="alarms-severity",
            )
        table = AlarmList(id="alarms-list")
        translate_bindings(table)
        yield table

    @property
    def table(self) -> AlarmList:
        return self.query_one(AlarmList)

    def on_mount(self) -> None:
        self.set_interval(AGE_REFRESH_SECONDS, self._refresh_ages)
        self.table.focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.ctx.alarms_seen()  # the operator is looking at the alarms now
        self._refresh_ages()
        self.call_later(self._load_mute)

    def _refresh_ages(self) -> None:
        """Ages on the live list; the history is read again (another console may have
        acknowledged or cleared an alarm)."""
        if self.history:
            self._reload_history()
        else:
            self.refresh_live(None)

    def refresh_live(self, changed: set[str] | None) -> None:
        """Rebuild the active list from the live state (it is short; ``changed`` unused).
        The history is read again when an alarm was raised, changed or cleared."""
        live = self.ctx.live_state
        if not self.is_mounted:
            return
        if self.history:
            now_live = frozenset(live.alarms.values()) if live is not None else frozenset()
            if now_live != self._live_seen:
                self._live_seen = now_live
                self._reload_history()
            return
        alarms = ordered(live.alarms.values()) if live is not None else []
        self._show(alarms)

    def _show(self, alarms: list[Alarm]) -> None:
        desk = self.ctx.desk
        names = {device.id: device.name for device in desk.site.devices}
        self.shown = {alarm.id: alarm for alarm in alarms}
        now, tz = desk.clock(), desk.site.site.tz
        live = self.ctx.live_state
        checks = live.checks if live is not None and not self.history else {}
        rows = alarm_rows(alarms, names, now, tz, checks)
        self.table.set_rows(rows, history=self.history)
        self._update_summary()

    def _update_summary(self) -> None:
        desk = self.ctx.desk
        tz, now = desk.site.site.tz, desk.clock()
        if self.history:
            text = t("alarms.history_summary", n=len(self.shown))
        elif self.ctx.live_state is None:  # no checks here nor a watch to attach to
            text = t("alarms.no_checks")
        else:
            unacked = sum(1 for alarm in self.shown.values() if not alarm.acknowledged)
            text = t("alarms.summary", active=len(self.shown), unacked=unacked)
        if self.muted is not None and self.muted.until > now:
            until = self.muted.until.astimezone(tz).strftime("%H:%M")
            text += " · " + t("alarms.muted", until=until, who=self.muted.who)
        if self.note:
            text += " · " + self.note
        self.query_one("#alarms-summary", Static).update(Text(text))

    async def _load_mute(self) -> None:
        self.muted = await self.ctx.desk.alarms.bell_muted()
        self._update_summary()

    # -- keys ------------------------------------------------------------------------

    def action_ack(self) -> None:
        alarms = [self.shown[i] for i in self.table.selected_ids() if i in self.shown]
        if not alarms:
            self.notify(t("alarms.none_selected"))
            return

        def done(result: list[Alarm] | None) -> None:
            if result:
                self.table.marked.clear()
                self._after_change()

        self.app.push_screen(AckDialog(self.ctx, alarms), done)

    def action_unack(self) -> None:
        ctx, book = self.ctx, self.ctx.desk.alarms
        alarm = self.shown.get(self.table.current_id or -1)
        user = ctx.user
        if user is None or alarm is None:
            return
        if not alarm.acknowledged:
            self.notify(t("error.alarm_not_acknowledged"))
            return

        async def withdraw(reason: str, _: int) -> None:
            ctx.alarms_changed([await book.unacknowledge(user, alarm.id, reason)])

        title = t("alarms.unack_title", device=alarm.device_id, check=alarm.check_id)
        self.app.push_screen(ReasonDialog(title, withdraw), lambda _: self._after_change())

    def action_mute(self) -> None:
        book, user = self.ctx.desk.alarms, self.ctx.user
        if user is None:
            return

        async def mute(reason: str, minutes: int) -> None:
            self.muted = await book.mute_bell(user, minutes, reason)

        dialog = ReasonDialog(t("alarms.mute_title"), mute, minutes=MUTE_MINUTES)
        self.app.push_screen(dialog, lambda _: self._update_summary())

    def action_incident(self) -> None:
        """Open an incident from the alarm under the cursor (filled in from it)."""
        alarm = self.shown.get(self.table.current_id or -1)
        if alarm is None:
            self.notify(t("alarms.none_selected"))
        else:  # a cleared one from the history too: it flapped, the fault is worth a record
            open_incident(self.ctx, self.app, alarm.device_id, alarm)

    def _after_change(self) -> None:
        """After an ack or a withdrawal: the history is re-read, the live list redrawn."""
        if self.history:
            self._reload_history()
        else:
            self.refresh_live(None)

    @on(AlarmList.Opened)
    def _open(self, event: AlarmList.Opened) -> None:
        self.app.push_screen(DeviceScreen(self.ctx, event.device_id))

    # -- history ---------------------------------------------------------------------

    async def action_history(self) -> None:
        """``h`` switches between the live list and the history."""
        await self._show_history(not self.history)

    async def action_live(self) -> None:
        """Esc: from the history (or one of its filters) back to the live list."""
        await self._show_history(False)

    async def _show_history(self, history: bool) -> None:
        self.history = history
        self.note = ""
        filters = self.query_one("#alarms-filters")
        filters.set_class(not self.history, "hidden")
        if self.history:
            live = self.ctx.live_state
            self._live_seen = frozenset(live.alarms.values()) if live is not None else frozenset()
            today = self.ctx.desk.clock().astimezone(self.ctx.desk.site.site.tz).date()
            start = self.query_one("#alarms-from", Input)
            end = self.query_one("#alarms-to", Input)
            start.value = start.value or str(today - dt.timedelta(days=HISTORY_DAYS - 1))
            end.value = end.value or str(today)
            await self._load_history()
        else:
            self.refresh_live(None)
        self.table.focus()

    @on(Input.Submitted, "#alarms-filters Input")
    @on(Select.Changed, "#alarms-severity")
    async def _filter_changed(self) -> None:
        if self.history:
            await self._load_history()
            self.table.focus()

    @work(exclusive=True, group="alarms-history")
    async def _reload_history(self) -> None:
        await self._load_history()

    async def _load_history(self) -> None:
        book = self.ctx.desk.alarms
        tz = self.ctx.desk.site.site.tz
        try:
            since = _day_start(self.query_one("#alarms-from", Input).value, tz)
            until = _day_start(self.query_one("#alarms-to", Input).value, tz)
        except ValueError:
            self.note = t("alarms.bad_date")
            self._update_summary()
            return
        self.note = ""
        severity = self.query_one("#alarms-severity", Select).value
        found = await book.history(
            since=since,
            until=until + dt.timedelta(days=1) if until else None,
            severity=severity if isinstance(severity, str) else None,
        )
        if not self.history:  # Esc was pressed while the store was read
            return
        text = self.query_one("#alarms-device", Input).value.strip().casefold()
        names = {device.id: device.name for device in self.ctx.desk.site.devices}
        self._show(
            [
                a
                for a in found
                if not text
                or text in a.device_id.casefold()
                or text in names.get(a.device_id, "").casefold()
            ]
        )


def _day_start(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """The start of the day ``YYYY-MM-DD`` in the site's zone; None when blank."""
    if not text.strip():
        return None
    day = dt.date.fromisoformat(text.strip())
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def ordered(alarms: Iterable[Alarm]) -> list[Alarm]:
    """Most severe first, then the oldest first (as AlarmBook.active orders them)."""
    return sorted(alarms, key=lambda a: (-SEVERITIES.index(a.severity), a.raised_at, a.id))


def alarm_rows(
    alarms: Iterable[Alarm],
    names: Mapping[str, str],
    now: dt.datetime,
    tz: dt.tzinfo,
    checks: Mapping[tuple[str, str], CheckSnapshot] | None = None,
) -> list[AlarmRow]:
    """What the list shows of each alarm, in the site's language and time zone. The
    attempts of a live alarm are its check's, from ``checks`` (the live snapshots the
    device detail shows too); a past alarm shows the count stored when it was raised."""

    def local(moment: dt.datetime | None) -> str:
        return moment.astimezone(tz).strftime("%m-%d %H:%M") if moment else ""

    def attempts(alarm: Alarm) -> str:
        snap = (checks or {}).get((alarm.device_id, alarm.check_id))
        if snap is None or snap.pending or alarm.cleared_at is not None:
            return str(alarm.attempts)
        return attempts_text(snap.attempt, snap.max_attempts)

    return [
        AlarmRow(
            alarm_id=a.id,
            device_id=a.device_id,
            device_name=names.get(a.device_id, a.device_id),
            check_id=a.check_id,
            severity=a.severity,
            message=a.message,
            since=local(a.raised_at),
            age=format_age(((a.cleared_at or now) - a.raised_at).total_seconds()),
            attempts=attempts(a),
            ack_by=a.ack_by or "",
            ack_until=t("alarms.until_recovery")
            if a.sticky and a.acknowledged
            else local(a.ack_until),
            sticky=a.sticky,
            flapping=a.flapping,
            reraised=a.reraised_count,
            cleared=local(a.cleared_at),
        )
        for a in alarms
    ]

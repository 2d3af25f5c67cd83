"""The Textual application: login first, then the section screens, with an idle lock.

``create_app`` is the one factory the CLI and the tests both call. The App opens the desk
(``data.desk.open_desk``: every record book, built once) and is the ``DeskContext`` its
screens are given (console/context.py); the section screens are the static mapping
``SECTION_SCREENS``, each made with that context.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from textual import events
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from console.bell import FLASH_CLASS, AlarmBell
from console.bindings import translate_bindings
from console.context import LiveView
from console.header_figures import HeaderFigures, header_figures
from console.live import Background, CheckEvent, Live, SavingChanged, WatchRoleChanged
from console.live_state import LiveState, last_changes
from console.palette import PALETTE_BINDING, open_palette, palette_commands
from console.runtime import CheckRuntime
from console.screens.alarms.screen import AlarmsScreen
from console.screens.assets.screen import AssetsScreen
from console.screens.handover.screen import HandoverScreen
from console.screens.hotline.screen import HotlineScreen
from console.screens.incidents.screen import IncidentsScreen
from console.screens.inspections.screen import InspectionsScreen
from console.screens.plans.screen import PlansScreen
from console.screens.reports.screen import ReportsScreen
from console.screens.roster.screen import RosterScreen
from console.screens.section import SectionScreen
from console.screens.session.login import LoginScreen
from console.screens.session.quit import QuitDialog
from console.screens.visitors.screen import VisitorsScreen
from console.screens.wall.screen import WallScreen
from data.accounts import User
from data.crypto import KeyFileError, ensure_key
from data.desk import Desk, open_desk
from data.errors import DutyDeskError
from data.i18n import explain, resolve_language, set_language, t
from data.models import Site
from data.paths import exposed_store_files
from data.records.alarms.model import Alarm
from data.records.watch.book import CONSOLE_BEAT_SECONDS
from data.records.watch.model import LeaseRow
from data.shifts import shift_at
from data.store import DatabaseFault
from widgets.duty_header import DutyHeader, WatchFigure

log = logging.getLogger(__name__)
STORE_POLL_SECONDS = 0.2  # attached consoles: what others wrote shows within this (+ read)

# Each section's screen, made with the App as its DeskContext (ids as console.sections).
SECTION_SCREENS: dict[str, type[SectionScreen]] = {
    "wall": WallScreen,
    "alarms": AlarmsScreen,
    "handover": HandoverScreen,
    "visitors": VisitorsScreen,
    "inspections": InspectionsScreen,
    "incidents": IncidentsScreen,
    "reports": ReportsScreen,
    "roster": RosterScreen,
    "hotline": HotlineScreen,
    "plans": PlansScreen,
    "assets": AssetsScreen,
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class AppConfig:
    site: Site
    db_path: Path | str  # a SQLite file or a PostgreSQL DSN (data.stores)
    login_hint: str | None = None  # demo accounts shown on the login screen (demo only)
    background: list[Background] = field(default_factory=list)  # e.g. the demo lab
    run_checks: bool = True
    start_checks: bool = True  # False: live state and alarms, but no probing (tests)
    terminal: str | None = None
    clock: Callable[[], dt.datetime] = utc_now  # injectable for snapshot tests
    monotonic: Callable[[], float] = field(default=time.monotonic)


class DutyDeskApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "dutydesk"
    BINDINGS = [
        Binding("ctrl+q", "quit", "binding.quit", id="app.quit", priority=True),
        Binding("ctrl+l", "lock", "binding.lock", id="app.lock"),
        PALETTE_BINDING,  # declared here so its footer label is translated
    ]
    LIVE_FLUSH_DELAY = 0.2  # seconds: check events within it are redrawn in one batch

    def __init__(self, config: AppConfig) -> None:
        set_language(resolve_language(config.site.site.language))
        super().__init__()
        translate_bindings(self)
        self.config = config
        self.site = config.site
        self.user: User | None = None
        self.duty_operator: str | None = None  # who holds the watch (refresh_duty)
        self.startup_error: str | None = None
        self._desk: Desk | None = None
        self._figures: HeaderFigures | None = None
        self._bell: AlarmBell | None = None
        self._wanted_incident: int | None = None  # asked of the incidents section, once
        self.live: Live | None = None
        self.live_state: LiveState | None = None
        self._dirty: set[str] = set()
        self._flush_armed = False
        # The header's counts as of the last redraw of the live view: the 1 s tick must not
        # show counts the wall has not drawn yet (they change together, in the flush).
        self._drawn_counts: Counter[str] | None = None
        self._last_activity = config.monotonic()
        self.records_unsaved = False  # the recorder cannot write: the header says so on red
        self.store_unreachable = False  # the database server is away (PostgreSQL): likewise
        self.lease: LeaseRow | None = None  # the store's watch lease, as last read
        self._lease_read_at = -1e9
        self._console_seen_at = -1e9
        for section_id, make_screen in SECTION_SCREENS.items():
            self.add_mode(section_id, partial(make_screen, self))

    # -- the DeskContext the screens are given (console/context.py) ------------------------

    @property
    def desk(self) -> Desk:
        if self._desk is None:
            raise RuntimeError("the desk is not open yet")
        return self._desk

    @property
    def figures(self) -> HeaderFigures:
        if self._figures is None:
            raise RuntimeError("the desk is not open yet")
        return self._figures

    @property
    def alarm_bell(self) -> AlarmBell:
        if self._bell is None:
            raise RuntimeError("the desk is not open yet")
        return self._bell

    @property
    def check_runtime(self) -> CheckRuntime | None:
        return self.live.runtime if self.live is not None else None

    def alarms_changed(self, alarms: Iterable[Alarm]) -> None:
        """Put changed alarms into the live state and redraw what shows them: every live
        view in the stack (a dialog may still be on top of the screen to update)."""
        if self.live_state is None:
            return
        devices = set()
        for alarm in alarms:
            self.live_state.set_alarm(alarm)
            devices.add(alarm.device_id)
        for screen in self.screen_stack:
            if isinstance(screen, LiveView):
                screen.refresh_live(devices)
        self.refresh_header()

    def alarms_seen(self) -> None:
        if self._bell is not None:
            self._bell.seen()

    async def refresh_duty(self) -> None:
        """Put the duty operator's name (full name when known) into the header."""
        on_duty = await self.desk.handovers.on_duty()
        name = None
        if on_duty is not None:
            account = await self.desk.accounts.find(on_duty.user)
            name = (account.full_name if account else "") or on_duty.user
        self.duty_operator = name
        self.refresh_header()

    async def show_incident(self, incident_id: int) -> None:
        self._wanted_incident = incident_id
        if self.current_mode == "incidents" and isinstance(self.screen, IncidentsScreen):
            self.screen.reload()
        else:
            await self.switch_mode("incidents")

    def take_wanted_incident(self) -> int | None:
        wanted, self._wanted_incident = self._wanted_incident, None
        return wanted

    # -- life -----------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.title = self.site.site.name
        try:
            self._desk = await open_desk(
                self.site,
                self.config.db_path,
                terminal=self.config.terminal,
                clock=self.config.clock,
            )
        except (DutyDeskError, OSError) as error:
            self.startup_error = explain(error)
            self.exit(2)
            return
        try:
            await self._desk.audit.check_key()
        except DutyDeskError as error:  # e.g. the audit key is missing
            self.startup_error = explain(error)
            await self._desk.close()
            self._desk = None
            self.exit(2)
            return
        # The visitors' field key, beside the database (mode 0600) when missing; an
        # unusable one is refused by the visitors section when it is opened.
        with contextlib.suppress(KeyFileError):
            ensure_key(self._desk.db_path)
        self._figures = header_figures(
            self._desk,
            monotonic=self.config.monotonic,
            start=lambda work, group: self.run_worker(work, group=group, exit_on_error=False),
            changed=self.refresh_header,
        )
        self._bell = AlarmBell(
            self, self._desk.alarms, redraw=self.refresh_header, expired=self.alarms_changed
        )
        for path, mode in exposed_store_files(self._desk.db_path):
            warning = t("store.exposed", path=path, mode=f"{mode:04o}")
            self.notify(warning, severity="warning", timeout=60)
        try:
            for job in self.config.background:
                await job.start()
        except OSError as error:  # e.g. a demo lab port already taken
            self.startup_error = str(error)
            self.exit(2)
            return
        self.live_state = LiveState(self.site)  # fed by CheckEvent messages, from Live or tests
        if self.config.run_checks and self.site.devices:
            live = self.live = Live(
                self._desk, self.post_message, start_checks=self.config.start_checks
            )
            alarms = await self._desk.alarms.active()
            await live.tail.start(alarms)
            await live.start()  # the watch, unless another process is it: then attached
            await self._load_live_state(alarms)
            self._bell.start()
            self._poll_store_later()
        self._drawn_counts = self.live_state.counts()  # what the first screen will draw
        if self.site.site.keymap:
            self.set_keymap(self.site.site.keymap)
        await self.push_screen(LoginScreen(self, self.logged_in, hint=self.config.login_hint))
        self.set_interval(1.0, self._tick)

    async def _load_live_state(self, alarms: list[Alarm]) -> None:
        """The live state from this console's own checks, or from the watch's snapshot in
        the store when another process is the watch."""
        assert self.live is not None and self.live_state is not None
        # a tile's age is its state's: since the last change stored in the last month
        month_ago = self.config.clock() - dt.timedelta(days=31)
        changes = last_changes(await self.desk.checks.transitions(since=month_ago, limit=50_000))
        runtime = self.live.runtime
        if runtime is not None:
            snapshot = runtime.scheduler.snapshot()
            self.live_state.load(snapshot.checks, snapshot.devices, alarms, changes)
        else:
            attached = await self.live.tail.attach()
            self.live_state.load(attached.checks, attached.devices, alarms, changes)

    async def on_unmount(self) -> None:
        if self.live is not None:
            await self.live.stop()  # hands the watch over to a waiting serve
            with contextlib.suppress(Exception):
                await self.desk.watch.console_left(self.live.watch.holder.id)
        for job in reversed(self.config.background):
            await job.stop()
        if self._desk is not None:
            await self._desk.close()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown):
            self._last_activity = self.config.monotonic()
        if isinstance(event, events.Key):
            self.alarms_seen()
        await super().on_event(event)

    def logged_in(self, user: User, login: Screen[None]) -> None:
        """The login screen succeeded. The rest runs on the app's queue: awaiting the pop of
        a screen from inside that screen's own handler would deadlock."""
        self.user = user
        self._last_activity = self.config.monotonic()
        self.call_later(self._leave_login, login)

    async def _leave_login(self, login: Screen[None]) -> None:
        if self.screen is login:
            await self.pop_screen()
        if self.current_mode == self.DEFAULT_MODE:
            await self.switch_mode("wall")
        await self.refresh_duty()  # also refreshes the header

    async def took_over(self, incoming: User) -> None:
        """A handover signed here by both was sealed: the incoming operator now holds this
        console, so every later action, the idle lock and the lock screen are theirs."""
        outgoing = self.user.name if self.user else None
        self.user = incoming
        self._last_activity = self.config.monotonic()
        detail = {"from": outgoing, "to": incoming.name}
        audit = self.desk.audit
        await audit.record(incoming.name, "session.handover", incoming.name, detail=detail)
        await self.refresh_duty()

    def on_check_event(self, message: CheckEvent) -> None:
        """Bookkeeping now; the redraw of what changed is batched a fifth of a second later."""
        if self.live_state is None:
            return
        self._dirty |= self.live_state.apply(message.event, message.alarm)
        if self._bell is not None:
            self._bell.hear(message)
        if not self._flush_armed:
            self._flush_armed = True
            self.set_timer(self.LIVE_FLUSH_DELAY, self._flush_live)

    async def on_watch_role_changed(self, message: WatchRoleChanged) -> None:
        """This console took the watch over (its checks now feed it) or lost it (another
        process's do): after a loss, start again from the watch's snapshot."""
        if self.live is None or self.live_state is None:
            return
        if not message.active:
            await self._load_live_state(list(self.live_state.alarms.values()))
            self._dirty = set(self.live_state.devices)
            self._flush_live()
        self._lease_read_at = -1e9  # read who holds it now
        self.refresh_header()

    def _poll_store_later(self) -> None:
        if hasattr(self.desk.store, "wait_changed"):  # PostgreSQL: woken by NOTIFY
            self.run_worker(self._poll_store_on_notice(), group="store-news")
            return
        # an interval timer awaits each poll before the next: a slow store never stacks them
        self.set_interval(STORE_POLL_SECONDS, self._poll_store)

    async def _poll_store_on_notice(self) -> None:
        """The poll, as soon as another session's commit is announced, and at least every
        ``STORE_POLL_SECONDS`` (the lease and the console's beat are read in it)."""
        while self.live is not None:
            await self._poll_store()
            await self.live.tail.wait(STORE_POLL_SECONDS)

    async def _poll_store(self) -> None:
        """What other processes wrote: the watch's events (while attached), alarms
        acknowledged elsewhere, records changed at other consoles."""
        live = self.live
        if live is None or self.live_state is None:
            return
        try:
            await self._read_lease()
            news = await live.tail.poll(events=not live.active)
            if news is not None:
                if news.resync:
                    await self._load_live_state(list(self.live_state.alarms.values()))
                    self._dirty |= set(self.live_state.devices)
                for event in news.events:
                    self.on_check_event(CheckEvent(event, None))
                if news.alarms:
                    self.alarms_changed(news.alarms)
                # the watch rings its own console; every other console rings here
                if news.rings and not live.active and self.user is not None:
                    await self.alarm_bell.ring()
                if news.actions:
                    self._records_changed(news.actions)
        except DatabaseFault as fault:  # the next poll tries again (the store reconnects)
            if fault.code != "db_unreachable":
                log.exception("could not read the store's news")
            elif not self.store_unreachable:
                log.warning("the store cannot be reached, retrying: %s", fault)
                self.store_unreachable = True
                self.refresh_header()
            return
        except Exception:  # a failed read is logged; the next poll tries again
            log.exception("could not read the store's news")
            return
        if self.store_unreachable:
            self.store_unreachable = False
            self.refresh_header()

    async def _read_lease(self) -> None:
        """Every heartbeat: who holds the watch, for the header; and this console's beat."""
        now = self.config.monotonic()
        if now - self._lease_read_at >= self.site.watch.heartbeat_seconds:
            self._lease_read_at = now
            self.lease = await self.desk.watch.lease()
            self.refresh_header()
        if self.live is not None and now - self._console_seen_at >= CONSOLE_BEAT_SECONDS:
            self._console_seen_at = now
            holder = self.live.watch.holder
            user = self.user.name if self.user else None
            await self.desk.watch.console_seen(holder.id, holder.host, holder.pid, user)

    def _records_changed(self, actions: set[str]) -> None:
        """Records were changed (here or at another console): the header's figures and the
        section showing them are read again."""
        if self._figures is not None:
            self._figures.invalidate_all()
        screen = self.shown_screen()
        if isinstance(screen, SectionScreen) and screen.shows_records_of(actions):
            screen.records_changed()
        self.refresh_header()

    def on_saving_changed(self, message: SavingChanged) -> None:
        self.records_unsaved = not message.saving
        self.refresh_header()

    def _flush_live(self) -> None:
        self._flush_armed = False
        changed, self._dirty = self._dirty, set()
        if self.live_state is not None:
            self._drawn_counts = self.live_state.counts()
        screen = self.shown_screen()
        if screen is None:
            return
        with self.batch_update():
            if isinstance(screen, LiveView):
                screen.refresh_live(changed)
            self.refresh_header()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        return palette_commands(self, screen)  # console/palette.py: the operator's language

    def action_command_palette(self) -> None:
        open_palette(self)

    def action_section(self, section_id: str) -> None:
        if self.user is not None:
            self.switch_mode(section_id)

    def locked_for(self) -> str | None:
        """Whom the console is locked for: a lock screen anywhere in the stack (a dialog,
        e.g. the command palette, may be on top of it)."""
        locks = [s for s in self.screen_stack if isinstance(s, LoginScreen) and s.locked_for]
        return locks[-1].locked_for if locks else None

    async def action_quit(self) -> None:
        """Ctrl+Q (and the palette's Quit): a locked console asks for a password first."""
        locked_for = self.locked_for()
        if locked_for is None:
            await self.quit_session(self.user, locked=False)
            return
        if not isinstance(self.screen, QuitDialog):
            await self.push_screen(QuitDialog(self, locked_for), self._quit_confirmed)

    async def _quit_confirmed(self, by: User | None) -> None:
        if by is not None:  # a password that may quit this locked console
            await self.quit_session(by, locked=True)

    async def quit_session(self, by: User | None, locked: bool) -> None:
        """Quit, audited: who quit (None before anyone logged in), the session's user and
        whether the console was locked."""
        if self._desk is not None:
            session = self.user.name if self.user else None
            detail = {"locked": locked, "session": session}
            by_name = by.name if by else None
            await self._desk.audit.record(
                by_name, "session.quit", session or "console", detail=detail
            )
        self.exit()

    async def action_lock(self, reason: str = "manual") -> None:
        if self.user is None or isinstance(self.shown_screen(), LoginScreen | None):
            return
        if self.locked_for() is not None:  # already locked, a dialog (e.g. quit) on top
            return
        await self.desk.audit.record(
            self.user.name, "session.lock", self.user.name, detail={"reason": reason}
        )
        await self.push_screen(LoginScreen(self, self.logged_in, locked_for=self.user.name))

    def idle_seconds(self) -> float:
        return self.config.monotonic() - self._last_activity

    async def lock_if_idle(self) -> None:
        limit = self.site.site.idle_lock_minutes * 60
        if self.user is not None and self.idle_seconds() >= limit:
            await self.action_lock(reason="idle")

    async def _tick(self) -> None:
        self.refresh_header()
        await self.lock_if_idle()

    def shown_screen(self) -> Screen[object] | None:
        """The screen on top, or None while Textual tears the screen stacks down at exit:
        the App's own timers (the tick, the live flush) keep firing until its message pump
        closes, which is after its screens are gone."""
        try:
            return self.screen
        except ScreenStackError:
            return None

    def refresh_header(self) -> None:
        screen = self.shown_screen()
        if screen is None:
            return
        now = self.config.clock()
        span = shift_at(self.site.site, now)
        for header in screen.query(DutyHeader):
            header.site_name = self.site.site.name
            header.now = now.astimezone(self.site.site.tz)
            user = self.user.full_name or self.user.name if self.user else ""
            header.operator = self.duty_operator or user  # the duty operator, once on duty
            header.shift = span.name if span else t("header.no_shift")
            header.status = self.status_text()
            header.watched_by = self.watch_figure()  # its own part: never cut at 80 columns
            header.alert = (
                t("store.unreachable")
                if self.store_unreachable
                else t("store.not_saving")
                if self.records_unsaved
                else self.watch_alert()
            )
            header.set_class(self._bell is not None and self._bell.flashing, FLASH_CLASS)

    def status_text(self) -> str:
        if self.live_state is None:
            return ""
        drawn = self._drawn_counts
        counts = drawn if drawn is not None else self.live_state.counts()
        parts = [
            t("header.count." + state.lower(), n=counts[state])
            for state in ("CRITICAL", "WARNING", "UNKNOWN", "UNREACHABLE", "ACKED", "OK")
            if counts[state]
        ]
        if self._figures is not None:  # read from the store, cached (console/header_figures)
            figures = self._figures
            parts += [text for text in (figures.room.text(), figures.incidents.text()) if text]
            if self.user is not None and (roster := figures.roster.text()):
                parts.append(roster)  # who the roster names for this shift
            if self.user is not None and (inspections := figures.inspections.text()):
                parts.append(inspections)  # due this period
            if self.user is not None and (followups := figures.followups.text()):
                parts.append(followups)  # callers of closed incidents to follow up (hotline)
            if self.user is not None and (warranties := figures.warranties.text()):
                parts.append(warranties)  # support ending within 60 days (asset register)
        if self.live is not None and (dropped := self.live.dropped_datagrams()):
            parts.append(t("header.dropped", n=dropped))  # spoofed or garbage SNMP (checks.drops)
        return " ".join(parts)

    def _lease_age(self) -> float | None:
        lease = self.lease
        return None if lease is None else max(0.0, time.time() - lease.beat)

    def watch_figure(self) -> WatchFigure | None:
        """Who watches the room, when it is another process (``监视 serve@host 1秒``)."""
        live, lease, age = self.live, self.lease, self._lease_age()
        if live is None or live.active or lease is None or age is None:
            return None
        if lease.released_at is not None or age >= self.site.watch.failover_seconds:
            return None  # the alert says it
        return WatchFigure(lease.kind, lease.host, round(age))

    def watch_alert(self) -> str:
        """Nobody watches the room (the watch's heartbeat stopped): red in the header."""
        live, lease, age = self.live, self.lease, self._lease_age()
        if live is None or live.active or lease is None or age is None:
            return ""
        if lease.released_at is None and age < self.site.watch.failover_seconds:
            return ""
        return t("header.no_watch", age=f"{age:.0f}")


def create_app(config: AppConfig) -> DutyDeskApp:
    return DutyDeskApp(config)

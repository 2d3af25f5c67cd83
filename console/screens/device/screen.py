"""Device detail: asset and location, every check with a 24 h trend, recent transitions,
past incidents, and the device's actions with their recent runs.

Pushed over the wall and the alarm list. Live check snapshots come from the context's
LiveState; without running checks the last stored results are shown. The trend of
a numeric check is its hourly averages over the last 24 h (CheckRecords.series) followed
by the values seen live while the screen is open. Sections are drawn by device_view.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from console.bindings import translate_bindings
from console.context import DeskContext, LiveView
from console.live_state import TILE_STATE
from console.screens.acknowledge import acknowledge_device
from console.screens.assets.screen import show_asset
from console.screens.device import view as view
from console.screens.device.action import open_actions
from console.screens.device.view import SEVERITY, CheckLine
from data.models import Device
from data.records.actions.model import ActionRun
from data.records.checks.batch import hour_start
from data.records.checks.model import TransitionRow
from data.records.incidents.model import Incident
from widgets.duty_header import DutyHeader

HOURS = 24
LIVE_KEEP = 120  # live values kept per check for the trend
RELOAD_AFTER = 1.5  # seconds: the recorder writes transitions about once a second
SECTIONS = ("title", "facts", "checks", "messages", "transitions", "incidents", "actions")


class DeviceScreen(Screen[None], LiveView):
    CSS_PATH = Path(__file__).with_name("device.tcss")
    BINDINGS = [
        Binding("escape", "back", "device.back", id="device.back"),
        Binding("x", "actions", "device.actions", id="device.actions"),
        Binding("a", "ack", "device.ack", id="device.ack"),
        Binding("A", "asset", "device.asset", id="device.asset", show=False),
    ]

    def __init__(self, ctx: DeskContext, device_id: str) -> None:
        super().__init__(id="device")
        translate_bindings(self)
        self.ctx = ctx
        self.device_id = device_id
        self.hourly: dict[str, list[float | None]] = {}  # per check: 24 hourly averages
        self.live_values: dict[str, list[float]] = {}  # per check: values seen since opened
        self._last_seen: dict[str, dt.datetime | None] = {}
        self.stored: dict[str, CheckLine] = {}
        self.transitions: list[TransitionRow] = []
        self.incidents: list[Incident] = []
        self.runs: list[ActionRun] = []
        self._reload_armed = False

    @property
    def device(self) -> Device:
        return self.ctx.desk.site.device(self.device_id)

    def compose(self) -> ComposeResult:
        yield DutyHeader()
        with VerticalScroll(id="device-body"):
            for part in SECTIONS:
                yield Static(id=f"device-{part}", classes="device-section")
        yield Footer()

    async def on_mount(self) -> None:
        await self.reload()
        self.ctx.refresh_header()
        self.query_one("#device-body").focus()

    async def on_screen_resume(self) -> None:
        await self.reload()  # e.g. back from an action: its run and the recheck are new
        self.ctx.refresh_header()

    async def reload(self) -> None:
        """Read what the database knows of this device, then redraw."""
        desk, device = self.ctx.desk, self.device
        records, now = desk.checks, desk.clock()
        first = hour_start(now - dt.timedelta(hours=HOURS - 1))
        latest = await records.latest()
        for check in device.checks:
            slots: list[float | None] = [None] * HOURS
            for point in await records.series(device.id, check.id, first):
                index = int((point.start - first).total_seconds() // 3600)
                if 0 <= index < HOURS:
                    slots[index] = point.avg
            self.hourly[check.id] = slots
            row = latest.get((device.id, check.id))
            if row is not None:
                self.stored[check.id] = CheckLine(
                    check.id,
                    row.state,
                    row.value,
                    row.unit,
                    row.at,
                    None,
                    row.attempt,
                    check.max_attempts,
                    row.stale,
                    False,
                    row.message,
                )
        self.transitions = await records.transitions(device_id=device.id, limit=8)
        self.runs = await desk.actions.recent(device.id, limit=5)
        # the device's latest incidents, with their cause and solution
        self.incidents = await desk.incidents.history(device_id=device.id, limit=5)
        self.redraw()

    def refresh_live(self, changed: set[str] | None) -> None:
        """Called by the App with the devices whose checks changed (None: all)."""
        if changed is None or self.device_id in changed:
            self.redraw()
            if not self._reload_armed:  # new transitions reach the database a bit later
                self._reload_armed = True
                self.set_timer(RELOAD_AFTER, self._reload_later)

    async def _reload_later(self) -> None:
        self._reload_armed = False
        await self.reload()

    def check_lines(self) -> list[CheckLine | str]:
        """Each check's line (live first, else stored), or its id when nothing is known.
        A new live value is added to the check's trend."""
        live = self.ctx.live_state
        lines: list[CheckLine | str] = []
        for check in self.device.checks:
            snap = live.checks.get((self.device_id, check.id)) if live is not None else None
            if snap is None or snap.pending:
                lines.append(self.stored.get(check.id) or check.id)
                continue
            lines.append(
                CheckLine(
                    check.id,
                    snap.state.name,
                    snap.value,
                    snap.unit,
                    snap.last_run,
                    snap.next_run,
                    snap.attempt,
                    snap.max_attempts,
                    snap.stale,
                    snap.flapping,
                    snap.message,
                )
            )
            if snap.value is not None and self._last_seen.get(check.id) != snap.last_run:
                values = self.live_values.setdefault(check.id, [])
                values[:] = [*values, snap.value][-LIVE_KEEP:]
            self._last_seen[check.id] = snap.last_run
        return lines

    def device_state(self, lines: list[CheckLine | str]) -> str:
        live = self.ctx.live_state
        if live is not None and self.device_id in live.device_states:
            return TILE_STATE[live.device_states[self.device_id]]
        known = [line.state for line in lines if isinstance(line, CheckLine)]
        return max(known, key=SEVERITY.index, default="UNKNOWN")

    def redraw(self) -> None:
        if not self.is_mounted:
            return
        desk, device = self.ctx.desk, self.device
        tz = desk.site.site.tz
        lines = self.check_lines()
        trends = {
            c.id: [*self.hourly.get(c.id, []), *self.live_values.get(c.id, [])]
            for c in device.checks
        }
        today = desk.clock().astimezone(tz).date()
        messages = view.check_messages(lines)
        drawn = {
            "title": view.title(device, self.device_state(lines)),
            "facts": view.facts(desk.site, device, today),
            "checks": view.checks_table(lines, trends, tz),
            "messages": messages or "",
            "transitions": view.transitions(self.transitions, tz),
            "incidents": view.incidents(self.incidents, tz),
            "actions": view.actions(device, self.runs, tz),
        }
        for part, content in drawn.items():
            self.query_one(f"#device-{part}", Static).update(content)
        self.query_one("#device-messages").display = messages is not None

    def action_back(self) -> None:
        self.dismiss(None)

    def action_actions(self) -> None:
        open_actions(self.ctx, self.app, self.device_id)

    def action_ack(self) -> None:
        acknowledge_device(self.ctx, self.app, self.device_id)

    def action_asset(self) -> None:
        """Leave this screen for the device's entry in the asset register."""
        self.dismiss()
        self.app.call_later(show_asset, self.app, self.device_id)

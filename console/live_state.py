"""What the console knows of the live checks: the latest snapshot of every check, device
states, active alarms, and the tiles and header counts derived from them.

Fed by CheckEvent messages on the App's loop; pure bookkeeping, no widgets and no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from checks.feed import (
    AlarmCleared,
    CheckSnapshot,
    CheckStale,
    DeviceStateChanged,
    ResultEvent,
    Transition,
)
from checks.maintenance import MaintenanceCalendar
from checks.result import CheckState, DeviceState
from console.runtime import RuntimeEvent
from data.models import Device, Site
from data.records.alarms.model import Alarm
from data.records.checks.model import TransitionRow
from widgets.readings import reading_text
from widgets.tile_model import TileData

Key = tuple[str, str]
TILE_STATE = {
    DeviceState.UP: "OK",
    DeviceState.WARNING: "WARNING",
    DeviceState.CRITICAL: "CRITICAL",
    DeviceState.UNKNOWN: "UNKNOWN",
    DeviceState.UNREACHABLE: "UNREACHABLE",
}


@dataclass(frozen=True)
class TickerLine:
    at: dt.datetime
    device_id: str
    check_id: str
    from_state: str
    to_state: str
    hard: bool
    message: str


class LiveState:
    def __init__(self, site: Site, ticker_size: int = 50) -> None:
        self.site = site
        self.devices: dict[str, Device] = {d.id: d for d in site.devices}
        self.zones = {z.id: z.name for z in site.zones}
        self.checks: dict[Key, CheckSnapshot] = {}
        self.device_states: dict[str, DeviceState] = {}
        self.alarms: dict[Key, Alarm] = {}
        # When each device entered its current state: the age a tile shows.
        self.state_since: dict[str, dt.datetime] = {}
        # Per device, its last change stored before the start (time, state it went to):
        # it holds if the first result after the start finds that state.
        self._stored_change: dict[str, tuple[dt.datetime, str]] = {}
        self.ticker: deque[TickerLine] = deque(maxlen=ticker_size)
        self.maintenance = MaintenanceCalendar(site.maintenance, site.site.tz)

    def load(
        self,
        checks: dict[Key, CheckSnapshot],
        devices: dict[str, DeviceState],
        alarms: list[Alarm],
        changed_at: Mapping[str, tuple[dt.datetime, str]] | None = None,
    ) -> None:
        """Start from the scheduler's snapshot, the stored active alarms and, per device,
        its last stored state change (``last_changes``)."""
        self.checks.update(checks)
        self.device_states.update(devices)
        self.alarms = {(a.device_id, a.check_id): a for a in alarms}
        self._stored_change.update(changed_at or {})
        self.state_since.update({dev: at for dev, (at, _) in self._stored_change.items()})

    def apply(self, event: RuntimeEvent, alarm: Alarm | None) -> set[str]:
        """Take one event; returns the ids of devices whose tile may have changed."""
        device_id: str | None = getattr(event, "device_id", None)
        if isinstance(event, ResultEvent):
            self.checks[(event.device_id, event.check_id)] = event.snapshot
            # never seen changing: in this state at least since the console first saw it
            self.state_since.setdefault(event.device_id, event.snapshot.last_change or event.at)
        elif isinstance(event, DeviceStateChanged):
            self.device_states[event.device_id] = event.to_state
            stored = self._stored_change.pop(event.device_id, None)
            found_as_stored = stored is not None and stored[1] == TILE_STATE[event.to_state]
            if not (event.from_state is DeviceState.UNKNOWN and found_as_stored):
                self.state_since[event.device_id] = event.at
        elif isinstance(event, Transition):
            self.ticker.appendleft(
                TickerLine(
                    event.at,
                    event.device_id,
                    event.check_id,
                    event.from_state.name,
                    event.to_state.name,
                    event.hard,
                    event.message,
                )
            )
        elif isinstance(event, AlarmCleared):
            self.alarms.pop((event.device_id, event.check_id), None)
        elif isinstance(event, CheckStale):
            snap = self.checks.get((event.device_id, event.check_id))
            if snap is not None:
                self.checks[(event.device_id, event.check_id)] = replace(snap, stale=event.stale)
        if alarm is not None:
            self.set_alarm(alarm)
        return {device_id} if device_id in self.devices else set()

    def set_alarm(self, alarm: Alarm) -> None:
        key = (alarm.device_id, alarm.check_id)
        if alarm.cleared_at is None:
            self.alarms[key] = alarm
        else:
            self.alarms.pop(key, None)

    def device_checks(self, device_id: str) -> list[CheckSnapshot]:
        device = self.devices[device_id]
        return [
            self.checks[(device_id, c.id)]
            for c in device.checks
            if (device_id, c.id) in self.checks
        ]

    def tile(self, device_id: str, now: dt.datetime) -> TileData:
        device = self.devices[device_id]
        snaps = self.device_checks(device_id)
        state = self.device_states.get(device_id, DeviceState.UNKNOWN)
        if not device.checks:
            state = DeviceState.UNKNOWN
        since = self.state_since.get(device_id)
        age = (now - since).total_seconds() if since is not None else None
        alarms = [a for (dev, _), a in self.alarms.items() if dev == device_id]
        return TileData(
            device_id=device.id,
            name=device.name,
            kind=device.kind,
            zone_id=device.zone,
            zone_name=self.zones.get(device.zone, device.zone),
            room=device.location.room or "",
            rack=device.location.rack or "",
            state=TILE_STATE[state],
            key_value=headline(snaps),
            age_s=None if age is None else coarse_age(age),
            stale=any(s.stale for s in snaps),
            maintenance=self.maintenance.in_maintenance(device_id, now),
            acknowledged=bool(alarms) and all(a.ack_by is not None for a in alarms),
            flapping=any(s.flapping for s in snaps),
            host=device.host,
        )

    def tiles(self, now: dt.datetime) -> list[TileData]:
        return [self.tile(device_id, now) for device_id in self.devices]

    def counts(self) -> Counter[str]:
        """Devices by tile state, with acknowledged problems counted apart as ACKED."""
        counts: Counter[str] = Counter()
        acked = {dev for (dev, _), a in self.alarms.items() if a.ack_by is not None}
        unacked = {dev for (dev, _), a in self.alarms.items() if a.ack_by is None}
        for device_id in self.devices:
            state = TILE_STATE[self.device_states.get(device_id, DeviceState.UNKNOWN)]
            if state != "OK" and device_id in acked and device_id not in unacked:
                counts["ACKED"] += 1
            else:
                counts[state] += 1
        return counts


def last_changes(transitions: Iterable[TransitionRow]) -> dict[str, tuple[dt.datetime, str]]:
    """Per device, the newest hard transition of any of its checks (``transitions`` newest
    first, as CheckRecords.transitions gives them): when its state last changed, and to
    which state."""
    found: dict[str, tuple[dt.datetime, str]] = {}
    for row in transitions:
        if row.hard:
            found.setdefault(row.device_id, (row.at, row.to_state))
    return found


def headline(snaps: list[CheckSnapshot]) -> str:
    """The one reading a tile shows: the worst check's, else the first with a value."""
    if not snaps:
        return ""
    worst = max(snaps, key=lambda s: (s.state, s.alarm is not None))
    pick = (
        worst
        if worst.state is not CheckState.OK
        else next((s for s in snaps if s.value is not None), snaps[0])
    )
    if pick.value is not None:  # "temp 21.5°C", "host 55.5%": which reading it is, too
        return f"{pick.check_id} {reading_text(pick.value, pick.unit, significant=3)}"
    return pick.message[:40]


def coarse_age(seconds: float) -> float:
    """Ages under a minute in 10 s steps, so tiles are not redrawn every second."""
    return seconds if seconds >= 60 else float(int(seconds) // 10 * 10)

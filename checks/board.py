"""The state of a whole site's checks, and the events that follow from each result.

``StateBoard`` holds every check's ``CheckTracker``, every device's state, the dependency
``Topology`` and the ``MaintenanceCalendar``. It is pure logic (no asyncio, no clock):
the scheduler hands it results and the time, publishes the events it returns and runs
the re-checks it asks for.

Which alarms are held, and what the transitions record as ``suppressed_reason``, in this
order: the device's maintenance window (its reason), its parents ("parent down", "parent
failing"), the check flapping ("flapping"). A held alarm does not rise; a recovery still
clears one raised before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from checks.feed import (
    AlarmCleared,
    AlarmRaised,
    CheckSnapshot,
    CheckStale,
    DeviceStateChanged,
    Event,
    FlappingStarted,
    FlappingStopped,
    ResultEvent,
    Transition,
)
from checks.maintenance import MaintenanceCalendar
from checks.result import CheckState, DeviceState, ProbeResult
from checks.state import CheckTracker
from checks.timing import stale_after
from checks.topology import Topology
from data.models import Site

Key = tuple[str, str]  # (device id, check id)
NextRun = Callable[[CheckTracker], dt.datetime | None]


@dataclass(frozen=True)
class Outcome:
    """What one result led to: its event, the events derived from it (transitions,
    alarms, flapping, device states) and the checks to run again at once."""

    event: ResultEvent
    derived: tuple[Event, ...]
    recheck: tuple[Key, ...]


class StateBoard:
    def __init__(
        self,
        site: Site,
        *,
        since: float,
        timeout_margin: float,
        initial_states: Mapping[Key, CheckState] | None = None,
    ) -> None:
        restored = initial_states or {}
        self.trackers = {
            (d.id, c.id): CheckTracker(
                c,
                stale_after=stale_after(c, timeout_margin),
                since=since,
                state=restored.get((d.id, c.id)),
            )
            for d in site.devices
            for c in d.checks
        }
        self._check_ids = {d.id: [c.id for c in d.checks] for d in site.devices}
        self.maintenance = MaintenanceCalendar(site.maintenance, site.site.tz)
        self.topology = Topology(site.devices, self.trackers)
        self.device_states = {d.id: self.topology.device_state(d.id) for d in site.devices}
        self._reach = {d.id: self.topology.reach_status(d.id) for d in site.devices}

    def hold_reason(self, device_id: str, at: dt.datetime) -> str | None:
        return self.maintenance.reason(device_id, at) or self.topology.hold_reason(device_id)

    def apply(
        self, key: Key, result: ProbeResult, at: dt.datetime, now: float, next_run: NextRun
    ) -> Outcome:
        """Take one result (arrived at ``at`` UTC / ``now`` monotonic). ``next_run`` is
        called once the new state is known: the scheduler re-arms the check there and
        says when it will run next."""
        device_id, check_id = key
        tracker = self.trackers[key]
        step = tracker.record(result, at, now)
        upcoming = next_run(tracker)
        hold = self.hold_reason(device_id, at)
        derived: list[Event] = []
        if step.stale_cleared:
            derived.append(CheckStale(device_id, check_id, False, at, at))
        if step.transition is not None:
            before, after, hard = step.transition
            reason = hold or ("flapping" if tracker.flapping else None)
            derived.append(
                Transition(*key, before, after, hard, at, result.message, result.value, reason)
            )
        if step.flapping_started:
            derived.append(FlappingStarted(device_id, check_id, at, tracker.flap_percent))
        if step.flapping_stopped:
            derived.append(FlappingStopped(device_id, check_id, at, tracker.flap_percent))
        derived.extend(self._settle(key, hold is not None, at))
        recheck = self._after_change(device_id, at, derived)
        if step.first_failure:
            recheck.extend(self._parents_to_recheck(device_id))
        event = ResultEvent(device_id, check_id, result, tracker.snapshot(device_id, upcoming), at)
        return Outcome(event, tuple(derived), tuple(recheck))

    def sweep_stale(self, now: float, at: dt.datetime) -> list[Event]:
        """Flag checks whose last result is too old (and device states that follow)."""
        events: list[Event] = []
        for key, tracker in self.trackers.items():
            if tracker.update_stale(now):
                events.append(CheckStale(*key, tracker.stale, at, tracker.last_run))
                self._refresh_device(key[0], at, events)
        return events

    def snapshot(self, key: Key, next_run: dt.datetime | None) -> CheckSnapshot:
        return self.trackers[key].snapshot(key[0], next_run)

    def _settle(self, key: Key, hold: bool, at: dt.datetime) -> list[Event]:
        tracker = self.trackers[key]
        change = tracker.settle_alarm(hold)
        last = tracker.last_result
        message = last.message if last else ""
        if change == "raise":
            return [AlarmRaised(*key, tracker.state, at, message, last.value if last else None)]
        if change == "clear":
            return [AlarmCleared(*key, at, message)]
        return []

    def _after_change(self, device_id: str, at: dt.datetime, events: list[Event]) -> list[Key]:
        """Refresh the device's state and, if its reachability changed, its dependants'.
        When it is neither down nor failing any more, dependants' problems are re-checked
        at once so their held alarms are decided on fresh results, not old failures."""
        self._refresh_device(device_id, at, events)
        status = self.topology.reach_status(device_id)
        if status == self._reach[device_id]:
            return []
        self._reach[device_id] = status
        recovered = not any(status)
        recheck: list[Key] = []
        for child in self.topology.descendants(device_id):
            self._reach[child] = self.topology.reach_status(child)
            self._refresh_device(child, at, events)
            if recovered:
                keys = [(child, check_id) for check_id in self._check_ids[child]]
                recheck.extend(k for k in keys if self.trackers[k].state != CheckState.OK)
        return recheck

    def _parents_to_recheck(self, device_id: str) -> list[Key]:
        # A child's first failure may be its uplink's: look at the parents now rather than
        # at their next interval, so the child's alarm is held or suppressed in time.
        keys: list[Key] = []
        for parent in self.topology.parents(device_id):
            reach = self.topology.reachability(parent)
            if reach is not None and reach.state == CheckState.OK:
                keys.append((parent, reach.check.id))
        return keys

    def _refresh_device(self, device_id: str, at: dt.datetime, events: list[Event]) -> None:
        new = self.topology.device_state(device_id)
        old = self.device_states[device_id]
        if new != old:
            self.device_states[device_id] = new
            events.append(DeviceStateChanged(device_id, old, new, at))

    def device_state(self, device_id: str) -> DeviceState:
        return self.device_states[device_id]

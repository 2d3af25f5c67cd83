"""Devices' dependencies (``depends_on``) and the device states derived from checks.

What "down" means for a parent: a device is *down* when its reachability check is in a
hard CRITICAL state, or when it is unreachable itself (one of its own parents is down).
The reachability check is the device's check with id ``up`` if it has one, otherwise its
first check; a device without checks is never down. Only this check counts, so a parent
switch with, say, a hot sensor or one port down does not silence everything behind it.
Probes should therefore report "no answer" from a reachability check as CRITICAL.

A device is *failing* while its reachability check is non-OK but still soft. Its
descendants' alarms are held meanwhile ("parent failing"): either it goes hard and they
are suppressed ("parent down"), or it recovers and the scheduler re-checks them at once
so their alarms are decided on fresh results.

Device state: UNREACHABLE when a parent is down; otherwise the worst hard state of its
checks (OK is UP), a stale check counting as at least UNKNOWN; UNKNOWN when it has checks
and none has a result yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checks.result import CheckState, DeviceState
from checks.state import CheckTracker
from data.models import Device

_DEVICE_STATE = {
    CheckState.OK: DeviceState.UP,
    CheckState.WARNING: DeviceState.WARNING,
    CheckState.UNKNOWN: DeviceState.UNKNOWN,
    CheckState.CRITICAL: DeviceState.CRITICAL,
}
PARENT_DOWN = "parent down"
PARENT_FAILING = "parent failing"


def reachability_check_id(device: Device) -> str | None:
    ids = [c.id for c in device.checks]
    if "up" in ids:
        return "up"
    return ids[0] if ids else None


class Topology:
    def __init__(
        self, devices: Sequence[Device], trackers: Mapping[tuple[str, str], CheckTracker]
    ) -> None:
        known = {d.id for d in devices}
        self._parents = {d.id: tuple(p for p in d.depends_on if p in known) for d in devices}
        self._children: dict[str, list[str]] = {d.id: [] for d in devices}
        for child, parents in self._parents.items():
            for parent in parents:
                self._children[parent].append(child)
        self._checks = {d.id: [trackers[(d.id, c.id)] for c in d.checks] for d in devices}
        self._reach: dict[str, CheckTracker | None] = {}
        for d in devices:
            reach_id = reachability_check_id(d)
            self._reach[d.id] = trackers[(d.id, reach_id)] if reach_id else None

    def parents(self, device_id: str) -> tuple[str, ...]:
        return self._parents[device_id]

    def reachability(self, device_id: str) -> CheckTracker | None:
        return self._reach[device_id]

    def descendants(self, device_id: str) -> list[str]:
        """Every device that depends on this one, directly or not (breadth first)."""
        found: list[str] = []
        seen = {device_id}
        queue = list(self._children[device_id])
        while queue:
            child = queue.pop(0)
            if child not in seen:
                seen.add(child)
                found.append(child)
                queue.extend(self._children[child])
        return found

    def _own_down(self, device_id: str) -> bool:
        reach = self._reach[device_id]
        return reach is not None and reach.hard and reach.state == CheckState.CRITICAL

    def _own_failing(self, device_id: str) -> bool:
        reach = self._reach[device_id]
        return reach is not None and reach.failing_soft

    def is_down(self, device_id: str, _seen: frozenset[str] = frozenset()) -> bool:
        return self._own_down(device_id) or self.is_unreachable(device_id, _seen)

    def is_unreachable(self, device_id: str, _seen: frozenset[str] = frozenset()) -> bool:
        seen = _seen | {device_id}  # site rules refuse cycles; this guards anyway
        return any(self.is_down(p, seen) for p in self._parents[device_id] if p not in seen)

    def _ancestor_failing(self, device_id: str, seen: frozenset[str]) -> bool:
        seen = seen | {device_id}
        return any(
            self._own_failing(p) or self._ancestor_failing(p, seen)
            for p in self._parents[device_id]
            if p not in seen
        )

    def hold_reason(self, device_id: str) -> str | None:
        """Why this device's alarms are held by its parents, or None."""
        if self.is_unreachable(device_id):
            return PARENT_DOWN
        if self._ancestor_failing(device_id, frozenset()):
            return PARENT_FAILING
        return None

    def reach_status(self, device_id: str) -> tuple[bool, bool]:
        """(down, failing): when this changes, the device's descendants are affected."""
        return self.is_down(device_id), self._own_failing(device_id)

    def device_state(self, device_id: str) -> DeviceState:
        if self.is_unreachable(device_id):
            return DeviceState.UNREACHABLE
        trackers = self._checks[device_id]
        seen = [t for t in trackers if t.last_result is not None or t.stale]
        if trackers and not seen:
            return DeviceState.UNKNOWN
        worst = CheckState.OK
        for t in seen:
            # a first failure not confirmed yet is unknown, not the assumed initial OK
            state = t.hard_state if t.judged else CheckState.UNKNOWN
            state = max(state, CheckState.UNKNOWN) if t.stale else state
            worst = max(worst, state)
        return _DEVICE_STATE[worst]

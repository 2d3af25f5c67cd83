"""Seeded check history for the demo: three days of samples, a few faults, their transitions.

The device screen draws hourly sparklines from the rollups and the monthly report tallies
availability from the transitions, so a fresh demo database gets both: a sample of every
check every 15 minutes (values that wander around the lab's own means, warmer in the
afternoon), and for each ``Fault`` a hard transition into its state and back to OK.
Everything comes from one seeded generator walked in site order: the same ``now`` gives
the same history.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from data.models import Check, Device, Site
from data.records.checks.batch import CheckBatch, hour_start
from data.records.checks.model import Key, TransitionRow
from data.records.inspections.model import LiveReading

HOURS = 72
STEP = timedelta(minutes=15)
SEED = 2026


@dataclass(frozen=True)
class Fault:
    """A check out of OK over [start, end): sampled as ``state`` with ``value``."""

    device: str
    check: str
    start: datetime
    end: datetime
    state: str
    message: str
    value: float | None = None
    recovered: str = "OK"  # the message of the transition back to OK


@dataclass(frozen=True)
class _Wander:
    """A reading's usual level, how much warmer the afternoon makes it, and its noise."""

    mean: float
    swing: float
    noise: float
    high: float = math.inf


def _wander(device: Device, check: Check) -> _Wander | None:
    """How this check's value moves, or None for a check without a value."""
    by_id = {
        "cpu": _Wander(32.0, 6.0, 2.5),
        "disk": _Wander(61.0, 0.2, 0.1),
        "charge": _Wander(100.0, 0.0, 0.0, high=100.0),
        "load": _Wander(36.0, 4.0, 1.0),
    }
    if check.id in by_id:
        return by_id[check.id]
    if check.unit == "°C":
        air = {"sensor": 23.0, "aircon": 25.0}.get(device.kind)
        return _Wander(air, 0.8, 0.15) if air is not None else _Wander(41.0, 1.2, 0.3)
    if check.unit == "%RH":
        return _Wander(50.0, -2.0, 0.6)
    if check.unit == "ms":
        return _Wander(1.4, 0.3, 0.2)
    if check.unit == "%":  # host resources: storage fills slowly, servers follow office hours
        return _Wander(63.0, 0.2, 0.1) if device.kind == "storage" else _Wander(27.0, 9.0, 2.5)
    return None


class CheckHistory:
    """The seeded history: ``batch`` to persist, and the reading at any moment (for the
    inspections, which pre-fill from the live checks)."""

    def __init__(self, site: Site, now: datetime, faults: Iterable[Fault]) -> None:
        self.batch = CheckBatch()
        self.faults = list(faults)
        self._tz = site.site.tz
        self._samples: dict[Key, list[tuple[datetime, float | None, str]]] = {}
        rng = random.Random(SEED)
        first = hour_start(now) - timedelta(hours=HOURS - 1)
        for device in site.devices:
            for check in device.checks:
                self._sample(device, check, first, now, rng)
        for fault in self.faults:
            self._transitions(fault)

    def reading(self, device: str, check: str, at: datetime) -> LiveReading | None:
        """The last sample at or before ``at``, as a live reading."""
        found = [s for s in self._samples.get((device, check), []) if s[0] <= at]
        return LiveReading(found[-1][1], found[-1][0], found[-1][2]) if found else None

    def _sample(
        self, device: Device, check: Check, first: datetime, now: datetime, rng: random.Random
    ) -> None:
        wander = _wander(device, check)
        samples = self._samples.setdefault((device.id, check.id), [])
        moment = first
        while moment <= now:
            value: float | None = None
            if wander is not None:
                hour = moment.astimezone(self._tz)
                phase = (hour.hour + hour.minute / 60 - 9) / 24 * 2 * math.pi  # peak at 15:00
                level = wander.mean + wander.swing * math.sin(phase) + rng.gauss(0, wander.noise)
                value = round(min(wander.high, max(0.0, level)), 1)
            state = "OK"
            fault = self._fault_at(device.id, check.id, moment)
            if fault is not None:
                state, value = fault.state, fault.value
            samples.append((moment, value, state))
            self.batch.add_sample(device.id, check.id, moment, state, value)
            moment += STEP
        at, value, state = samples[-1]
        self.batch.add_result(
            device.id,
            check.id,
            state=state,
            hard=True,
            attempt=1,
            value=value,
            unit=check.unit,
            message=_message(value, check.unit, state),
            at=at,
        )

    def _fault_at(self, device: str, check: str, moment: datetime) -> Fault | None:
        for fault in self.faults:
            if (fault.device, fault.check) == (device, check) and fault.start <= moment < fault.end:
                return fault
        return None

    def _transitions(self, fault: Fault) -> None:
        into = TransitionRow(
            fault.device,
            fault.check,
            fault.start,
            "OK",
            fault.state,
            True,
            fault.message,
            fault.value,
        )
        back = TransitionRow(
            fault.device, fault.check, fault.end, fault.state, "OK", True, fault.recovered
        )
        self.batch.add_transition(into)
        self.batch.add_transition(back)


def _message(value: float | None, unit: str | None, state: str) -> str:
    if value is None:
        return state
    return f"{value:g} {unit}" if unit else f"{value:g}"

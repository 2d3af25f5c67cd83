"""Availability of one check over a time range, tallied from its state transitions.

Kept apart from the check book so the arithmetic can be read (and tested) on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from data.records.checks.model import STATES


class TimedState(NamedTuple):
    """The check entered ``state`` at ``at``."""

    at: datetime
    state: str


@dataclass(frozen=True)
class Availability:
    """Seconds spent in each state over [start, end). ``unmonitored`` is time nothing is
    known about: before monitoring began, after now, and while no watch ran (outages).
    ``ratio`` leaves UNKNOWN time out (the probe could not tell); ``ratio_monitored``
    counts it as not available."""

    start: datetime
    end: datetime
    seconds: dict[str, float]
    unmonitored: float

    @property
    def total(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def unknown(self) -> float:
        return self.seconds["UNKNOWN"]

    @property
    def ratio(self) -> float | None:
        """OK time over time in a known state; None when no such time."""
        known = self.total - self.unmonitored - self.unknown
        return self.seconds["OK"] / known if known > 0 else None

    @property
    def ratio_monitored(self) -> float | None:
        monitored = self.total - self.unmonitored
        return self.seconds["OK"] / monitored if monitored > 0 else None


def tally(
    start: datetime,
    end: datetime,
    now: datetime,
    began: datetime | None,
    initial: str,
    changes: Iterable[TimedState],
    outages: Sequence[tuple[datetime, datetime]] = (),
) -> Availability:
    """Walk the state from ``initial`` (the state when monitoring began, or at ``start``)
    through ``changes`` (oldest first, all after ``start``). Time inside ``outages`` (no
    watch ran: data.records.watch) is unmonitored, not the state held before it."""
    seconds = dict.fromkeys(STATES, 0.0)
    horizon = min(end, max(start, now))  # nothing is known about the future
    if began is None or began >= horizon:
        return Availability(start, end, seconds, (end - start).total_seconds())
    cursor = max(start, began)
    unmonitored = (cursor - start).total_seconds() + (end - horizon).total_seconds()
    state = initial

    def spend(until: datetime) -> None:
        nonlocal unmonitored
        span = (until - cursor).total_seconds()
        unwatched = sum(_overlap(cursor, until, *outage) for outage in outages)
        seconds[state] += span - unwatched
        unmonitored += unwatched

    for change in changes:
        if change.at >= horizon:
            break
        if change.at > cursor:
            spend(change.at)
            cursor = change.at
        state = change.state
    spend(horizon)
    return Availability(start, end, seconds, unmonitored)


def _overlap(a: datetime, b: datetime, start: datetime, end: datetime) -> float:
    """Seconds [a, b) and [start, end) share (outages never overlap each other)."""
    return max(0.0, (min(b, end) - max(a, start)).total_seconds())

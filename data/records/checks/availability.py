"""Availability of one check over a time range, tallied from its state transitions.

Kept apart from the check book so the arithmetic can be read (and tested) on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    known about: before monitoring began and after now. ``ratio`` leaves UNKNOWN time out
    (the probe could not tell); ``ratio_monitored`` counts it as not available."""

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
) -> Availability:
    """Walk the state from ``initial`` (the state when monitoring began, or at ``start``)
    through ``changes`` (oldest first, all after ``start``)."""
    seconds = dict.fromkeys(STATES, 0.0)
    horizon = min(end, max(start, now))  # nothing is known about the future
    if began is None or began >= horizon:
        return Availability(start, end, seconds, (end - start).total_seconds())
    cursor = max(start, began)
    unmonitored = (cursor - start).total_seconds() + (end - horizon).total_seconds()
    state = initial
    for change in changes:
        if change.at >= horizon:
            break
        if change.at > cursor:
            seconds[state] += (change.at - cursor).total_seconds()
            cursor = change.at
        state = change.state
    seconds[state] += (horizon - cursor).total_seconds()
    return Availability(start, end, seconds, unmonitored)

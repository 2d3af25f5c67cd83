"""Time in one place: an injectable clock and the one text form times are stored in.

Stored times are UTC ISO-8601 text with microseconds and an explicit offset
(``2026-03-01T00:30:00.000000+00:00``): fixed width, so text order is time order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """The stored form of an aware datetime; a naive one is refused (it has no zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"refusing to store a naive datetime: {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    """Back from the stored form; always UTC-aware."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # written by hand or by an old tool: stored times are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class ManualClock:
    """A clock that moves only when told: for tests and for replaying a scenario."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs aware times")
        self._now = moment

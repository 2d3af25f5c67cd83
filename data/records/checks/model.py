"""What the check records read and return: the latest result of a check, a change of
state, a point of a value series; the state names (those of ``checks.result.CheckState``:
data/ never imports checks/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from data.clock import from_db

STATES: tuple[str, ...] = ("OK", "WARNING", "UNKNOWN", "CRITICAL")
Key = tuple[str, str]  # (device_id, check_id)


@dataclass(frozen=True)
class LatestRow:
    device_id: str
    check_id: str
    state: str
    hard: bool
    attempt: int
    value: float | None
    unit: str | None
    message: str
    at: datetime
    stale: bool = False


@dataclass(frozen=True)
class TransitionRow:
    """A change of state; ``id`` is None until stored."""

    device_id: str
    check_id: str
    at: datetime
    from_state: str
    to_state: str
    hard: bool
    message: str = ""
    value: float | None = None
    suppressed_reason: str | None = None
    id: int | None = None


class SeriesPoint(NamedTuple):
    """One bucket of a sparkline; ``avg``/``min``/``max`` are None when no result in it
    carried a value."""

    start: datetime
    avg: float | None
    min: float | None
    max: float | None


def latest_from_row(row: Any) -> LatestRow:
    return LatestRow(
        row["device_id"],
        row["check_id"],
        row["state"],
        bool(row["hard"]),
        row["attempt"],
        row["value"],
        row["unit"],
        row["message"],
        from_db(row["at"]),
        bool(row["stale"]),
    )


def transition_from_row(row: Any) -> TransitionRow:
    return TransitionRow(
        row["device_id"],
        row["check_id"],
        from_db(row["at"]),
        row["from_state"],
        row["to_state"],
        bool(row["hard"]),
        row["message"],
        row["value"],
        row["suppressed_reason"],
        int(row["id"]),
    )

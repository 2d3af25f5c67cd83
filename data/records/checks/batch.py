"""A batch of live check records to write in one go: see data.records.checks.book.

The runtime adds to a ``CheckBatch`` as the feed's events arrive (results, stale flags,
transitions) and hands it to ``CheckRecords.persist``. Samples are merged into their UTC
hour here already, so a busy hour costs one rollup row per check, not one per result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from data.clock import to_db
from data.records.checks.model import STATES, Key, LatestRow, TransitionRow


@dataclass
class _Bucket:
    n_values: int = 0
    min_value: float | None = None
    max_value: float | None = None
    sum_value: float = 0.0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))

    def add(self, state: str, value: float | None) -> None:
        self.states[state] += 1
        if value is not None:
            self.n_values += 1
            self.sum_value += value
            self.min_value = value if self.min_value is None else min(self.min_value, value)
            self.max_value = value if self.max_value is None else max(self.max_value, value)


class CheckBatch:
    """What to write in one go. Later additions for a check supersede earlier ones."""

    def __init__(self) -> None:
        self._latest: dict[Key, LatestRow] = {}
        self._stale: dict[Key, bool] = {}
        self.transitions: list[TransitionRow] = []
        self._buckets: dict[tuple[str, str, datetime], _Bucket] = {}

    def add_result(
        self,
        device_id: str,
        check_id: str,
        *,
        state: str,
        hard: bool,
        attempt: int,
        value: float | None,
        unit: str | None,
        message: str,
        at: datetime,
        stale: bool = False,
    ) -> None:
        """One probe result: the check's latest row and a rollup sample."""
        row = LatestRow(device_id, check_id, state, hard, attempt, value, unit, message, at, stale)
        self.add_latest(row)
        self.add_sample(device_id, check_id, at, state, value)

    def add_latest(self, row: LatestRow) -> None:
        _check_state(row.state)
        key = (row.device_id, row.check_id)
        self._latest[key] = row
        self._stale.pop(key, None)  # the row carries its own stale flag

    def mark_stale(self, device_id: str, check_id: str, stale: bool) -> None:
        """A check went stale (or fresh again) without a new result."""
        key = (device_id, check_id)
        pending = self._latest.get(key)
        if pending is not None:
            self._latest[key] = replace(pending, stale=stale)
        else:
            self._stale[key] = stale

    def add_transition(self, row: TransitionRow) -> None:
        _check_state(row.from_state)
        _check_state(row.to_state)
        self.transitions.append(row)

    def add_sample(
        self, device_id: str, check_id: str, at: datetime, state: str, value: float | None
    ) -> None:
        _check_state(state)
        key = (device_id, check_id, hour_start(at))
        self._buckets.setdefault(key, _Bucket()).add(state, value)

    def __len__(self) -> int:
        return len(self._latest) + len(self._stale) + len(self.transitions) + len(self._buckets)

    def latest_params(self) -> list[dict[str, Any]]:
        return [
            {**row.__dict__, "hard": int(row.hard), "stale": int(row.stale), "at": to_db(row.at)}
            for row in self._latest.values()
        ]

    def stale_params(self) -> list[tuple[int, str, str]]:
        return [(int(stale), dev, chk) for (dev, chk), stale in self._stale.items()]

    def transition_params(self) -> list[tuple[Any, ...]]:
        return [
            (
                to_db(t.at),
                t.device_id,
                t.check_id,
                t.from_state,
                t.to_state,
                int(t.hard),
                t.message,
                t.value,
                t.suppressed_reason,
            )
            for t in self.transitions
        ]

    def rollup_params(self) -> list[tuple[Any, ...]]:
        return [
            (
                dev,
                chk,
                to_db(start),
                b.n_values,
                b.min_value,
                b.max_value,
                b.sum_value,
                *(b.states[state] for state in STATES),
            )
            for (dev, chk, start), b in self._buckets.items()
        ]


def hour_start(moment: datetime) -> datetime:
    """The start of the UTC hour that holds ``moment`` (a rollup bucket)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _check_state(state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown check state {state!r}: use one of {', '.join(STATES)}")

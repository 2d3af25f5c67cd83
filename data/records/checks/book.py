"""Live check records: the latest result per check, state transitions, hourly rollups.

Results are not stored one row per probe (docs/architecture.md). The runtime collects a
``CheckBatch`` from the feed's events and hands it to ``CheckRecords.persist``, which
writes it in one transaction with a few ``executemany`` calls: each awaited call costs
~60 µs, so writing per result would not keep up with a large site.

States are the names of ``checks.result.CheckState`` ("OK", "WARNING", "UNKNOWN",
"CRITICAL"); data/ never imports checks/.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from data.clock import Clock, from_db, to_db, utc_now
from data.records.checks.availability import Availability, TimedState, tally
from data.records.checks.batch import CheckBatch, hour_start
from data.records.checks.model import (
    Key,
    LatestRow,
    SeriesPoint,
    TransitionRow,
    latest_from_row,
    transition_from_row,
)
from data.store import Store

_UPSERT_LATEST = """
INSERT INTO check_latest (device_id, check_id, state, hard, attempt, value, unit, message, at,
                          stale)
VALUES (:device_id, :check_id, :state, :hard, :attempt, :value, :unit, :message, :at, :stale)
ON CONFLICT (device_id, check_id) DO UPDATE SET
    state = excluded.state, hard = excluded.hard, attempt = excluded.attempt,
    value = excluded.value, unit = excluded.unit, message = excluded.message,
    at = excluded.at, stale = excluded.stale
WHERE excluded.at >= check_latest.at  -- a late, older result never overwrites a newer one
"""
_MARK_STALE = "UPDATE check_latest SET stale = ? WHERE device_id = ? AND check_id = ?"
_INSERT_TRANSITION = """
INSERT INTO check_transitions (at, device_id, check_id, from_state, to_state, hard, message,
                               value, suppressed_reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
# The stored row's columns are named with the table (a bare name is ambiguous beside
# excluded on PostgreSQL). A NULL min/max on either side keeps the other, known one (CASE:
# SQLite's scalar min()/max() are PostgreSQL's LEAST()/GREATEST(), which SQLite lacks).
_MERGE_ROLLUP = """
INSERT INTO check_rollups (device_id, check_id, bucket, n_values, min_value, max_value,
                           sum_value, n_ok, n_warning, n_unknown, n_critical)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (device_id, check_id, bucket) DO UPDATE SET
    n_values = check_rollups.n_values + excluded.n_values,
    min_value = CASE WHEN excluded.min_value IS NULL
                       OR check_rollups.min_value < excluded.min_value
                     THEN check_rollups.min_value ELSE excluded.min_value END,
    max_value = CASE WHEN excluded.max_value IS NULL
                       OR check_rollups.max_value > excluded.max_value
                     THEN check_rollups.max_value ELSE excluded.max_value END,
    sum_value = check_rollups.sum_value + excluded.sum_value,
    n_ok = check_rollups.n_ok + excluded.n_ok,
    n_warning = check_rollups.n_warning + excluded.n_warning,
    n_unknown = check_rollups.n_unknown + excluded.n_unknown,
    n_critical = check_rollups.n_critical + excluded.n_critical
"""


class CheckRecords:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    async def persist(self, batch: CheckBatch) -> None:
        """Write the whole batch in one transaction (all of it or none of it)."""
        if not len(batch):
            return
        writes = (
            (_UPSERT_LATEST, batch.latest_params()),
            (_MARK_STALE, batch.stale_params()),
            (_INSERT_TRANSITION, batch.transition_params()),
            (_MERGE_ROLLUP, batch.rollup_params()),
        )
        async with self._store.transaction() as db:
            for sql, params in writes:
                if params:
                    await db.executemany(sql, params)

    async def latest(self) -> dict[Key, LatestRow]:
        rows = await self._store.fetchall(
            "SELECT device_id, check_id, state, hard, attempt, value, unit, message, at, stale"
            " FROM check_latest"
        )
        return {(row["device_id"], row["check_id"]): latest_from_row(row) for row in rows}

    async def transitions(
        self,
        device_id: str | None = None,
        check_id: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[TransitionRow]:
        """Newest first."""
        where, params = ["1 = 1"], list[Any]()
        for clause, value in (("device_id = ?", device_id), ("check_id = ?", check_id)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if since is not None:
            where.append("at >= ?")
            params.append(to_db(since))
        rows = await self._store.fetchall(
            "SELECT id, at, device_id, check_id, from_state, to_state, hard, message, value,"
            f" suppressed_reason FROM check_transitions WHERE {' AND '.join(where)}"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [transition_from_row(row) for row in rows]

    async def series(
        self, device_id: str, check_id: str, since: datetime, bucket: str = "hour"
    ) -> list[SeriesPoint]:
        """Value statistics per UTC hour (or UTC day), oldest first, from the bucket that
        holds ``since``. Buckets without any result are absent, not zero."""
        if bucket == "hour":
            group, first = "bucket", hour_start(since)
        elif bucket == "day":
            group = "substr(bucket, 1, 10) || 'T00:00:00.000000+00:00'"
            first = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            raise ValueError(f"bucket must be 'hour' or 'day', not {bucket!r}")
        rows = await self._store.fetchall(
            f"SELECT {group} AS start, sum(n_values), min(min_value), max(max_value),"
            " sum(sum_value) FROM check_rollups"
            " WHERE device_id = ? AND check_id = ? AND bucket >= ?"
            " GROUP BY start ORDER BY start",
            (device_id, check_id, to_db(first)),
        )
        return [  # int(): PostgreSQL's sum() of a BIGINT is a NUMERIC (a Decimal)
            SeriesPoint(from_db(row[0]), row[4] / int(row[1]) if row[1] else None, row[2], row[3])
            for row in rows
        ]

    async def availability(
        self,
        device_id: str,
        check_id: str,
        start: datetime,
        end: datetime,
        *,
        hard_only: bool = True,
        outages: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> Availability:
        """Time per state over [start, end) from the transitions. The state at ``start`` is
        that of the last transition at or before it; with none, the ``from_state`` of the
        first one after it (or the latest result's state). Time before monitoring began
        (the first rollup hour or transition) and after now is ``unmonitored``. Soft
        states count only with ``hard_only=False``."""
        if end <= start:
            raise ValueError("availability needs start < end")
        key = (device_id, check_id)
        hard = " AND hard = 1" if hard_only else ""
        select = "SELECT at, from_state, to_state FROM check_transitions"
        mine = f" WHERE device_id = ? AND check_id = ?{hard}"
        prior = await self._store.fetchone(
            f"{select}{mine} AND at <= ? ORDER BY at DESC, id DESC LIMIT 1", (*key, to_db(start))
        )
        rows = await self._store.fetchall(
            f"{select}{mine} AND at > ? AND at < ? ORDER BY at, id",
            (*key, to_db(start), to_db(end)),
        )
        changes = [TimedState(from_db(row["at"]), row["to_state"]) for row in rows]
        if outages is None:  # a report reads them once for all its checks (watch_outages)
            outages = await self.watch_outages(start, end)
        if prior is not None:
            return tally(start, end, self._clock(), start, prior["to_state"], changes, outages)
        began = await self._monitoring_began(device_id, check_id)
        after = (
            rows[0]
            if rows
            else await self._store.fetchone(
                f"{select}{mine} AND at >= ? ORDER BY at, id LIMIT 1", (*key, to_db(end))
            )
        )
        if after is not None:
            initial = str(after["from_state"])  # the state held until the first change
        else:  # no change ever: the latest result tells
            latest = await self._store.fetchone(
                "SELECT state, hard FROM check_latest WHERE device_id = ? AND check_id = ?", key
            )
            known = latest is not None and (latest["hard"] or not hard_only)
            initial = str(latest["state"]) if latest is not None and known else "OK"
        return tally(start, end, self._clock(), began, initial, changes, outages)

    async def watch_outages(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """When no watch ran (data.records.watch): unmonitored time, whatever the state."""
        rows = await self._store.fetchall(
            "SELECT started_at, ended_at FROM watch_outages WHERE started_at < ? AND ended_at > ?",
            (to_db(end), to_db(start)),
        )
        return [(from_db(row["started_at"]), from_db(row["ended_at"])) for row in rows]

    async def _monitoring_began(self, device_id: str, check_id: str) -> datetime | None:
        row = await self._store.fetchone(
            "SELECT min(first) FROM ("
            " SELECT min(bucket) AS first FROM check_rollups WHERE device_id = ? AND check_id = ?"
            " UNION ALL"
            " SELECT min(at) FROM check_transitions WHERE device_id = ? AND check_id = ?)"
            " AS firsts",
            (device_id, check_id, device_id, check_id),
        )
        return from_db(row[0]) if row is not None and row[0] is not None else None

"""One active watch per store: a single-row lease with a heartbeat (DESIGN.md "The watch
and the consoles"; FACTS.md: 0 double wins in 34 kills with this scheme).

The holder beats every ``heartbeat_seconds``. A standby takes the lease when the beat is
older than ``failover_seconds``, or at once when the holder released it on quit (a console
waits ``RELEASED_GRACE_SECONDS`` even then: standbys try every second, so a waiting
``serve`` is preferred). Taking it is
one ``BEGIN IMMEDIATE`` transaction that reads the row and writes the new holder with the
next epoch, so two standbys cannot both win. The gap between the last beat (or the release)
and the takeover is recorded as a watch outage and audited. A beat that finds the row no
longer ours (``holder`` and ``epoch``) tells the holder it lost the lease: it stops at once.
Writes of the watch carry the epoch (``fence``) so a holder that was paused and resumed
cannot write after losing the lease.

Times are Unix seconds of the wall clock: every process of a SQLite store runs on one
machine; the PostgreSQL store will use the server's clock.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from data.audit import AuditTrail
from data.clock import to_db
from data.errors import DutyDeskError
from data.models import WatchSettings
from data.records.watch.model import Holder, LeaseRow
from data.store import Store

Wall = Callable[[], float]
RELEASED_GRACE_SECONDS = 2.0


class LeaseLost(DutyDeskError):
    """This process no longer holds the watch lease: it must stop watching at once."""

    code = "watch.lease_lost"


_SELECT = "SELECT * FROM watch_lease WHERE id = 1"
_TAKE = """
INSERT INTO watch_lease (id, holder, host, pid, kind, epoch, acquired_at, beat, released_at)
VALUES (1, :holder, :host, :pid, :kind, :epoch, :now, :now, NULL)
ON CONFLICT (id) DO UPDATE SET
    holder = excluded.holder, host = excluded.host, pid = excluded.pid, kind = excluded.kind,
    epoch = excluded.epoch, acquired_at = excluded.acquired_at, beat = excluded.beat,
    released_at = NULL, stats = '{}'
"""
_BEAT = """
UPDATE watch_lease SET beat = ?, stats = ?
WHERE id = 1 AND holder = ? AND epoch = ? AND released_at IS NULL
RETURNING epoch
"""
_RELEASE = """
UPDATE watch_lease SET released_at = ?, beat = ?
WHERE id = 1 AND holder = ? AND epoch = ? AND released_at IS NULL
RETURNING epoch
"""
_OUTAGE = """
INSERT INTO watch_outages (started_at, ended_at, previous_holder, new_holder, reason)
VALUES (?, ?, ?, ?, ?)
"""


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def read_lease(store: Store) -> LeaseRow | None:
    row = await store.fetchone(_SELECT)
    return LeaseRow.from_row(row) if row is not None else None


class WatchLease:
    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        me: Holder,
        settings: WatchSettings,
        *,
        wall: Wall = time.time,
    ) -> None:
        self.store = store
        self.audit = audit
        self.me = me
        self.settings = settings
        self.wall = wall
        self.epoch: int | None = None  # while held

    @property
    def held(self) -> bool:
        return self.epoch is not None

    async def read(self) -> LeaseRow | None:
        return await read_lease(self.store)

    def _free(self, row: LeaseRow, now: float) -> bool:
        failover = self.settings.failover_seconds
        if row.released_at is not None:
            return self.me.kind == "serve" or now - row.released_at >= RELEASED_GRACE_SECONDS
        return now - row.beat >= failover

    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when this process now holds it."""
        async with self.store.transaction():
            row = await self.read()
            now = self.wall()
            mine = row is not None and row.holder == self.me.id and row.released_at is None
            if mine and row is not None and self.epoch is None:
                # ours already: an earlier take whose COMMIT answer was lost (in doubt)
                # committed after all; a second take would audit a takeover from ourselves
                self.epoch = row.epoch
                return True
            if row is not None and not self._free(row, now):
                return False
            epoch = 1 if row is None else row.epoch + 1
            params = {
                "holder": self.me.id,
                "host": self.me.host,
                "pid": self.me.pid,
                "kind": self.me.kind,
                "epoch": epoch,
                "now": now,
            }
            await self.store.write(_TAKE, params)
            detail: dict[str, Any] = {"holder": self.me.id, "kind": self.me.kind, "epoch": epoch}
            if row is not None:
                watched_until = row.released_at if row.released_at is not None else row.beat
                reason = "released" if row.released_at is not None else "stale"
                gap = max(0.0, now - watched_until)
                detail |= {"previous": row.holder, "reason": reason, "gap_s": round(gap, 1)}
                # Beats come every heartbeat: a gap of two is a real hole in the watch.
                if gap > 2 * self.settings.heartbeat_seconds:
                    outage = (to_db(utc(watched_until)), to_db(utc(now)))
                    await self.store.write(_OUTAGE, (*outage, row.holder, self.me.id, reason))
                    detail["outage"] = True
            await self.audit.record(None, "watch.takeover", "watch", detail=detail)
        self.epoch = epoch
        return True

    async def heartbeat(self, stats: dict[str, Any] | None = None) -> bool:
        """Beat; False when the lease is no longer ours (then ``held`` is False too)."""
        if self.epoch is None:
            return False
        body = json.dumps(stats or {}, sort_keys=True, default=str)
        rows = await self.store.write(_BEAT, (self.wall(), body, self.me.id, self.epoch))
        if not rows:
            self.epoch = None
        return bool(rows)

    async def release(self) -> None:
        """Hand the lease over (on quit): a waiting ``serve`` takes it at its next try."""
        if self.epoch is None:
            return
        now = self.wall()
        async with self.store.transaction():
            rows = await self.store.write(_RELEASE, (now, now, self.me.id, self.epoch))
            if rows:
                detail = {"holder": self.me.id, "kind": self.me.kind, "epoch": self.epoch}
                await self.audit.record(None, "watch.released", "watch", detail=detail)
        self.epoch = None

    async def fence(self) -> None:
        """Inside a write transaction of the watch: raise ``LeaseLost`` unless this process
        still holds the lease, so the transaction rolls back instead of writing twice."""
        row = await self.store.fetchone(
            "SELECT 1 FROM watch_lease WHERE id = 1 AND holder = ? AND epoch = ?"
            " AND released_at IS NULL",
            (self.me.id, self.epoch),
        )
        if row is None:
            self.epoch = None
            raise LeaseLost(f"the watch lease was taken over from {self.me.id}")

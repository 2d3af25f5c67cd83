"""The live feed: what the watch saw, for attached consoles (migration 0008).

The watch writes, in the same transaction as its check records: every event as one JSON
row of ``live_feed`` (encoded by checks.feed_codec; data/ never reads inside it), and the
latest snapshot of each check and state of each device, so a console that attaches later
starts from them and then tails ``live_feed`` by id. The watch's epoch fences the write
(data.records.watch.lease). Old feed rows are pruned by the watch; a console that fell
further behind than what is kept loads the snapshot again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from data.store import Store

Key = tuple[str, str]
Fence = Callable[[], Awaitable[None]]
KEEP_ROWS = 50_000  # ~12 minutes of a 2,000-device site's results


@dataclass
class LiveBatch:
    """The live rows of one flush. Later snapshots of a check or device supersede earlier."""

    events: list[str] = field(default_factory=list)
    devices: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> state, since
    checks: dict[Key, str] = field(default_factory=dict)  # (device, check) -> snapshot JSON

    def __len__(self) -> int:
        return len(self.events) + len(self.devices) + len(self.checks)

    def merge(self, newer: LiveBatch) -> None:
        self.events += newer.events
        self.devices |= newer.devices
        self.checks |= newer.checks


@dataclass(frozen=True)
class LiveSnapshot:
    head: int  # the feed's last id when the snapshot was read: tail from here
    devices: dict[str, tuple[str, str]]
    checks: dict[Key, str]


class LiveFeed:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def write(self, batch: LiveBatch, epoch: int) -> None:
        """Inside the caller's transaction (the watch's flush, after its fence)."""
        async with self.store.transaction() as db:
            if batch.events:
                rows = [(epoch, body) for body in batch.events]
                await db.executemany("INSERT INTO live_feed (epoch, body) VALUES (?, ?)", rows)
            if batch.devices:
                await db.executemany(
                    "INSERT INTO live_devices (device_id, state, since) VALUES (?, ?, ?)"
                    " ON CONFLICT (device_id) DO UPDATE SET state = excluded.state,"
                    " since = excluded.since",
                    [(device, *state) for device, state in batch.devices.items()],
                )
            if batch.checks:
                await db.executemany(
                    "INSERT INTO live_checks (device_id, check_id, snapshot) VALUES (?, ?, ?)"
                    " ON CONFLICT (device_id, check_id) DO UPDATE SET snapshot = excluded.snapshot",
                    [(*key, body) for key, body in batch.checks.items()],
                )

    async def head(self) -> int:
        row = await self.store.fetchone("SELECT coalesce(max(id), 0) AS head FROM live_feed")
        return int(row["head"]) if row is not None else 0

    async def since(self, last_id: int, limit: int = 5_000) -> list[tuple[int, str]] | None:
        """Rows after ``last_id``, oldest first; None when some right after it were pruned
        already (the reader must load the snapshot again). Ids have no gaps but pruned
        ones: AUTOINCREMENT ids of a rolled-back insert are rolled back with it."""
        rows = await self.store.fetchall(
            "SELECT id, body FROM live_feed WHERE id > ? ORDER BY id LIMIT ?", (last_id, limit)
        )
        if rows and rows[0]["id"] != last_id + 1:
            return None
        return [(row["id"], row["body"]) for row in rows]

    async def snapshot(self) -> LiveSnapshot:
        """Every device's state and check's snapshot, with the feed's head, read together."""
        async with self.store.transaction():
            head = await self.head()
            devices = await self.store.fetchall("SELECT device_id, state, since FROM live_devices")
            checks = await self.store.fetchall(
                "SELECT device_id, check_id, snapshot FROM live_checks"
            )
        return LiveSnapshot(
            head,
            {row["device_id"]: (row["state"], row["since"]) for row in devices},
            {(row["device_id"], row["check_id"]): row["snapshot"] for row in checks},
        )

    async def prune(self, keep: int = KEEP_ROWS) -> None:
        await self.store.write(
            "DELETE FROM live_feed WHERE id <= (SELECT max(id) FROM live_feed) - ?", (keep,)
        )

"""What the store knows of its watch: the lease, the outages, the open consoles.

``dutydesk status`` and the console's header read it; the watch (console/watch.py) writes
through ``WatchLease`` and ``LiveFeed``, consoles beat here while open.
"""

from __future__ import annotations

import time
from datetime import datetime

from data.clock import from_db, to_db
from data.records.watch.lease import Wall, read_lease
from data.records.watch.model import ConsoleRow, LeaseRow, WatchOutage
from data.store import Store

CONSOLE_BEAT_SECONDS = 5.0
CONSOLE_GONE_SECONDS = 3 * CONSOLE_BEAT_SECONDS  # not seen for this long: not attached


class WatchBook:
    def __init__(self, store: Store, *, wall: Wall = time.time) -> None:
        self.store = store
        self.wall = wall

    async def lease(self) -> LeaseRow | None:
        return await read_lease(self.store)

    async def outages(self, since: datetime, until: datetime) -> list[WatchOutage]:
        """Outages overlapping [since, until), clipped to it, oldest first."""
        rows = await self.store.fetchall(
            "SELECT * FROM watch_outages WHERE started_at < ? AND ended_at > ? ORDER BY started_at",
            (to_db(until), to_db(since)),
        )
        return [
            WatchOutage(
                max(from_db(row["started_at"]), since),
                min(from_db(row["ended_at"]), until),
                row["previous_holder"],
                row["new_holder"],
                row["reason"],
            )
            for row in rows
        ]

    async def console_seen(self, console_id: str, host: str, pid: int, user: str | None) -> None:
        now = self.wall()
        await self.store.write(
            "INSERT INTO watch_consoles (id, host, pid, user_name, attached_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " user_name = excluded.user_name, seen_at = excluded.seen_at",
            (console_id, host, pid, user, now, now),
        )

    async def console_left(self, console_id: str) -> None:
        await self.store.write("DELETE FROM watch_consoles WHERE id = ?", (console_id,))

    async def consoles(self) -> list[ConsoleRow]:
        """Consoles seen within the last few beats (a killed one drops out by itself)."""
        rows = await self.store.fetchall(
            "SELECT * FROM watch_consoles WHERE seen_at >= ? ORDER BY attached_at",
            (self.wall() - CONSOLE_GONE_SECONDS,),
        )
        return [
            ConsoleRow(r["id"], r["host"], r["pid"], r["user_name"], r["attached_at"], r["seen_at"])
            for r in rows
        ]

    async def request_recheck(self, device_id: str) -> None:
        """Ask the watch (another process) to check ``device_id`` again at its next beat."""
        await self.store.write(
            "INSERT INTO watch_rechecks (device_id, requested_at) VALUES (?, ?)",
            (device_id, self.wall()),
        )

    async def take_rechecks(self) -> list[str]:
        """The devices asked for since the last call (the watch's side), each once."""
        rows = await self.store.write("DELETE FROM watch_rechecks RETURNING device_id")
        return sorted({row["device_id"] for row in rows})

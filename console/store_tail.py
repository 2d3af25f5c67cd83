"""What other processes wrote to the store, as a console that does not hold the watch
lease needs it: the watch's events (the live feed), alarms acknowledged or raised anywhere,
and records changed at other consoles (their audit rows).

Polled a few times a second: each poll first asks the store whether anything was written
by another connection (``Store.data_version``, ~0.2 ms) and reads only then. On PostgreSQL
that is a count of the other sessions' NOTIFYs, and ``wait`` wakes at the next one, so a
console polls as soon as something was written instead of at the next tick. No Textual
here: the App turns what it returns into messages and redraws.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from checks.feed import CheckSnapshot, Event
from checks.feed_codec import decode, decode_snapshot
from checks.result import DeviceState
from data.desk import Desk
from data.records.alarms.model import Alarm
from data.records.watch.feed import LiveFeed
from data.store import DatabaseFault

Key = tuple[str, str]


@dataclass
class Attached:
    """A console's starting point: every check's snapshot and device's state as the watch
    last wrote them."""

    checks: dict[Key, CheckSnapshot]
    devices: dict[str, DeviceState]


@dataclass
class TailNews:
    events: list[Event] = field(default_factory=list)
    resync: bool = False  # the feed was pruned past this console: load the snapshot again
    alarms: list[Alarm] = field(default_factory=list)  # changed, raised or cleared
    # new unacknowledged CRITICAL alarms and acknowledgements that ran out: the bell rings
    rings: list[Alarm] = field(default_factory=list)
    actions: set[str] = field(default_factory=set)  # audit actions written since


class StoreTail:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.feed = LiveFeed(desk.store)
        self.last_feed = 0
        self.last_audit = 0
        self._version: int | None = None
        self._alarms: dict[int, Alarm] = {}

    async def start(self, alarms: Iterable[Alarm]) -> None:
        """From now on: what is written after this call is news."""
        self._version = await self.desk.store.data_version()
        self.last_feed = await self.feed.head()
        row = await self.desk.store.fetchone("SELECT coalesce(max(id), 0) AS id FROM audit")
        self.last_audit = int(row["id"]) if row is not None else 0
        self._alarms = {alarm.id: alarm for alarm in alarms}

    async def wait(self, timeout: float) -> None:
        """Until another connection may have written, ``timeout`` s at most: on PostgreSQL
        its commit's NOTIFY ends the wait (``PgStore.wait_changed``); on SQLite, and while
        the server is away, it is a sleep (the next poll asks the store)."""
        wait_changed = getattr(self.desk.store, "wait_changed", None)
        if wait_changed is None:
            await asyncio.sleep(timeout)
            return
        try:
            await wait_changed(timeout)
        except DatabaseFault:
            await asyncio.sleep(timeout)

    async def attach(self) -> Attached:
        """The watch's latest snapshot; the feed is tailed from it."""
        snapshot = await self.feed.snapshot()
        self.last_feed = snapshot.head
        checks = {key: decode_snapshot(body) for key, body in snapshot.checks.items()}
        devices = {dev: DeviceState(state) for dev, (state, _) in snapshot.devices.items()}
        return Attached(checks, devices)

    async def poll(self, *, events: bool) -> TailNews | None:
        """News since the last poll, or None when no other connection wrote. ``events``:
        read the watch's feed too (False while this console is the watch: they are its own)."""
        version = await self.desk.store.data_version()
        if version == self._version:
            return None
        self._version = version
        news = TailNews()
        if events:
            rows = await self.feed.since(self.last_feed)
            if rows is None:
                news.resync = True
            else:
                for row_id, body in rows:
                    news.events.append(decode(body))
                    self.last_feed = row_id
        else:
            self.last_feed = await self.feed.head()
        await self._alarm_news(news)
        audit = await self.desk.store.fetchall(
            "SELECT id, action FROM audit WHERE id > ? ORDER BY id", (self.last_audit,)
        )
        for row in audit:
            news.actions.add(row["action"])
            self.last_audit = row["id"]
        return news

    async def _alarm_news(self, news: TailNews) -> None:
        active = {alarm.id: alarm for alarm in await self.desk.alarms.active()}
        for alarm_id, alarm in active.items():
            known = self._alarms.get(alarm_id)
            if known != alarm:
                news.alarms.append(alarm)
            raised = known is None and alarm.severity == "CRITICAL" and alarm.ack_by is None
            reraised = known is not None and alarm.reraised_count > known.reraised_count
            if raised or reraised:
                news.rings.append(alarm)
        for alarm_id in self._alarms.keys() - active.keys():
            cleared = await self.desk.alarms.get(alarm_id)
            if cleared is not None:
                news.alarms.append(cleared)
        self._alarms = active

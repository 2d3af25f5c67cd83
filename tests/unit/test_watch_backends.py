"""The watch lease and the live feed over both backends (``any_store``): one winner among
racing standbys on separate connections, takeover after the failover time with the outage
recorded, the fence that stops a holder that lost the lease, the feed tailed by another
connection, and (PostgreSQL) the NOTIFY an attached console receives within a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from data.audit import AuditTrail
from data.clock import ManualClock
from data.models import WatchSettings
from data.pg_store import LIVE_CHANNEL, PgStore
from data.records.watch.book import WatchBook
from data.records.watch.feed import LiveBatch, LiveFeed
from data.records.watch.lease import LeaseLost, WatchLease, utc
from data.records.watch.model import Holder
from data.stores import open_store

SETTINGS = WatchSettings(heartbeat_seconds=2, failover_seconds=10)
T0 = 1_780_000_000.0


class Wall:
    """One wall clock that every process of the test reads."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
async def stores(any_store: Any, store_target: str, tmp_path: Path) -> AsyncIterator[list[Any]]:
    """Four connections to one store, as four processes (watch, standbys, consoles) have."""
    others = [await open_store(store_target, key_dir=tmp_path / "keys") for _ in range(3)]
    yield [any_store, *others]
    for store in others:
        await store.close()


def _lease(store: Any, n: int, wall: Wall, clock: ManualClock, kind: str = "serve") -> WatchLease:
    me = Holder(f"host{n}:{100 + n}:abcd", f"host{n}", 100 + n, kind)  # type: ignore[arg-type]
    return WatchLease(store, AuditTrail(store, f"host{n}", clock), me, SETTINGS, wall=wall)


async def test_one_winner_among_racing_standbys_then_one_at_takeover(
    stores: list[Any], wall: Wall, clock: ManualClock
) -> None:
    leases = [_lease(store, n, wall, clock) for n, store in enumerate(stores)]
    won = await asyncio.gather(*(lease.try_acquire() for lease in leases))
    assert sum(won) == 1
    holder = leases[won.index(True)]
    assert holder.epoch == 1
    assert not any(await asyncio.gather(*(lease.try_acquire() for lease in leases)))

    wall.now += 3
    assert await holder.heartbeat({"checks": 5})
    wall.now += 9  # 9 s since the last beat: not yet stale
    assert not any(await asyncio.gather(*(lease.try_acquire() for lease in leases)))

    wall.now += 2  # the holder hangs: 11 s since its beat
    standbys = [lease for lease in leases if lease is not holder]
    won = await asyncio.gather(*(lease.try_acquire() for lease in standbys))
    assert sum(won) == 1
    successor = standbys[won.index(True)]
    assert successor.epoch == 2
    row = await successor.read()
    assert row is not None and (row.holder, row.epoch) == (successor.me.id, 2)

    book = WatchBook(stores[0], wall=wall)
    outages = await book.outages(utc(T0 - 100), utc(T0 + 100))
    assert len(outages) == 1
    assert outages[0].previous_holder == holder.me.id and outages[0].new_holder == successor.me.id
    assert outages[0].reason == "stale" and round(outages[0].seconds) == 11
    trail = AuditTrail(stores[0], "t", clock)
    takeovers = await trail.query(action="watch.takeover")
    assert [entry.detail["epoch"] for entry in reversed(takeovers)] == [1, 2]
    assert (await trail.verify()).ok

    # The old holder resumes: its fenced write rolls back, its beat tells it the lease is gone.
    with pytest.raises(LeaseLost):
        async with holder.store.transaction():
            await holder.fence()
            await holder.store.write(
                "INSERT INTO live_feed (epoch, body) VALUES (?, ?)", (1, '{"stale": true}')
            )
    assert await LiveFeed(stores[0]).head() == 0
    assert not await holder.heartbeat()
    assert not holder.held


async def test_a_released_lease_goes_to_a_waiting_serve_at_once(
    stores: list[Any], wall: Wall, clock: ManualClock
) -> None:
    console = _lease(stores[0], 0, wall, clock, kind="console")
    serve = _lease(stores[1], 1, wall, clock, kind="serve")
    assert await console.try_acquire()
    wall.now += 1
    await console.release()
    assert not console.held
    assert await serve.try_acquire()
    row = await serve.read()
    assert row is not None and row.kind == "serve" and row.epoch == 2 and row.released_at is None


async def test_the_feed_is_tailed_by_another_connection(
    stores: list[Any], wall: Wall, clock: ManualClock
) -> None:
    watch_store, console_store = stores[0], stores[1]
    lease = _lease(watch_store, 0, wall, clock)
    assert await lease.try_acquire()
    assert lease.epoch is not None
    feed, tail = LiveFeed(watch_store), LiveFeed(console_store)
    start = await tail.head()
    for n in range(3):
        batch = LiveBatch(
            events=[f'{{"n": {n}, "i": {i}}}' for i in range(4)],
            devices={"sw-1": ("DOWN" if n % 2 else "UP", f"t{n}")},
            checks={("sw-1", "up"): f'{{"n": {n}}}'},
        )
        async with watch_store.transaction():
            await lease.fence()
            await feed.write(batch, lease.epoch)
    rows = await tail.since(start)
    assert rows is not None
    assert [body for _, body in rows] == [
        f'{{"n": {n}, "i": {i}}}' for n in range(3) for i in range(4)
    ]
    assert [row_id for row_id, _ in rows] == list(range(start + 1, start + 13))
    assert await tail.since(rows[-1][0]) == []
    snapshot = await tail.snapshot()
    assert snapshot.head == rows[-1][0]
    assert snapshot.devices == {"sw-1": ("UP", "t2")}
    assert snapshot.checks == {("sw-1", "up"): '{"n": 2}'}
    await feed.prune(keep=5)
    assert await tail.since(start) is None  # pruned past it: load the snapshot again
    kept = await tail.since(snapshot.head - 5)
    assert kept is not None and len(kept) == 5


async def test_consoles_beat_and_leave(stores: list[Any], wall: Wall) -> None:
    book = WatchBook(stores[0], wall=wall)
    await book.console_seen("h:1:a", "h", 1, "alice")
    wall.now += 0.5
    await WatchBook(stores[1], wall=wall).console_seen("h:2:b", "h", 2, None)
    wall.now += 1
    await book.console_seen("h:1:a", "h", 1, "alice")
    assert [row.id for row in await book.consoles()] == ["h:1:a", "h:2:b"]
    wall.now += 15
    await book.console_seen("h:1:a", "h", 1, "alice")
    assert [row.id for row in await book.consoles()] == ["h:1:a"]  # the other stopped beating
    await book.console_left("h:1:a")
    assert await book.consoles() == []


async def test_a_console_asks_the_watch_for_rechecks(stores: list[Any], wall: Wall) -> None:
    console, watch = WatchBook(stores[1], wall=wall), WatchBook(stores[0], wall=wall)
    await console.request_recheck("sw-2")
    await console.request_recheck("sw-1")
    await WatchBook(stores[2], wall=wall).request_recheck("sw-2")
    assert await watch.take_rechecks() == ["sw-1", "sw-2"]
    assert await watch.take_rechecks() == []


async def test_postgres_an_attached_console_is_notified_of_the_feed_within_a_deadline(
    pg_dsn: str, tmp_path: Path, wall: Wall, clock: ManualClock
) -> None:
    watch_store = await PgStore.open(pg_dsn, key_dir=tmp_path)
    console_store = await PgStore.open(pg_dsn, key_dir=tmp_path)
    try:
        lease = _lease(watch_store, 0, wall, clock)
        assert await lease.try_acquire()
        assert lease.epoch is not None
        heard: asyncio.Queue[float] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        await console_store.listen(LIVE_CHANNEL, lambda _payload: heard.put_nowait(loop.time()))
        version = await console_store.data_version()
        tail = LiveFeed(console_store)
        last = await tail.head()
        for n in range(5):
            async with watch_store.transaction():
                await lease.fence()
                await LiveFeed(watch_store).write(LiveBatch(events=[f'"e{n}"'] * 50), lease.epoch)
            await asyncio.wait_for(heard.get(), timeout=2.0)  # the deadline, not a figure
            rows = await tail.since(last)
            assert rows is not None and len(rows) == 50  # one notification per flush
            last = rows[-1][0]
        assert heard.empty()
        assert await console_store.data_version() > version
    finally:
        await watch_store.close()
        await console_store.close()

"""The watch lease (data.records.watch.lease): one holder per store, takeover after the
failover delay in one atomic step, outages recorded and audited, a lost lease fences."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from data.audit import AuditTrail
from data.models import WatchSettings
from data.records.checks.availability import TimedState, tally
from data.records.watch.book import WatchBook
from data.records.watch.lease import LeaseLost, WatchLease
from data.records.watch.model import Holder, WatchKind
from data.store import Store

SETTINGS = WatchSettings(heartbeat_seconds=2, failover_seconds=10)


class Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def lease(store: Store, audit: AuditTrail, wall: Wall, name: str, kind: WatchKind) -> WatchLease:
    return WatchLease(store, audit, Holder(name, "host", 1, kind), SETTINGS, wall=wall)


async def actions(audit: AuditTrail) -> list[str]:
    return [row.action for row in reversed(await audit.query(limit=100))]


async def test_one_holder_then_takeover_after_failover_with_outage(
    store: Store, audit: AuditTrail
) -> None:
    wall = Wall()
    first = lease(store, audit, wall, "a", "serve")
    second = lease(store, audit, wall, "b", "serve")
    assert await first.try_acquire()
    assert not await second.try_acquire()  # a fresh holder keeps it
    wall.now += 9.9
    assert not await second.try_acquire()
    assert await first.heartbeat({"checks_per_minute": 5})
    beat = wall.now
    wall.now += 12  # the holder was killed: its beat is 12 s old
    assert await second.try_acquire()
    assert second.epoch == 2
    assert not await first.heartbeat()  # the old holder learns it lost the lease
    assert not first.held
    outages = await WatchBook(store).outages(
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    )
    assert [(o.previous_holder, o.new_holder, o.reason) for o in outages] == [("a", "b", "stale")]
    assert outages[0].seconds == pytest.approx(wall.now - beat, abs=0.01)
    assert (await actions(audit)).count("watch.takeover") == 2


async def test_a_stale_holder_cannot_write_after_losing(store: Store, audit: AuditTrail) -> None:
    wall = Wall()
    first = lease(store, audit, wall, "a", "serve")
    second = lease(store, audit, wall, "b", "console")
    assert await first.try_acquire()
    wall.now += 11
    assert await second.try_acquire()
    with pytest.raises(LeaseLost):
        async with store.transaction():
            await first.fence()
    async with store.transaction():
        await second.fence()  # the holder may write


async def test_released_lease_goes_to_a_serve_at_once(store: Store, audit: AuditTrail) -> None:
    wall = Wall()
    holder = lease(store, audit, wall, "console-1", "console")
    assert await holder.try_acquire()
    await holder.release()
    assert not holder.held
    console = lease(store, audit, wall, "console-2", "console")
    serve = lease(store, audit, wall, "serve-1", "serve")
    wall.now += 1
    assert not await console.try_acquire()  # a waiting serve is preferred
    assert await serve.try_acquire()
    outages = await WatchBook(store).outages(
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    )
    assert outages == []  # handed over within a beat: no hole in the watch
    assert "watch.released" in await actions(audit)


async def test_with_no_serve_waiting_a_console_takes_a_released_lease_after_a_grace(
    store: Store, audit: AuditTrail
) -> None:
    wall = Wall()
    holder = lease(store, audit, wall, "console-1", "console")
    assert await holder.try_acquire()
    await holder.release()
    console = lease(store, audit, wall, "console-2", "console")
    wall.now += 1
    assert not await console.try_acquire()  # a serve trying each second gets it first
    wall.now += 1.5
    assert await console.try_acquire()
    outages = await WatchBook(store).outages(
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    )
    assert outages == []  # within two beats: no hole recorded


async def test_two_processes_racing_for_a_stale_lease_one_wins(db_path: Path) -> None:
    """Eight standbys on their own connections try at once: exactly one takes it."""
    wall = Wall()
    stores = [await Store.open(db_path) for _ in range(8)]
    try:
        leases = [
            lease(s, AuditTrail(s), wall, f"standby-{i}", "serve") for i, s in enumerate(stores)
        ]
        won = await asyncio.gather(*(candidate.try_acquire() for candidate in leases))
        assert sum(won) == 1
    finally:
        for s in stores:
            await s.close()


def test_outage_time_is_unmonitored_not_the_state_before() -> None:
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=10)
    outage = (start + dt.timedelta(hours=2), start + dt.timedelta(hours=5))
    changes = [TimedState(start + dt.timedelta(hours=4), "CRITICAL")]
    result = tally(start, end, end, start, "OK", changes, [outage])
    assert result.seconds["OK"] == 2 * 3600  # 0-2 h; 2-4 h nobody watched
    assert result.seconds["CRITICAL"] == 5 * 3600  # 5-10 h; 4-5 h nobody watched
    assert result.unmonitored == 3 * 3600


async def test_consoles_drop_out_when_they_stop_beating(store: Store) -> None:
    wall = Wall()
    book = WatchBook(store, wall=wall)
    await book.console_seen("c1", "host", 10, "zhangsan")
    await book.console_seen("c2", "host", 11, None)
    await book.console_left("c2")
    assert [c.user for c in await book.consoles()] == ["zhangsan"]
    wall.now += 60
    assert await book.consoles() == []


async def test_a_recheck_asked_by_an_attached_console_is_taken_once(store: Store) -> None:
    book = WatchBook(store)
    await book.request_recheck("web-1")
    await book.request_recheck("web-1")
    await book.request_recheck("db-1")
    assert await book.take_rechecks() == ["db-1", "web-1"]
    assert await book.take_rechecks() == []

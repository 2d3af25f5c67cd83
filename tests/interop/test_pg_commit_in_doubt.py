"""A COMMIT whose answer never comes back: the server may have committed or not, and the
client cannot tell from the lost connection. The store says so (``fault.in_doubt``) and can
settle it once the server is reachable (the commit token it wrote); the
recorder, which retries what failed, settles it first so that a batch that did commit is
not written a second time (every transition once, every rollup counted once), and the
watch lease, whose take may be in doubt, is recognised as ours when tried again.

The answer is lost by ``FaultyLink``, a loopback proxy in front of the private server."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from checks.feed import Transition
from checks.result import CheckState
from checks.trap_decode import TrapEvent, TrapKind
from console.recorder import CheckRecorder
from data.audit import AuditTrail
from data.clock import ManualClock
from data.models import WatchSettings
from data.pg_store import PgStore
from data.records.alarms.book import AlarmBook
from data.records.checks.book import CheckRecords
from data.records.events.book import EventLog
from data.records.watch.lease import WatchLease
from data.records.watch.model import Holder
from data.store import DatabaseFault
from tests.support.console import FIXED_NOW, result_event
from tests.support.faulty_link import FaultyLink


@pytest.fixture
async def store(link: FaultyLink, pg_dsn: str, tmp_path: Path) -> AsyncIterator[PgStore]:
    dbname = pg_dsn.rsplit("/", 1)[1]
    opened = await PgStore.open(link.dsn(dbname), key_dir=tmp_path / "keys")
    yield opened
    await opened.close()


async def _keys(store: PgStore) -> list[str]:
    rows = await store.fetchall("SELECT key FROM meta WHERE key LIKE 'k%' ORDER BY key")
    return [row["key"] for row in rows]


async def test_a_commit_whose_answer_is_lost_is_in_doubt_and_settles_as_committed(
    store: PgStore, link: FaultyLink
) -> None:
    link.arm()
    with pytest.raises(DatabaseFault) as caught:
        await store.write("INSERT INTO meta (key, value) VALUES (?, ?)", ("k1", "v"))
    assert link.cut.is_set()
    assert not store.reachable
    fault = caught.value
    assert fault.in_doubt is not None
    assert "may have been saved" in str(fault)
    assert await fault.in_doubt.committed() is True
    assert store.reachable
    assert await _keys(store) == ["k1"]


async def test_a_commit_that_never_reached_the_server_settles_as_not_committed(
    store: PgStore, link: FaultyLink
) -> None:
    link.arm(deliver=False)  # the server's session waits in its open transaction
    with pytest.raises(DatabaseFault) as caught:
        await store.write("INSERT INTO meta (key, value) VALUES (?, ?)", ("k1", "v"))
    doubt = caught.value.in_doubt
    assert doubt is not None
    assert await doubt.committed() is False  # the orphaned session is ended, its write undone
    assert await _keys(store) == []
    await store.write("INSERT INTO meta (key, value) VALUES (?, ?)", ("k1", "v"))  # not locked
    assert await _keys(store) == ["k1"]


async def test_a_fault_before_the_commit_is_not_in_doubt(store: PgStore) -> None:
    with pytest.raises(DatabaseFault) as caught:
        async with store.transaction() as db:
            await db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("k1", "v"))
            await db.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert caught.value.in_doubt is None
    assert await _keys(store) == []


def _recorder(store: PgStore) -> CheckRecorder:
    clock = ManualClock(FIXED_NOW)
    audit = AuditTrail(store, clock=clock)  # type: ignore[arg-type]
    return CheckRecorder(
        CheckRecords(store), AlarmBook(store, audit, clock), EventLog(store), flush_every=60
    )


async def test_the_recorder_writes_a_batch_once_when_its_commit_answer_was_lost(
    store: PgStore, link: FaultyLink
) -> None:
    recorder = _recorder(store)
    for event in result_event("core-sw", "ping", "CRITICAL", value=1.0):
        await recorder(event)  # type: ignore[arg-type]
    await recorder(
        Transition(
            "core-sw",
            "ping",
            CheckState.OK,
            CheckState.CRITICAL,
            True,
            FIXED_NOW,
            "down",
            1.0,
            None,
        )
    )
    link.arm()
    assert await recorder.flush() is False  # in doubt: kept, and the banner says not saved
    assert await recorder.flush() is True  # settled: it had committed, so not written again
    transitions = await store.fetchall("SELECT device_id FROM check_transitions")
    assert [row["device_id"] for row in transitions] == ["core-sw"]
    rollup = await store.fetchone("SELECT sum(n_values) AS n FROM check_rollups")
    assert rollup is not None and rollup["n"] == 1
    await recorder.close()


async def test_the_recorder_writes_a_queued_trap_once_when_its_commit_answer_was_lost(
    store: PgStore, link: FaultyLink
) -> None:
    recorder = _recorder(store)
    trap = TrapEvent(
        at=FIXED_NOW,
        source_ip="127.0.0.1",
        source_port=40000,
        device_id=None,
        kind=TrapKind.COLD_START,
        oid="1.3.6.1.6.3.1.1.5.1",
        message="cold start",
        message_key="trap.cold_start",
        message_params={},
        varbinds={},
        version="2c",
        credential="public-ro",
    )
    link.arm()
    await recorder(trap)  # the write fails in doubt: queued
    assert recorder.saving is False
    await recorder(dataclasses.replace(trap, message="second"))  # queued behind it, in order
    assert await recorder.flush() is True
    rows = await store.fetchall("SELECT message FROM events ORDER BY id")
    assert [row["message"] for row in rows] == ["cold start", "second"]
    await recorder.close()


async def test_a_lease_take_whose_answer_was_lost_is_ours_when_tried_again(
    store: PgStore, link: FaultyLink
) -> None:
    clock = ManualClock(FIXED_NOW)
    me = Holder("host1:101:abcd", "host1", 101, "serve")
    settings = WatchSettings(heartbeat_seconds=2, failover_seconds=10)
    lease = WatchLease(store, AuditTrail(store, "host1", clock), me, settings)
    link.arm()
    with pytest.raises(DatabaseFault) as caught:
        await lease.try_acquire()
    assert caught.value.in_doubt is not None and not lease.held
    assert await lease.try_acquire()  # it had committed: ours, not a takeover from ourselves
    assert lease.epoch == 1
    takeovers = await store.fetchall("SELECT id FROM audit WHERE action = 'watch.takeover'")
    assert len(takeovers) == 1

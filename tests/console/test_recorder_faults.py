"""The recorder when the database cannot be written: what it took stays in memory, is
retried with backoff and written once the store accepts writes again; ``saving`` (the
console's red banner) goes False on the first failure and True once all is written."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from checks.feed import AlarmCleared, AlarmRaised, ResultEvent
from checks.result import CheckState
from console.recorder import CheckRecorder
from data.audit import AuditTrail
from data.clock import ManualClock
from data.records.alarms.book import AlarmBook
from data.records.checks.book import CheckRecords
from data.records.events.book import EventLog
from data.store import Store
from tests.support.console import FIXED_NOW, result_event

DEADLINE = 15.0


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE}s: {what}")
        await asyncio.sleep(0.01)


class SavingLog:
    """What the recorder told its ``on_saving`` listener, in order."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, saving: bool) -> None:
        self.calls.append(saving)


def recorder_on(
    store: Store, audit: AuditTrail, clock: ManualClock, log: SavingLog
) -> CheckRecorder:
    return CheckRecorder(
        CheckRecords(store),
        AlarmBook(store, audit, clock),
        EventLog(store),
        flush_every=0.02,
        retry_max=0.1,
        on_saving=log,
    )


def results(first: int, last: int, message: str = "") -> list[ResultEvent]:
    events = []
    for n in range(first, last):
        event = result_event(f"dev{n}", "cpu", "WARNING", value=n, message=message)[0]
        assert isinstance(event, ResultEvent)
        events.append(event)
    return events


async def test_a_full_disk_keeps_the_batch_and_writes_it_when_space_returns(
    store: Store, audit: AuditTrail, clock: ManualClock
) -> None:
    saving = SavingLog()
    recorder = recorder_on(store, audit, clock, saving)
    records = CheckRecords(store)
    pages = (await store.fetchone("PRAGMA page_count"))[0]  # type: ignore[index]
    await store.fetchall(f"PRAGMA max_page_count = {pages}")  # the disk is full
    try:
        for event in results(0, 200, message="x" * 2000):  # far more than fits in free pages
            await recorder(event)
        await until(lambda: saving.calls == [False], "the recorder notices the full disk")
        assert not recorder.saving
        assert await records.latest() == {}
        for event in results(200, 220):  # results keep coming while nothing is saved
            await recorder(event)
        await asyncio.sleep(0.3)  # several retries fail meanwhile (backoff, not a busy loop)
        assert saving.calls == [False] and await records.latest() == {}

        await store.fetchall("PRAGMA max_page_count = 1073741823")  # space freed
        await until(lambda: saving.calls == [False, True], "the recorder writes again")
        latest = await records.latest()
        assert len(latest) == 220  # nothing taken was dropped
        assert latest[("dev7", "cpu")].value == 7
    finally:
        await recorder.close()


async def test_alarms_queue_in_order_while_the_store_is_locked(
    store: Store, audit: AuditTrail, clock: ManualClock, db_path: Path
) -> None:
    saving = SavingLog()
    recorder = recorder_on(store, audit, clock, saving)
    await store.fetchall("PRAGMA busy_timeout = 50")
    raised = AlarmRaised("dev1", "cpu", CheckState.CRITICAL, FIXED_NOW, "cpu 99%", 99.0)
    cleared = AlarmCleared("dev1", "cpu", FIXED_NOW + timedelta(minutes=5), "cpu 10%")
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            assert await recorder(raised) is None  # not written: queued, not lost
            assert await recorder(cleared) is None  # queued behind the raise
            assert saving.calls == [False]
            await asyncio.sleep(0.3)  # the retries fail while the lock is held
            assert await recorder.alarms.active() == []
        finally:
            other.execute("ROLLBACK")
    await until(lambda: saving.calls == [False, True], "the queued alarm writes go through")
    history = await store.fetchall(
        "SELECT severity, cleared_at FROM alarms WHERE device_id = 'dev1'"
    )
    assert [(row["severity"], row["cleared_at"] is not None) for row in history] == [
        ("CRITICAL", True)  # raised, then cleared: in the order they happened
    ]
    await recorder.close()


async def test_close_writes_what_is_waiting(
    store: Store, audit: AuditTrail, clock: ManualClock
) -> None:
    recorder = recorder_on(store, audit, clock, SavingLog())
    recorder.flush_every = 60.0  # the flusher would wait: close must not
    for event in results(0, 5):
        await recorder(event)
    await recorder.close()
    assert len(await CheckRecords(store).latest()) == 5

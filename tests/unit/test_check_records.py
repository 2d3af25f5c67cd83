"""Live check records (latest, transitions, rollups, availability) and the event log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from data.clock import ManualClock
from data.records.checks.batch import CheckBatch
from data.records.checks.book import CheckRecords
from data.records.checks.model import SeriesPoint, TransitionRow
from data.records.events.book import REDACTED, EventLog
from data.records.events.model import Event
from data.store import Store

T10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The book's tests run over both backends: SQLite and PostgreSQL."""
    return any_store


def at(hours: float = 0, minutes: float = 0) -> datetime:
    return T10 + timedelta(hours=hours, minutes=minutes)


@pytest.fixture
def records(store: Store, clock: ManualClock) -> CheckRecords:
    clock.set(at(hours=3))  # 13:00: everything below is in the past
    return CheckRecords(store, clock=clock)


def result(batch: CheckBatch, when: datetime, state: str, value: float | None, **kw: Any) -> None:
    check = kw.pop("check", "temp")
    batch.add_result(
        "room-a",
        check,
        state=state,
        hard=kw.pop("hard", True),
        attempt=kw.pop("attempt", 0),
        value=value,
        unit="°C",
        message=kw.pop("message", f"{value} °C"),
        at=when,
        **kw,
    )


def transition(when: datetime, old: str, new: str, hard: bool = True) -> TransitionRow:
    return TransitionRow("room-a", "temp", when, old, new, hard, message=f"{old}->{new}")


@asynccontextmanager
async def statements(store: Store) -> Any:
    """Collect the SQL statements the connection runs inside the block."""
    seen: list[str] = []
    await store.db.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        await store.db.set_trace_callback(None)  # type: ignore[arg-type]  # None stops it


def begins(seen: list[str]) -> Iterator[str]:
    return (s for s in seen if s.strip().upper().startswith("BEGIN"))


# Counts the BEGINs through aiosqlite's trace hook, which PostgreSQL's driver has no twin of:
# SQLite only (what the batch writes is checked over both backends by the tests below).
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_persist_writes_a_whole_batch_in_one_transaction(
    records: CheckRecords, store: Store
) -> None:
    batch = CheckBatch()
    result(batch, at(minutes=5), "OK", 21.0)
    result(batch, at(minutes=10), "WARNING", 28.5, hard=False, attempt=1, check="humid")
    batch.add_transition(transition(at(minutes=10), "OK", "WARNING", hard=False))
    async with statements(store) as seen:
        await records.persist(batch)
    assert len(list(begins(seen))) == 1
    assert sum("COMMIT" in s.upper() for s in seen) == 1

    latest = await records.latest()
    assert set(latest) == {("room-a", "temp"), ("room-a", "humid")}
    humid = latest[("room-a", "humid")]
    assert (humid.state, humid.hard, humid.attempt, humid.value) == ("WARNING", False, 1, 28.5)
    assert humid.at == at(minutes=10) and humid.unit == "°C" and not humid.stale


async def test_latest_is_upserted_and_an_older_result_never_overwrites_a_newer(
    records: CheckRecords,
) -> None:
    first, second, late = CheckBatch(), CheckBatch(), CheckBatch()
    result(first, at(minutes=5), "OK", 21.0)
    result(second, at(minutes=10), "CRITICAL", 35.0, message="too hot")
    result(late, at(minutes=7), "OK", 22.0)
    for batch in (first, second, late):
        await records.persist(batch)
    (row,) = (await records.latest()).values()
    assert (row.state, row.value, row.message, row.at) == ("CRITICAL", 35.0, "too hot", at(10 / 60))


async def test_later_results_in_a_batch_win_and_stale_flags_follow_order(
    records: CheckRecords,
) -> None:
    batch = CheckBatch()
    result(batch, at(minutes=1), "OK", 20.0)
    result(batch, at(minutes=2), "OK", 20.5)
    batch.mark_stale("room-a", "temp", True)  # after the newest result: it sticks
    await records.persist(batch)
    row = (await records.latest())[("room-a", "temp")]
    assert (row.value, row.stale) == (20.5, True)

    fresh = CheckBatch()
    fresh.mark_stale("room-a", "temp", True)
    result(fresh, at(minutes=30), "OK", 21.0)  # a result after it: fresh again
    await records.persist(fresh)
    assert not (await records.latest())[("room-a", "temp")].stale

    only_flag = CheckBatch()
    only_flag.mark_stale("room-a", "temp", True)
    await records.persist(only_flag)
    row = (await records.latest())[("room-a", "temp")]
    assert row.stale and row.value == 21.0  # the flag alone keeps the last value


async def test_a_bad_state_is_refused_before_anything_is_written(records: CheckRecords) -> None:
    batch = CheckBatch()
    with pytest.raises(ValueError, match="unknown check state"):
        result(batch, at(), "DOWN", 1.0)
    assert len(batch) == 0
    await records.persist(batch)  # an empty batch is a no-op
    assert await records.latest() == {}


async def test_transitions_are_listed_newest_first_and_filtered(records: CheckRecords) -> None:
    batch = CheckBatch()
    batch.add_transition(transition(at(), "OK", "WARNING", hard=False))
    batch.add_transition(transition(at(minutes=2), "WARNING", "CRITICAL"))
    other = TransitionRow("ups-1", "load", at(minutes=1), "OK", "UNKNOWN", True, "timeout")
    batch.add_transition(other)
    await records.persist(batch)

    everything = await records.transitions()
    assert [t.to_state for t in everything] == ["CRITICAL", "UNKNOWN", "WARNING"]
    assert all(t.id is not None for t in everything)
    mine = await records.transitions(device_id="room-a", check_id="temp", since=at(minutes=1))
    assert [(t.from_state, t.to_state, t.hard) for t in mine] == [("WARNING", "CRITICAL", True)]
    assert [t.check_id for t in await records.transitions(limit=1)] == ["temp"]


async def test_rollups_merge_samples_per_hour_within_and_across_batches(
    records: CheckRecords, store: Store
) -> None:
    one = CheckBatch()
    result(one, at(minutes=5), "OK", 20.0)
    result(one, at(minutes=20), "WARNING", 28.0)
    await records.persist(one)
    two = CheckBatch()
    result(two, at(minutes=50), "OK", 18.0)  # same hour, another batch: merged by UPSERT
    result(two, at(minutes=55), "UNKNOWN", None)  # no value: counts a state only
    result(two, at(hours=1, minutes=1), "CRITICAL", 33.0)  # a new hour
    await records.persist(two)

    rows = await store.fetchall(
        "SELECT bucket, n_values, min_value, max_value, sum_value,"
        " n_ok, n_warning, n_unknown, n_critical FROM check_rollups ORDER BY bucket"
    )
    assert [tuple(row) for row in rows] == [
        ("2026-03-02T10:00:00.000000+00:00", 3, 18.0, 28.0, 66.0, 2, 1, 1, 0),
        ("2026-03-02T11:00:00.000000+00:00", 1, 33.0, 33.0, 33.0, 0, 0, 0, 1),
    ]


async def test_series_gives_avg_min_max_per_hour_and_per_day(records: CheckRecords) -> None:
    batch = CheckBatch()
    for minutes, value in ((5, 20.0), (35, 24.0), (65, 30.0)):
        result(batch, at(minutes=minutes), "OK", value)
    result(batch, at(hours=2, minutes=10), "UNKNOWN", None)
    result(batch, at(hours=-20), "OK", 10.0)  # the day before
    await records.persist(batch)

    hourly = await records.series("room-a", "temp", since=at(minutes=30))
    assert hourly == [
        SeriesPoint(at(), 22.0, 20.0, 24.0),  # the hour holding `since` is included
        SeriesPoint(at(hours=1), 30.0, 30.0, 30.0),
        SeriesPoint(at(hours=2), None, None, None),  # results, but none with a value
    ]
    daily = await records.series("room-a", "temp", since=at(hours=-24), bucket="day")
    assert [(p.start.day, p.avg, p.min, p.max) for p in daily] == [
        (1, 10.0, 10.0, 10.0),
        (2, 74.0 / 3, 20.0, 30.0),
    ]
    assert await records.series("room-a", "nothing", since=at()) == []
    with pytest.raises(ValueError):
        await records.series("room-a", "temp", since=at(), bucket="week")


async def test_availability_from_a_known_transition_history(records: CheckRecords) -> None:
    batch = CheckBatch()
    batch.add_transition(transition(at(), "UNKNOWN", "OK"))
    batch.add_transition(transition(at(minutes=40), "OK", "WARNING", hard=False))  # soft
    batch.add_transition(transition(at(minutes=41), "WARNING", "OK", hard=False))
    batch.add_transition(transition(at(hours=1), "OK", "CRITICAL"))
    batch.add_transition(transition(at(hours=1, minutes=30), "CRITICAL", "OK"))
    await records.persist(batch)

    report = await records.availability("room-a", "temp", at(), at(hours=2))
    assert report.ratio == pytest.approx(0.75)
    assert report.seconds["CRITICAL"] == 1800 and report.unmonitored == 0
    # From the state taken before the window: CRITICAL since 11:00.
    later = await records.availability("room-a", "temp", at(hours=1, minutes=15), at(hours=2))
    assert later.seconds["CRITICAL"] == 900 and later.ratio == pytest.approx(2 / 3)
    # Soft states count only when asked for.
    soft = await records.availability("room-a", "temp", at(), at(hours=2), hard_only=False)
    assert soft.seconds["WARNING"] == 60 and soft.ratio == pytest.approx(5340 / 7200)


async def test_availability_reports_unmonitored_and_unknown_time_apart(
    records: CheckRecords, clock: ManualClock
) -> None:
    batch = CheckBatch()
    result(batch, at(minutes=10), "OK", 21.0)  # monitoring began in the 10:00 hour
    batch.add_transition(transition(at(hours=1), "OK", "UNKNOWN"))
    batch.add_transition(transition(at(hours=1, minutes=30), "UNKNOWN", "OK"))
    await records.persist(batch)
    clock.set(at(hours=2))

    report = await records.availability("room-a", "temp", at(hours=-1), at(hours=3))
    # 09:00-10:00 before monitoring and 12:00-13:00 after now are unmonitored.
    assert report.unmonitored == 7200 and report.unknown == 1800
    assert report.seconds["OK"] == 5400
    assert report.ratio == 1.0
    assert report.ratio_monitored == pytest.approx(0.75)


async def test_availability_of_a_check_that_never_changed_state(records: CheckRecords) -> None:
    batch = CheckBatch()
    result(batch, at(minutes=30), "OK", 21.0)
    await records.persist(batch)
    report = await records.availability("room-a", "temp", at(), at(hours=1))
    assert report.ratio == 1.0 and report.unmonitored == 0  # the 10:00 hour has samples
    # Before the first change, the check was in that change's from_state.
    later = CheckBatch()
    later.add_transition(transition(at(hours=2), "WARNING", "CRITICAL"))
    await records.persist(later)
    before = await records.availability("room-a", "temp", at(), at(hours=1))
    assert before.seconds["WARNING"] == 3600 and before.ratio == 0.0
    nothing = await records.availability("room-a", "other", at(), at(hours=1))
    assert nothing.ratio is None and nothing.unmonitored == 3600
    with pytest.raises(ValueError):
        await records.availability("room-a", "temp", at(hours=1), at())


# The event log.


async def test_events_are_logged_and_read_back_newest_first(store: Store) -> None:
    log = EventLog(store)
    first = await log.add(at(), "system", "started", "dutydesk started")
    await log.add_many(
        [
            Event(at(minutes=1), "trap", "linkDown", "port 3 down", "core-sw-1", {"ifIndex": 3}),
            Event(at(minutes=2), "trap", "unknown_sender", "from 127.0.0.9", None, {"n": 1}),
        ]
    )
    recent = await log.recent(10)
    assert [e.kind for e in recent] == ["unknown_sender", "linkDown", "started"]
    assert recent[-1].id == first and recent[1].detail == {"ifIndex": 3}
    assert [e.kind for e in await log.recent(10, device_id="core-sw-1")] == ["linkDown"]
    assert [e.kind for e in await log.recent(10, since=at(minutes=1))] == [
        "unknown_sender",
        "linkDown",
    ]
    assert [e.kind for e in await log.recent(1)] == ["unknown_sender"]


async def test_event_detail_never_keeps_a_secret(store: Store) -> None:
    log = EventLog(store)
    detail = {
        "community": "s3cret-comm",
        "sender": "127.0.0.9",
        "snmpCommunity": "s3cret-comm",
        "v3": {"auth-key": "s3cret-auth", "privPassword": "s3cret-priv", "user": "monitor"},
        "varbinds": [{"oid": "1.3.6.1.6.3.1.1.4.1.0", "value": "linkDown"}],
        "at": at(),
        "raw": b"\x01\x02",
        "odd": object(),
    }
    await log.add(at(), "trap", "unknown_sender", "unknown community", detail=detail)
    stored = await store.fetchone("SELECT detail FROM events")
    assert stored is not None and "s3cret" not in stored[0]
    (event,) = await log.recent(1)
    assert event.detail is not None
    assert event.detail["community"] == REDACTED and event.detail["snmpCommunity"] == REDACTED
    assert event.detail["v3"] == {"auth-key": REDACTED, "privPassword": REDACTED, "user": "monitor"}
    assert event.detail["sender"] == "127.0.0.9" and event.detail["raw"] == "0102"
    assert event.detail["odd"] == "<object>"

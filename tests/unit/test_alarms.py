"""Alarms: raise, update, clear; acknowledgement rules, expiry, roles; the bell; the audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from data.accounts import User
from data.audit import AuditEntry, AuditTrail
from data.clock import ManualClock
from data.records.alarms.book import DEFAULT_ACK, AlarmBook
from data.records.alarms.model import Alarm, AlarmError
from data.roles import PermissionDenied, Role
from data.store import Store

OPERATOR = User(2, "wang", "Wang Wei", Role.OPERATOR)
SUPERVISOR = User(3, "li", "Li Na", Role.SUPERVISOR)
AUDITOR = User(4, "zhao", "Zhao Min", Role.AUDITOR)


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The book's tests run over both backends: SQLite and PostgreSQL."""
    return any_store


@pytest.fixture
async def book(store: Store, audit: AuditTrail, clock: ManualClock) -> AsyncIterator[AlarmBook]:
    yield AlarmBook(store, audit, clock=clock)
    verdict = await audit.verify()  # every test leaves a chain that still verifies
    assert verdict.ok, verdict.reason


async def raise_alarm(
    book: AlarmBook, clock: ManualClock, check: str = "temp", severity: str = "CRITICAL"
) -> Alarm:
    return await book.raise_or_update("room-a", check, severity, f"{check} bad", clock(), 3)


async def rows(audit: AuditTrail, action: str) -> list[AuditEntry]:
    return list(reversed(await audit.query(action=action)))


async def test_one_active_alarm_per_check_updated_then_cleared(
    book: AlarmBook, clock: ManualClock
) -> None:
    first = await raise_alarm(book, clock, severity="WARNING")
    assert first.active and not first.acknowledged and first.raised_at == clock()
    clock.advance(timedelta(minutes=5))
    worse = await book.raise_or_update("room-a", "temp", "CRITICAL", "35 °C", clock(), 3, True)
    assert worse.id == first.id and worse.raised_at == first.raised_at
    assert (worse.severity, worse.message, worse.flapping) == ("CRITICAL", "35 °C", True)
    assert [a.id for a in await book.active()] == [first.id]

    clock.advance(timedelta(minutes=5))
    cleared = await book.clear("room-a", "temp", clock())
    assert cleared is not None and cleared.cleared_at == clock() and not cleared.active
    assert await book.active() == []
    assert await book.clear("room-a", "temp", clock()) is None  # nothing active to clear
    again = await raise_alarm(book, clock)
    assert again.id != first.id
    assert await book.get(first.id) == cleared
    with pytest.raises(ValueError):
        await raise_alarm(book, clock, check="x", severity="OK")


async def test_active_is_sorted_by_severity_then_age_and_history_filters(
    book: AlarmBook, clock: ManualClock
) -> None:
    warning = await raise_alarm(book, clock, "humid", "WARNING")
    clock.advance(timedelta(minutes=1))
    old_crit = await raise_alarm(book, clock, "temp", "CRITICAL")
    clock.advance(timedelta(minutes=1))
    unknown = await raise_alarm(book, clock, "ups", "UNKNOWN")
    new_crit = await raise_alarm(book, clock, "door", "CRITICAL")
    active = await book.active()
    assert [a.id for a in active] == [old_crit.id, new_crit.id, unknown.id, warning.id]

    await book.clear("room-a", "humid", clock())
    history = await book.history()
    assert [a.id for a in history] == [new_crit.id, unknown.id, old_crit.id, warning.id]
    assert [a.id for a in await book.history(severity="WARNING")] == [warning.id]
    assert [a.id for a in await book.history(until=old_crit.raised_at)] == [warning.id]
    since = await book.history(since=unknown.raised_at, limit=1)
    assert [a.id for a in since] == [new_crit.id]
    assert await book.history(device_id="elsewhere") == []


async def test_acknowledge_needs_a_comment(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    alarm = await raise_alarm(book, clock)
    for comment in ("", "   \n", "x" * 501):
        with pytest.raises(AlarmError) as refused:
            await book.acknowledge(OPERATOR, [alarm.id], comment)
        assert refused.value.code == "ack_comment_required"
    assert not (await book.get(alarm.id) or alarm).acknowledged
    assert await rows(audit, "alarm.ack") == []
    (done,) = await book.acknowledge(OPERATOR, [alarm.id], "  " + "x" * 500 + "\n")
    assert done.ack_comment == "x" * 500  # stripped first: 500 characters are allowed


async def test_default_expiry_is_two_hours_then_the_alarm_is_raised_again(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    alarm = await raise_alarm(book, clock)
    acked_at = clock()
    (acked,) = await book.acknowledge(OPERATOR, [alarm.id], "on site, fan replaced")
    assert acked.ack_by == "wang" and acked.ack_at == acked_at and not acked.sticky
    assert acked.ack_until == acked_at + DEFAULT_ACK == acked_at + timedelta(hours=2)

    clock.advance(timedelta(hours=1, minutes=59))
    assert await book.expire_acks() == []
    clock.advance(timedelta(minutes=1))
    (expired,) = await book.expire_acks()
    assert expired.id == alarm.id and expired.reraised_count == 1
    assert not expired.acknowledged and expired.ack_until is None
    assert expired.first_ack_at == acked_at  # kept for MTTA
    assert await book.expire_acks(clock() + timedelta(days=1)) == []  # once only
    (row,) = await rows(audit, "alarm.ack_expired")
    assert row.user is None and row.object == f"alarm:{alarm.id}"
    assert row.detail["ack_by"] == "wang"


async def test_a_custom_duration_and_a_bad_one(book: AlarmBook, clock: ManualClock) -> None:
    alarm = await raise_alarm(book, clock)
    (acked,) = await book.acknowledge(OPERATOR, [alarm.id], "vendor called", timedelta(hours=8))
    assert acked.ack_until == clock() + timedelta(hours=8)
    with pytest.raises(AlarmError) as refused:
        await book.acknowledge(OPERATOR, [alarm.id], "again", timedelta(0))
    assert refused.value.code == "bad_ack_duration"


async def test_sticky_is_refused_for_an_operator_and_allowed_for_a_supervisor(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    alarm = await raise_alarm(book, clock)
    with pytest.raises(PermissionDenied):
        await book.acknowledge(OPERATOR, [alarm.id], "until fixed", sticky=True)
    assert not (await book.get(alarm.id) or alarm).acknowledged
    (denied,) = await rows(audit, "alarm.ack")
    assert (denied.user, denied.outcome, denied.object) == ("wang", "denied", f"alarm:{alarm.id}")
    assert denied.detail == {"permission": "sticky_ack"}

    (sticky,) = await book.acknowledge(SUPERVISOR, [alarm.id], "until fixed", sticky=True)
    assert sticky.sticky and sticky.ack_until is None and sticky.ack_by == "li"
    assert await book.expire_acks(clock() + timedelta(days=30)) == []  # no expiry


async def test_a_sticky_ack_ends_at_recovery(book: AlarmBook, clock: ManualClock) -> None:
    alarm = await raise_alarm(book, clock)
    await book.acknowledge(SUPERVISOR, [alarm.id], "vendor ticket 4711", sticky=True)
    clock.advance(timedelta(hours=5))
    better = await book.raise_or_update("room-a", "temp", "WARNING", "m", clock(), 3)
    assert better.acknowledged  # a sticky ack survives a state change
    cleared = await book.clear("room-a", "temp", clock())
    assert cleared is not None and cleared.ack_until == clock()  # the ack ended with it
    fresh = await raise_alarm(book, clock)
    assert fresh.id != alarm.id and not fresh.acknowledged
    with pytest.raises(AlarmError) as refused:
        await book.acknowledge(OPERATOR, [alarm.id], "late")
    assert refused.value.code == "alarm_cleared"


async def test_a_worse_severity_withdraws_a_plain_ack(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    alarm = await raise_alarm(book, clock, severity="WARNING")
    await book.acknowledge(OPERATOR, [alarm.id], "watching it")
    same = await book.raise_or_update("room-a", "temp", "WARNING", "still", clock(), 3)
    assert same.acknowledged
    worse = await book.raise_or_update("room-a", "temp", "CRITICAL", "hot", clock(), 3)
    assert not worse.acknowledged and worse.reraised_count == 1
    (row,) = await rows(audit, "alarm.ack_escalated")
    assert row.user is None and row.detail["to_severity"] == "CRITICAL"


# Counts the BEGINs through aiosqlite's trace hook, which PostgreSQL's driver has no twin of:
# SQLite only (the same acknowledgement's all-or-none is over both backends just below).
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_mass_acknowledge_is_one_transaction_with_one_audit_row_per_alarm(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail, store: Store
) -> None:
    alarms = [await raise_alarm(book, clock, f"check-{i}") for i in range(5)]
    ids = [a.id for a in alarms]
    seen: list[str] = []
    await store.db.set_trace_callback(seen.append)
    try:
        acked = await book.acknowledge(OPERATOR, [*ids, ids[0]], "power work, see ticket 12")
    finally:
        await store.db.set_trace_callback(None)  # type: ignore[arg-type]  # None stops it
    assert sum(s.upper().startswith("BEGIN") for s in seen) == 1
    assert [a.id for a in acked] == ids and all(a.ack_by == "wang" for a in acked)
    audit_rows = await rows(audit, "alarm.ack")
    assert [r.object for r in audit_rows] == [f"alarm:{i}" for i in ids]
    assert {r.outcome for r in audit_rows} == {"ok"}
    assert audit_rows[0].detail["comment"] == "power work, see ticket 12"
    assert audit_rows[0].detail["check"] == "check-0"


async def test_a_mass_acknowledge_with_a_cleared_alarm_changes_nothing(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    one, two = await raise_alarm(book, clock, "a"), await raise_alarm(book, clock, "b")
    await book.clear("room-a", "b", clock())
    with pytest.raises(AlarmError) as refused:
        await book.acknowledge(OPERATOR, [one.id, two.id], "both")
    assert refused.value.code == "alarm_cleared" and refused.value.params["ids"] == [two.id]
    assert not (await book.get(one.id) or one).acknowledged  # all or none
    assert [r.outcome for r in await rows(audit, "alarm.ack")] == ["failed", "failed"]
    with pytest.raises(AlarmError) as missing:
        await book.acknowledge(OPERATOR, [999], "who?")
    assert missing.value.code == "no_such_alarm"
    assert await book.acknowledge(OPERATOR, [], "nothing") == []


async def test_only_roles_with_ack_alarm_may_acknowledge(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    alarm = await raise_alarm(book, clock)
    with pytest.raises(PermissionDenied):
        await book.acknowledge(AUDITOR, [alarm.id], "I saw it")
    with pytest.raises(PermissionDenied):
        await book.mute_bell(AUDITOR, 10, "noisy")
    assert [r.outcome for r in await rows(audit, "alarm.ack")] == ["denied"]
    assert [r.outcome for r in await rows(audit, "bell.mute")] == ["denied"]


async def test_unacknowledge_is_audited(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    alarm = await raise_alarm(book, clock)
    with pytest.raises(AlarmError) as refused:
        await book.unacknowledge(OPERATOR, alarm.id, "not acked yet")
    assert refused.value.code == "alarm_not_acknowledged"
    await book.acknowledge(SUPERVISOR, [alarm.id], "sticky", sticky=True)
    with pytest.raises(AlarmError) as blank:
        await book.unacknowledge(OPERATOR, alarm.id, " ")
    assert blank.value.code == "unack_reason_required"
    loud = await book.unacknowledge(OPERATOR, alarm.id, "got worse, calling vendor")
    assert not loud.acknowledged and not loud.sticky and loud.reraised_count == 0
    assert loud.first_ack_at is not None
    (row,) = await rows(audit, "alarm.unack")
    assert row.user == "wang" and row.detail["ack_by"] == "li"
    assert row.detail["reason"] == "got worse, calling vendor"


async def test_muting_the_bell_is_audited_and_ends(
    book: AlarmBook, clock: ManualClock, audit: AuditTrail
) -> None:
    assert await book.bell_muted() is None
    mute = await book.mute_bell(OPERATOR, 30, "working in the room")
    assert (mute.who, mute.until - mute.muted_at) == ("wang", timedelta(minutes=30))
    assert await book.bell_muted(clock() + timedelta(minutes=29)) == mute
    assert await book.bell_muted(clock() + timedelta(minutes=30)) is None
    (row,) = await rows(audit, "bell.mute")
    assert row.user == "wang" and row.detail["reason"] == "working in the room"

    for minutes, reason, code in (
        (0, "r", "bad_mute_minutes"),
        (241, "r", "bad_mute_minutes"),
        (10, "", "mute_reason_required"),
    ):
        with pytest.raises(AlarmError) as refused:
            await book.mute_bell(OPERATOR, minutes, reason)
        assert refused.value.code == code
    await book.unmute_bell(SUPERVISOR)
    assert await book.bell_muted() is None
    assert [r.user for r in await rows(audit, "bell.unmute")] == ["li"]

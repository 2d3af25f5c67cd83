"""Shift handover: taking duty, the compiled summary, dual sign-off, refusal, sealing,
pending items carried forward, amendments and the printable document."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from data import i18n
from data.accounts import Accounts, AuthError, User
from data.audit import AuditTrail
from data.checklists import Checklist
from data.clock import ManualClock, to_db
from data.exports.handover_doc import handover_document
from data.records.alarms.book import AlarmBook
from data.records.checks.batch import CheckBatch
from data.records.checks.book import CheckRecords
from data.records.checks.model import TransitionRow
from data.records.handover.book import HandoverBook
from data.records.handover.model import Handover, HandoverError
from data.records.inspections.book import InspectionBook
from data.records.sealing import SealedRecordError, verify_seal
from data.roles import PermissionDenied
from data.store import Store
from tests.unit.test_sealing import SITE, speaking, words_of

PASSWORD = "Sh1ft-pass"
ROUND = Checklist.model_validate(
    {
        "id": "round",
        "name": "日常巡检",
        "schedule": "daily",
        "sections": [{"title": "环境", "items": [{"id": "clean", "text": "卫生整洁"}]}],
    }
)


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The book's tests over both backends: SQLite and PostgreSQL (issue 14)."""
    return any_store


@dataclass
class Desk:
    book: HandoverBook
    alice: User
    bob: User
    clock: ManualClock
    audit: AuditTrail
    store: Store


@pytest.fixture
async def desk(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> AsyncIterator[Desk]:
    alice = await accounts.add(admin, "alice", PASSWORD, "operator", "白班值班员")
    bob = await accounts.add(admin, "bob", PASSWORD, "operator", "夜班值班员")
    inspections = InspectionBook(store, audit, accounts, SITE, [ROUND], clock)
    book = HandoverBook(store, audit, accounts, SITE, clock, inspections=inspections)
    yield Desk(book, alice, bob, clock, audit, store)
    verdict = await audit.verify()  # every test leaves a chain that still verifies
    assert verdict.ok, verdict.reason


async def handed_over(desk: Desk) -> Handover:
    """alice takes the day shift and hands it to bob at 17:30."""
    watch = await desk.book.open_shift(desk.alice)
    desk.clock.advance(timedelta(hours=9))
    await desk.book.sign_outgoing(desk.alice, watch.id, PASSWORD)
    return await desk.book.sign_incoming("bob", PASSWORD, watch.id)


async def test_duty_is_taken_once_then_only_through_a_handover(desk: Desk) -> None:
    assert await desk.book.on_duty() is None
    watch = await desk.book.open_shift(desk.alice)
    assert (watch.operator, watch.shift_name, watch.status) == ("alice", "白班", "open")
    assert watch.period_start == watch.shift_start == datetime(2026, 3, 2, 8, 30, tzinfo=SITE.tz)
    assert (await desk.book.open_shift(desk.alice)).id == watch.id  # already on duty
    on_duty = await desk.book.on_duty()
    assert on_duty is not None and on_duty.user == "alice" and on_duty.span is not None
    assert on_duty.span.name == "白班"

    with pytest.raises(HandoverError) as refused:
        await desk.book.open_shift(desk.bob)
    assert refused.value.code == "handover_required" and refused.value.params["on_duty"] == "alice"
    denied = (await desk.audit.query(action="shift.open"))[0]
    assert (denied.user, denied.outcome) == ("bob", "denied")
    # the watch lasts past its shift's end until it is handed over
    desk.clock.advance(timedelta(hours=12))
    later = await desk.book.on_duty()
    assert later is not None and later.user == "alice" and later.span is not None
    assert later.span.name == "夜班"


async def test_sign_off_needs_two_different_accounts(desk: Desk) -> None:
    watch = await desk.book.open_shift(desk.alice)
    with pytest.raises(HandoverError) as early:
        await desk.book.sign_incoming("bob", PASSWORD, watch.id)
    assert early.value.code == "not_signed_out"
    with pytest.raises(AuthError):
        await desk.book.sign_outgoing(desk.alice, watch.id, "Wr0ng-pass")
    with pytest.raises(HandoverError) as not_hers:
        await desk.book.sign_outgoing(desk.bob, watch.id, PASSWORD)
    assert not_hers.value.code == "not_on_duty"

    desk.clock.advance(timedelta(hours=9))
    signed = await desk.book.sign_outgoing(desk.alice, watch.id, PASSWORD)
    assert signed.status == "signed_out" and signed.summary is not None
    assert signed.out_signed_at == desk.clock()
    with pytest.raises(HandoverError) as same:
        await desk.book.sign_incoming("ALICE", PASSWORD, watch.id)
    assert same.value.code == "same_account"
    with pytest.raises(AuthError):
        await desk.book.sign_incoming("bob", "Wr0ng-pass", watch.id)
    with pytest.raises(HandoverError) as frozen:
        await desk.book.set_notes(desk.alice, watch.id, "晚了")
    assert frozen.value.code == "handover_signed_out"

    desk.clock.advance(timedelta(minutes=5))
    sealed = await desk.book.sign_incoming("bob", PASSWORD, watch.id)
    assert (sealed.status, sealed.incoming, sealed.in_signed_at) == ("sealed", "bob", desk.clock())
    assert sealed.sealed and verify_seal(sealed) and await desk.book.verify(sealed)
    on_duty = await desk.book.on_duty()
    assert on_duty is not None and on_duty.user == "bob" and on_duty.span is not None
    assert on_duty.span.name == "夜班"
    new_watch = await desk.book.current()
    assert new_watch is not None and new_watch.previous_id == watch.id
    assert new_watch.period_start == signed.out_signed_at  # no gap between summaries
    [seal_row] = await desk.audit.query(action="handover.seal")
    assert sealed.seal is not None and seal_row.detail == {"sha256": sealed.seal.sha256}
    day = (desk.clock() - timedelta(days=1), desk.clock() + timedelta(seconds=1))
    assert [h.id for h in await desk.book.history(*day)] == [watch.id]


async def test_a_refusal_is_recorded_and_the_shift_stays(desk: Desk) -> None:
    watch = await desk.book.open_shift(desk.alice)
    await desk.book.sign_outgoing(desk.alice, watch.id, PASSWORD)
    with pytest.raises(HandoverError) as blank:
        await desk.book.refuse("bob", PASSWORD, watch.id, "  ")
    assert blank.value.code == "refusal_reason_required"
    refused = await desk.book.refuse("bob", PASSWORD, watch.id, "UPS 告警未说明")
    assert refused.status == "open" and refused.summary is None and not refused.sealed
    [refusal] = refused.refusals
    assert (refusal.refused_by, refusal.reason) == ("bob", "UPS 告警未说明")
    on_duty = await desk.book.on_duty()
    assert on_duty is not None and on_duty.user == "alice"
    row = (await desk.audit.query(action="handover.refuse"))[0]
    assert (row.user, row.outcome, row.detail["reason"]) == ("bob", "refused", "UPS 告警未说明")

    await desk.book.set_notes(desk.alice, watch.id, "UPS-1 告警已确认，厂家明早到场")
    await desk.book.sign_outgoing(desk.alice, watch.id, PASSWORD)
    sealed = await desk.book.sign_incoming("bob", PASSWORD, watch.id)
    assert sealed.notes.startswith("UPS-1") and len(sealed.refusals) == 1


async def test_a_sealed_handover_refuses_edits(desk: Desk) -> None:
    sealed = await handed_over(desk)
    with pytest.raises(SealedRecordError) as error:
        await desk.book.set_notes(desk.alice, sealed.id, "改一下")
    assert error.value.code == "record_sealed"
    denied = (await desk.audit.query(action="handover.notes"))[0]
    assert (denied.user, denied.outcome, denied.object) == (
        "alice",
        "denied",
        f"handover:{sealed.id}",
    )
    with pytest.raises(SealedRecordError):
        await desk.book.add_pending(desk.alice, sealed.id, "补一条")
    for sql in (
        "UPDATE handovers SET notes = 'x' WHERE id = ?",
        "DELETE FROM handovers WHERE id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="record_sealed"):
            await desk.store.write(sql, (sealed.id,))
    assert verify_seal(await desk.book.get(sealed.id))

    amended = await desk.book.amend(
        desk.alice, sealed.id, "补记：16:00 巡检发现A列地板下渗水", PASSWORD
    )
    assert amended.kind == "amendment" and amended.amends_id == sealed.id and amended.sealed
    assert verify_seal(amended) and await desk.book.verify(amended)
    assert [a.id for a in await desk.book.amendments(sealed.id)] == [amended.id]
    assert (await desk.book.get(sealed.id)).notes == sealed.notes
    with pytest.raises(HandoverError) as open_one:
        await desk.book.amend(desk.bob, (await desk.book.current() or sealed).id, "x", PASSWORD)
    assert open_one.value.code == "not_sealed"


async def test_pending_items_are_carried_forward_until_closed(desk: Desk) -> None:
    watch = await desk.book.open_shift(desk.alice)
    item = await desk.book.add_pending(desk.alice, watch.id, "跟进 UPS-1 电池更换")
    other = await desk.book.add_pending(desk.alice, watch.id, "归还 3 号门禁卡")
    desk.clock.advance(timedelta(hours=1))
    await desk.book.close_pending(desk.alice, other.id, "已归还")
    desk.clock.advance(timedelta(hours=8))
    await desk.book.sign_outgoing(desk.alice, watch.id, PASSWORD)
    sealed = await desk.book.sign_incoming("bob", PASSWORD, watch.id)
    assert sealed.summary is not None
    assert [(p.id, p.open) for p in sealed.summary.pending] == [(item.id, True), (other.id, False)]

    night = await desk.book.current()
    assert night is not None and night.operator == "bob"
    carried = await desk.book.preview(night.id)
    assert [p.id for p in carried.pending] == [item.id]  # still open, carried forward
    desk.clock.advance(timedelta(hours=2))
    closed = await desk.book.close_pending(desk.bob, item.id, "电池已更换")
    assert (closed.closed_by, closed.closed_at) == ("bob", desk.clock())
    assert closed.close_note == "电池已更换"
    assert await desk.book.pending() == []
    with pytest.raises(HandoverError) as twice:
        await desk.book.close_pending(desk.bob, item.id)
    assert twice.value.code == "item_closed"
    shown = (await desk.book.preview(night.id)).pending
    assert [(p.id, p.closed_by) for p in shown] == [(item.id, "bob")]  # closed in this watch
    # the sealed handover still shows what alice signed
    assert (await desk.book.get(sealed.id)).summary == sealed.summary
    with pytest.raises(sqlite3.IntegrityError, match="record_sealed"):
        await desk.store.write("UPDATE handover_pending SET text = 'x' WHERE id = ?", (item.id,))


async def test_summary_is_compiled_from_the_records(
    desk: Desk, store: Store, audit: AuditTrail, clock: ManualClock
) -> None:
    watch = await desk.book.open_shift(desk.alice)
    alarms, checks = AlarmBook(store, audit, clock), CheckRecords(store, clock)
    before = clock() - timedelta(hours=1)
    old = await alarms.raise_or_update("core-sw-1", "ports", "WARNING", "1 port down", before, 3)
    clock.advance(timedelta(hours=1))
    batch = CheckBatch()
    batch.add_transition(TransitionRow("ups-1", "ups", clock(), "OK", "CRITICAL", True, "battery"))
    batch.add_transition(TransitionRow("ups-1", "ups", clock(), "OK", "WARNING", False, "soft"))
    await checks.persist(batch)
    ups = await alarms.raise_or_update("ups-1", "ups", "CRITICAL", "on battery", clock(), 3)
    await alarms.acknowledge(desk.alice, [ups.id], "已通知厂家")
    await alarms.clear("core-sw-1", "ports", clock())
    await audit.record("alice", "action.run", "device:srv-1/restart-nginx", detail={"exit": 0})
    await store.write_many(
        "INSERT INTO access_records (kind, name, organisation, id_type, id_cipher, id_index,"
        " id_masked, escort, badge, entered_at, entered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, 'alice')",
        [
            ("staff", "王工", "", None, None, None, None, None, None, to_db(clock())),
            (
                "visitor",
                "李四",
                "某厂商",
                "resident_id",
                "c",
                "i",
                "110105********002X",
                "alice",
                "V-07",
                to_db(clock()),
            ),
        ],
    )
    await desk.book.set_notes(desk.alice, watch.id, "UPS-1 市电中断，已电池供电")
    clock.advance(timedelta(hours=2))

    summary = await desk.book.preview(watch.id)
    assert (summary.since, summary.until) == (watch.period_start, clock())
    assert [(t.device_id, t.to_state) for t in summary.transitions] == [("ups-1", "CRITICAL")]
    assert [a.id for a in summary.alarms_raised] == [ups.id]
    assert [a.id for a in summary.alarms_cleared] == [old.id]
    [still] = summary.alarms_open
    assert still.id == ups.id and still.ack_by == "alice" and still.ack_comment == "已通知厂家"
    [action] = summary.actions
    assert (action.user, action.target, action.detail) == (
        "alice",
        "device:srv-1/restart-nginx",
        {"exit": 0},
    )
    assert summary.people_in_room is not None
    assert [p.name for p in summary.people_in_room] == ["王工", "李四"]
    [visitor] = summary.visitors_inside
    assert (visitor.organisation, visitor.badge, visitor.escort) == ("某厂商", "V-07", "alice")
    assert "110105" not in summary.model_dump_json()  # no ID number in a handover
    has_incidents = await store.fetchone(
        "SELECT 1 FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_name = 'incidents'"
        if getattr(store, "dialect", "sqlite") == "postgresql"
        else "SELECT 1 FROM sqlite_master WHERE name = 'incidents'"
    )
    assert (summary.incidents is None) == (has_incidents is None)
    assert [(i.template_id, i.state) for i in summary.inspections] == [("round", "due")]
    assert summary.notes == "UPS-1 市电中断，已电池供电"

    # what alice signs is frozen: later events do not change it
    signed = await desk.book.sign_outgoing(desk.alice, watch.id, PASSWORD)
    clock.advance(timedelta(minutes=10))
    await alarms.raise_or_update("fw-1", "up", "CRITICAL", "down", clock(), 3)
    assert (await desk.book.get(watch.id)).summary == signed.summary
    assert await desk.book.preview(watch.id) == signed.summary
    on_duty = await desk.book.on_duty()
    assert on_duty is not None and on_duty.span is not None
    whole_shift = await desk.book.compile_summary(on_duty.span)
    assert [a.device_id for a in whole_shift.alarms_raised] == ["ups-1", "fw-1"]
    for language in i18n.LANGUAGES:
        with speaking(language):
            words = words_of(handover_document(signed, desk.book.site))
        assert not [w for w in words if "record_doc." in w], language
        assert "李四" in words and "V-07" in words and "已通知厂家" in " ".join(words)


async def test_permission_and_the_printable_document(
    desk: Desk, accounts: Accounts, admin: User
) -> None:
    auditor = await accounts.add(admin, "zhao", PASSWORD, "auditor")
    with pytest.raises(PermissionDenied):
        await desk.book.open_shift(auditor)
    sealed = await handed_over(desk)
    with speaking("zh_CN"):
        document = handover_document(sealed, desk.book.site)
    assert document.title == "值班交接班记录" and document.subtitle == SITE.name
    assert document.signatures == ["交班人", "接班人"]
    meta = dict(document.meta)
    assert meta["交班人"] == "alice" and meta["接班人"] == "bob"
    assert sealed.seal is not None and meta["封存校验值（SHA-256）"] == sealed.seal.sha256
    headings = [section.heading for section in document.sections]
    assert {"交班说明", "待办事项", "未消除告警", "机房内人员", "巡检情况"} <= set(headings)
    assert not [w for w in words_of(document) if "record_doc." in w]  # labels are translated

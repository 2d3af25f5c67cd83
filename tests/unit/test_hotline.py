"""The hotline book: calls logged with their numbers encrypted and masked, validation with
every bad field named, turning a call into an incident or linking it to one, follow-ups
due once the incident closes, roles and audit rows (data.records.hotline)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from data.accounts import User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.crypto import FieldCipher
from data.exports.report_doc import report_document
from data.i18n import explain, t
from data.records.hotline.book import HotlineBook
from data.records.hotline.model import HotlineError, HotlineRefused
from data.records.incidents.book import IncidentBook
from data.records.incidents.model import IncidentError
from data.records.reports.book import monthly
from data.roles import PermissionDenied, Role
from data.store import Store
from tests.unit.test_incidents import make_site

OPERATOR = User(2, "wang", "王伟", Role.OPERATOR)
SUPERVISOR = User(3, "li", "李娜", Role.SUPERVISOR)
AUDITOR = User(4, "zhao", "赵敏", Role.AUDITOR)
ADMIN = User(1, "admin", "", Role.ADMIN)
PHONE = "138-7712-3456"
PHONE_DIGITS = "13877123456"
CALLER = "陈秀英"


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
def incidents(store: Store, audit: AuditTrail, clock: ManualClock) -> IncidentBook:
    return IncidentBook(store, audit, make_site(), clock=clock)


@pytest.fixture
async def book(
    store: Store, audit: AuditTrail, clock: ManualClock, incidents: IncidentBook
) -> AsyncIterator[HotlineBook]:
    yield HotlineBook(store, audit, FieldCipher(os.urandom(32)), incidents, clock)
    verdict = await audit.verify()  # every test leaves a chain that still verifies
    assert verdict.ok, verdict.reason
    for entry in await audit.query(limit=10_000):  # no caller's name or full number
        text = repr(entry.detail) + entry.object
        assert PHONE_DIGITS not in text and CALLER not in text


async def log(book: HotlineBook, **change: str) -> int:
    fields = {
        "caller": CALLER,
        "unit": "市人社局",
        "phone": PHONE,
        "topic": "社保系统登录超时",
        "action": "已指导清除缓存",
    }
    return (await book.log_call(OPERATOR, **{**fields, **change})).id


async def closed_incident_of(book: HotlineBook, incidents: IncidentBook, call_id: int) -> int:
    incident = await book.open_incident(OPERATOR, call_id, "major", "application")
    await incidents.resolve(OPERATOR, incident.id, "会话池耗尽", "扩容会话池")
    await incidents.close(OPERATOR, incident.id)
    return incident.id


async def test_a_call_is_stored_with_its_number_encrypted_and_shown_masked(
    book: HotlineBook, store: Store, clock: ManualClock, audit: AuditTrail
) -> None:
    call = await book.log_call(
        OPERATOR, caller=f"  {CALLER} ", unit="市人社局", phone=PHONE, topic="社保系统登录超时"
    )
    assert (call.caller, call.phone_masked, call.taken_by) == (CALLER, "138****3456", "wang")
    assert call.received_at == clock() and call.incident_id is None
    row = await store.fetchone("SELECT * FROM hotline_calls WHERE id = ?", (call.id,))
    assert row is not None
    assert PHONE_DIGITS not in " ".join(str(value) for value in tuple(row))
    [entry] = [e for e in await audit.query(limit=100) if e.action == "hotline.call"]
    assert (entry.user, entry.object, entry.detail) == (
        "wang",
        f"call:{call.id}",
        {"phone_masked": "138****3456"},
    )
    # Found again by its number in any spelling, through the blind index.
    found = await book.calls(OPERATOR, phone="+86 138 7712 3456")
    assert [c.id for c in found] == [call.id]
    assert await book.calls(OPERATOR, phone="13900000000") == []
    assert [c.id for c in await book.calls(OPERATOR, text="社保")] == [call.id]


async def test_a_caller_may_withhold_the_number(book: HotlineBook) -> None:
    call_id = await log(book, phone="  ")
    assert (await book.get(OPERATOR, call_id)).phone_masked is None
    with pytest.raises(HotlineError) as refused:
        await book.reveal_phone(SUPERVISOR, call_id)
    assert refused.value.code == "no_phone"


async def test_a_refused_call_names_every_bad_field_and_stores_nothing(
    book: HotlineBook, store: Store, chinese: None
) -> None:
    with pytest.raises(HotlineRefused) as refused:
        await book.log_call(OPERATOR, caller=" ", phone="12345678901", topic="", unit="x" * 101)
    problems = [(p.code, p.params["field"]) for p in refused.value.problems]
    assert problems == [
        ("caller_required", "caller"),
        ("text_too_long", "unit"),
        ("phone_bad_format", "phone"),
        ("topic_required", "topic"),
    ]
    assert explain(refused.value.problems[0]) == "请填写来电人。"
    assert explain(refused.value.problems[1]) == "有文本超过 100 个字符。"
    row = await store.fetchone("SELECT count(*) FROM hotline_calls")
    assert row is not None and row[0] == 0


async def test_a_call_becomes_an_incident_in_one_step(
    book: HotlineBook, incidents: IncidentBook, audit: AuditTrail
) -> None:
    call_id = await log(book)
    incident = await book.open_incident(OPERATOR, call_id, "major", "application")
    assert (incident.title, incident.caller, incident.department) == (
        "社保系统登录超时",
        CALLER,
        "市人社局",
    )
    assert incident.phone == "138****3456"  # the incident book keeps numbers in clear: masked
    assert incident.description == "社保系统登录超时\n已指导清除缓存"
    call = await book.get(OPERATOR, call_id)
    assert (call.incident_id, call.linked_by) == (incident.id, "wang")
    actions = [e.action for e in await audit.query(limit=100)]
    assert actions.count("incident.open") == 1 and actions.count("hotline.incident") == 1
    with pytest.raises(HotlineError) as again:
        await book.open_incident(OPERATOR, call_id, "major", "application")
    assert again.value.code == "call_linked"


async def test_a_bad_incident_leaves_the_call_unlinked(
    book: HotlineBook, incidents: IncidentBook
) -> None:
    call_id = await log(book)
    with pytest.raises(IncidentError) as refused:
        await book.open_incident(OPERATOR, call_id, "apocalyptic", "application")
    assert refused.value.code == "bad_severity"
    assert (await book.get(OPERATOR, call_id)).incident_id is None
    assert await incidents.not_closed() == []


async def test_a_call_links_to_an_open_incident_not_a_closed_one(
    book: HotlineBook, incidents: IncidentBook
) -> None:
    first = await log(book)
    incident = await book.open_incident(OPERATOR, first, "major", "application")
    second = await log(book, caller="周强", phone="0771-5551234")
    linked = await book.link(OPERATOR, second, incident.id)
    assert linked.incident_id == incident.id
    timeline = (await incidents.get(incident.id)).timeline
    assert timeline[-1].kind == "note" and f"#{second}" in timeline[-1].text
    await incidents.resolve(OPERATOR, incident.id, "会话池耗尽", "扩容会话池")
    await incidents.close(OPERATOR, incident.id)
    third = await log(book)
    with pytest.raises(HotlineError) as refused:
        await book.link(OPERATOR, third, incident.id)
    assert refused.value.code == "incident_closed"


async def test_a_follow_up_is_due_once_the_incident_closes(
    book: HotlineBook, incidents: IncidentBook, clock: ManualClock, audit: AuditTrail
) -> None:
    call_id = await log(book)
    incident = await book.open_incident(OPERATOR, call_id, "major", "application")
    assert await book.count_due() == 0
    with pytest.raises(HotlineError) as early:
        await book.record_followup(OPERATOR, incident.id, contact=CALLER, satisfaction="satisfied")
    assert early.value.code == "incident_not_closed"
    await incidents.resolve(OPERATOR, incident.id, "会话池耗尽", "扩容会话池")
    await incidents.close(OPERATOR, incident.id)
    [due] = await book.followups_due(OPERATOR)
    assert (due.incident_id, due.caller, due.unit, due.phone_masked, due.call_ids) == (
        incident.id,
        CALLER,
        "市人社局",
        "138****3456",
        (call_id,),
    )
    assert await book.count_due() == 1
    clock.advance(timedelta(hours=2))
    done = await book.record_followup(
        OPERATOR, incident.id, contact=CALLER, satisfaction="mostly_satisfied", remarks="稍慢"
    )
    assert (done.satisfaction, done.done_by, done.done_at) == ("mostly_satisfied", "wang", clock())
    assert await book.count_due() == 0
    with pytest.raises(HotlineError) as twice:
        await book.record_followup(OPERATOR, incident.id, contact=CALLER, satisfaction="satisfied")
    assert twice.value.code == "followup_not_due"
    [entry] = [e for e in await audit.query(limit=100) if e.action == "hotline.followup"]
    assert entry.detail == {"incident": incident.id, "satisfaction": "mostly_satisfied"}
    # Reopened and closed again: due again.
    await incidents.reopen(OPERATOR, incident.id, "又超时")
    await incidents.resolve(OPERATOR, incident.id, "会话池耗尽", "再次扩容")
    clock.advance(timedelta(minutes=1))
    await incidents.close(OPERATOR, incident.id)
    assert await book.count_due() == 1


async def test_an_incident_opened_with_a_caller_is_followed_up_too(
    book: HotlineBook, incidents: IncidentBook
) -> None:
    reported = await incidents.open_manual(
        OPERATOR, "门户无法访问", "minor", "application", caller="周强", department="市政务办"
    )
    from_alarm_like = await incidents.open_manual(OPERATOR, "巡检发现", "minor", "hardware")
    for incident_id in (reported.id, from_alarm_like.id):
        await incidents.resolve(OPERATOR, incident_id, "原因", "处理")
        await incidents.close(OPERATOR, incident_id)
    [due] = await book.followups_due(OPERATOR)
    assert (due.incident_id, due.caller, due.unit, due.call_ids) == (
        reported.id,
        "周强",
        "市政务办",
        (),
    )


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"contact": " ", "satisfaction": "satisfied"}, "contact_required", "contact"),
        ({"contact": "陈", "satisfaction": "happy"}, "bad_satisfaction", "satisfaction"),
        ({"contact": "陈", "satisfaction": "dissatisfied"}, "remarks_required", "remarks"),
        (
            {"contact": "陈", "satisfaction": "satisfied", "remarks": "x" * 2001},
            "text_too_long",
            "remarks",
        ),
    ],
)
async def test_a_follow_up_is_validated(
    book: HotlineBook,
    incidents: IncidentBook,
    store: Store,
    fields: dict[str, str],
    code: str,
    field: str,
) -> None:
    incident_id = await closed_incident_of(book, incidents, await log(book))
    with pytest.raises(HotlineError) as refused:
        await book.record_followup(OPERATOR, incident_id, **fields)
    assert (refused.value.code, refused.value.params["field"]) == (code, field)
    assert await book.count_due() == 1


async def test_roles_read_write_and_reveal(
    book: HotlineBook, incidents: IncidentBook, audit: AuditTrail
) -> None:
    call_id = await log(book)
    # The auditor reads the audit trail and nothing else; the admin may read, not write.
    for attempt in (
        book.calls(AUDITOR),
        book.followups_due(AUDITOR),
        book.log_call(ADMIN, caller="x", topic="y"),
        book.open_incident(ADMIN, call_id, "major", "application"),
        book.link(ADMIN, call_id, 1),
        book.reveal_phone(OPERATOR, call_id),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    assert [c.id for c in await book.calls(ADMIN)] == [call_id]
    assert await book.reveal_phone(SUPERVISOR, call_id) == PHONE_DIGITS
    rows = [(e.user, e.action, e.outcome) for e in await audit.query(limit=100)]
    assert ("zhao", "hotline.read", "denied") in rows
    assert ("admin", "hotline.call", "denied") in rows
    assert ("admin", "hotline.incident", "denied") in rows
    assert ("wang", "hotline.reveal", "denied") in rows
    assert ("li", "hotline.reveal", "ok") in rows
    incident_id = await closed_incident_of(book, incidents, await log(book))
    with pytest.raises(PermissionDenied):
        await book.record_followup(ADMIN, incident_id, contact="x", satisfaction="satisfied")
    assert ("admin", "hotline.followup", "denied") in [
        (e.user, e.action, e.outcome) for e in await audit.query(limit=100)
    ]


async def test_the_monthly_report_counts_calls_and_follow_ups(
    book: HotlineBook, incidents: IncidentBook, store: Store, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 2, 28, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai: February
    await log(book)
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    first, second, _ = [await log(book) for _ in range(3)]
    pleased = await closed_incident_of(book, incidents, first)
    upset = await closed_incident_of(book, incidents, second)
    await book.record_followup(OPERATOR, pleased, contact=CALLER, satisfaction="satisfied")
    await book.record_followup(
        OPERATOR, upset, contact=CALLER, satisfaction="dissatisfied", remarks="太慢"
    )
    await closed_incident_of(book, incidents, await log(book))  # still due
    result = await monthly(store, make_site(), "2026-03", clock=clock)
    assert result.hotline is not None
    assert (result.hotline.calls, result.hotline.to_incidents) == (4, 3)
    assert result.hotline.followups == {"satisfied": 1, "mostly_satisfied": 0, "dissatisfied": 1}
    assert (result.hotline.open_followups, result.hotline.satisfaction_rate) == (1, 0.5)
    document = report_document(result)
    [section] = [s for s in document.sections if s.heading == t("export.report.hotline")]
    assert section.table is not None
    figures = dict((row[0], row[1]) for row in section.table.rows)
    assert figures[t("export.report.calls_total")] == "4"
    assert figures[t("export.report.satisfaction_rate")] == "50.0%"
    # A report of some devices leaves the calls out, as it does phone-reported incidents.
    filtered = await monthly(store, make_site(), "2026-03", device_id="db-1", clock=clock)
    assert filtered.hotline is None

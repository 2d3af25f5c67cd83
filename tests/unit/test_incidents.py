"""Incidents: lifecycle, response clock, vendor escalation, problem tracking, roles,
audit; full-text search of Chinese text and "past fixes" (data.records.incidents). Every
test runs over both backends (``any_store``: SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from data.accounts import User
from data.audit import GENESIS_ACTION, AuditTrail
from data.calendar import ResponseStatus
from data.clock import ManualClock
from data.models import Site
from data.records.alarms.book import AlarmBook
from data.records.incidents.book import IncidentBook
from data.records.incidents.model import Incident, IncidentError
from data.roles import PermissionDenied, Role
from data.store import Store

OPERATOR = User(2, "wang", "王伟", Role.OPERATOR)
AUDITOR = User(4, "zhao", "赵敏", Role.AUDITOR)
MINUTE = timedelta(minutes=1)


def make_site() -> Site:
    asset = {"vendor": "华为", "support": "400-822-9999", "contact": "李工"}
    return Site.model_validate(
        {
            "site": {
                "name": "测试机房",
                "problem_age_days": 7,
                "shifts": [{"name": "白班", "start": "08:30", "end": "17:30"}],
                "response_hours": {"workday": 1, "non_workday": 3},
            },
            "zones": [{"id": "core", "name": "核心区"}],
            "devices": [
                {
                    "id": "db-1",
                    "name": "数据库服务器",
                    "kind": "server",
                    "zone": "core",
                    "host": "127.0.0.1",
                    "asset": asset,
                },
                {"id": "sw-1", "name": "核心交换机", "kind": "switch", "zone": "core", "host": "h"},
            ],
        }
    )


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
async def book(store: Store, audit: AuditTrail, clock: ManualClock) -> AsyncIterator[IncidentBook]:
    yield IncidentBook(store, audit, make_site(), clock=clock)
    verdict = await audit.verify()  # every test leaves a chain that still verifies
    assert verdict.ok, verdict.reason


async def open_phone_report(
    book: IncidentBook, actor: User = OPERATOR, **overrides: object
) -> Incident:
    fields: dict[str, object] = {
        "title": "业务系统无法登录",
        "severity": "major",
        "category": "application",
        "device_id": "db-1",
        "caller": "张三",
        "department": "行政审批局",
        "phone": "0771-5551234",
        "description": "登录页报错：数据库连接池耗尽",
    }
    fields.update(overrides)
    return await book.open_manual(actor, **fields)  # type: ignore[arg-type]


async def test_lifecycle_from_phone_report_to_closed(
    book: IncidentBook, clock: ManualClock, audit: AuditTrail
) -> None:
    opened = await open_phone_report(book)
    assert (opened.status, opened.opened_by, opened.caller) == ("open", "wang", "张三")
    assert opened.reported_at == clock() and opened.target == timedelta(hours=1)  # Monday
    assert opened.response(clock()) == (ResponseStatus.OPEN, timedelta(hours=1))

    clock.advance(20 * MINUTE)
    responded = await book.respond(OPERATOR, opened.id, "已电话联系用户，正在排查")
    assert responded.status == "responding" and responded.time_to_respond == 20 * MINUTE
    assert responded.response(clock() + timedelta(days=1)).status == ResponseStatus.MET
    with pytest.raises(IncidentError) as again:
        await book.respond(OPERATOR, opened.id, "again")
    assert again.value.code == "already_responded"

    await book.add_entry(OPERATOR, opened.id, "重启应用连接池")
    with pytest.raises(IncidentError) as early:
        await book.close(OPERATOR, opened.id)
    assert early.value.code == "incident_not_resolved"
    blanks = (("", "重启", "cause_required"), ("泄漏", "  ", "solution_required"))
    for cause, solution, code in blanks:
        with pytest.raises(IncidentError) as blank:
            await book.resolve(OPERATOR, opened.id, cause, solution)
        assert blank.value.code == code

    clock.advance(40 * MINUTE)
    resolved = await book.resolve(OPERATOR, opened.id, "连接未释放", "重启服务并调大连接池")
    assert resolved.status == "resolved" and resolved.time_to_resolve == 60 * MINUTE
    closed = await book.close(OPERATOR, opened.id)
    assert closed.status == "closed" and closed.closed_by == "wang"
    for attempt in (
        book.add_entry(OPERATOR, opened.id, "late"),
        book.close(OPERATOR, opened.id),
        book.escalate(OPERATOR, opened.id),
    ):
        with pytest.raises(IncidentError) as refused:
            await attempt
        assert refused.value.code == "incident_closed"

    kinds = [entry.kind for entry in closed.timeline]
    assert kinds == ["opened", "responded", "note", "resolved", "closed"]
    assert closed.timeline[2].text == "重启应用连接池" and closed.timeline[2].who == "wang"
    rows = [row for row in reversed(await audit.query()) if row.action != GENESIS_ACTION]
    verbs = ("open", "respond", "note", "resolve", "close")
    assert [row.action for row in rows] == [f"incident.{verb}" for verb in verbs]
    assert all(row.object == f"incident:{opened.id}" for row in rows)


async def test_reopen_clears_the_fix_and_keeps_it_in_the_timeline(book: IncidentBook) -> None:
    opened = await open_phone_report(book)
    await book.resolve(OPERATOR, opened.id, "网线松动", "重新插紧")
    await book.close(OPERATOR, opened.id)
    with pytest.raises(IncidentError):
        await book.reopen(OPERATOR, opened.id, " ")
    reopened = await book.reopen(OPERATOR, opened.id, "故障再次出现")
    assert reopened.status == "responding" and reopened.cause is None
    assert reopened.closed_at is None and reopened.resolved_at is None
    assert reopened.timeline[-1].kind == "reopened"
    assert "网线松动" in reopened.timeline[-1].text
    assert reopened.time_to_respond == timedelta(0)  # resolving counted as the response
    with pytest.raises(IncidentError) as twice:
        await book.reopen(OPERATOR, opened.id, "again")
    assert twice.value.code == "incident_not_resolved"


async def test_escalation_takes_vendor_and_contact_from_the_asset(
    book: IncidentBook, clock: ManualClock
) -> None:
    opened = await open_phone_report(book)
    clock.advance(10 * MINUTE)
    escalated = await book.escalate(OPERATOR, opened.id, ticket="HW-2026-001")
    assert escalated.status == "escalated"
    assert (escalated.vendor, escalated.vendor_contact) == ("华为", "李工 / 400-822-9999")
    assert escalated.vendor_ticket == "HW-2026-001" and escalated.escalated_at == clock()
    assert escalated.responded_at == clock()  # escalating is the desk's response

    with pytest.raises(IncidentError) as future:
        await book.vendor_responded(OPERATOR, opened.id, at=clock() + MINUTE)
    assert future.value.code == "bad_vendor_time"
    clock.advance(30 * MINUTE)
    answered = await book.vendor_responded(OPERATOR, opened.id, note="工程师已到场")
    assert answered.vendor_time_to_respond == 30 * MINUTE
    assert answered.timeline[-1].kind == "vendor_responded"

    manual = await open_phone_report(book, device_id="sw-1")  # no asset data
    with pytest.raises(IncidentError) as nobody:
        await book.escalate(OPERATOR, manual.id)
    assert nobody.value.code == "vendor_required"
    with pytest.raises(IncidentError) as not_escalated:
        await book.vendor_responded(OPERATOR, manual.id)
    assert not_escalated.value.code == "incident_not_escalated"
    given = await book.escalate(OPERATOR, manual.id, vendor="新华三", contact="400-810-0504")
    assert (given.vendor, given.vendor_contact) == ("新华三", "400-810-0504")
    assert given.vendor_ticket is None


async def test_opened_from_an_alarm_the_clock_starts_at_the_alarm(
    book: IncidentBook, store: Store, audit: AuditTrail, clock: ManualClock
) -> None:
    alarms = AlarmBook(store, audit, clock=clock)
    # Saturday 02:00 in Shanghai: the 3 h non-working-day target.
    clock.set(datetime(2026, 3, 6, 18, 0, tzinfo=UTC))
    alarm = await alarms.raise_or_update("db-1", "mysql", "CRITICAL", "mysql down", clock(), 3)
    clock.advance(150 * MINUTE)
    incident = await book.open_from_alarm(OPERATOR, alarm, "critical", "application", "数据库宕机")
    assert (incident.alarm_id, incident.device_id, incident.check_id) == (alarm.id, "db-1", "mysql")
    assert incident.reported_at == alarm.raised_at and incident.opened_at == clock()
    assert incident.target == timedelta(hours=3) and incident.description == "mysql down"
    assert incident.response(clock()) == (ResponseStatus.AT_RISK, 30 * MINUTE)
    assert [(i.id, c.status) for i, c in await book.response_alerts()] == [
        (incident.id, ResponseStatus.AT_RISK)
    ]
    with pytest.raises(IncidentError) as twice:
        await book.open_from_alarm(OPERATOR, alarm, "critical", "application", "again")
    assert twice.value.code == "alarm_has_incident"
    assert twice.value.params["incident_id"] == incident.id

    clock.advance(40 * MINUTE)
    assert (await book.get(incident.id)).response(clock()).status == ResponseStatus.BREACHED
    late = await book.respond(OPERATOR, incident.id, "处理中")
    assert late.response(clock()) == (ResponseStatus.BREACHED, -10 * MINUTE)
    assert await book.response_alerts() == []  # answered: no longer waiting


async def test_bad_input_is_refused_with_codes(book: IncidentBook) -> None:
    for overrides, code in (
        ({"title": "  "}, "title_required"),
        ({"title": "x" * 201}, "text_too_long"),
        ({"severity": "huge"}, "bad_severity"),
        ({"category": "weather"}, "bad_category"),
        ({"device_id": "nope"}, "no_such_device"),
    ):
        with pytest.raises(IncidentError) as refused:
            await open_phone_report(book, OPERATOR, **overrides)
        assert refused.value.code == code, overrides
    with pytest.raises(IncidentError) as missing:
        await book.get(404)
    assert missing.value.code == "no_such_incident"
    assert await book.history() == []


async def test_roles_are_enforced_and_refusals_audited(
    book: IncidentBook, audit: AuditTrail
) -> None:
    with pytest.raises(PermissionDenied):
        await open_phone_report(book, AUDITOR)
    opened = await open_phone_report(book, title="另一个")
    with pytest.raises(PermissionDenied):
        await book.respond(AUDITOR, opened.id, "no")
    denied = await audit.query(user="zhao")
    assert [(row.action, row.outcome) for row in reversed(denied)] == [
        ("incident.open", "denied"),
        ("incident.respond", "denied"),
    ]
    assert (await book.get(opened.id)).status == "open"


async def test_open_list_problem_tracking_and_history(
    book: IncidentBook, clock: ManualClock
) -> None:
    old = await open_phone_report(book, title="旧问题", severity="minor")
    clock.advance(timedelta(days=3))
    fixed = await open_phone_report(book, title="已解决", severity="critical")
    await book.resolve(OPERATOR, fixed.id, "原因", "办法")
    newer = await open_phone_report(book, title="新问题", severity="critical")
    assert [i.id for i in await book.open_list()] == [newer.id, old.id]  # severity first
    with_resolved = await book.open_list(include_resolved=True)
    assert [i.id for i in with_resolved] == [fixed.id, newer.id, old.id]
    assert await book.problem_tracking() == []
    clock.advance(timedelta(days=4))  # the first one is now 7 days old
    assert [i.id for i in await book.problem_tracking()] == [old.id]
    later = await book.problem_tracking(clock() + timedelta(days=3))
    assert [i.id for i in later] == [old.id, newer.id]
    since = old.reported_at + MINUTE
    assert [i.id for i in await book.history(since=since)] == [newer.id, fixed.id]
    assert [i.id for i in await book.history(until=since)] == [old.id]
    assert [i.id for i in await book.history(device_id="sw-1")] == []
    assert (await book.open_for("db-1")).id == newer.id  # type: ignore[union-attr]
    assert await book.open_for("sw-1") is None


async def test_full_text_search_finds_chinese_and_short_words(book: IncidentBook) -> None:
    pool = await open_phone_report(book)
    await book.resolve(OPERATOR, pool.id, "数据库连接池耗尽", "调大 max_connections 并重启")
    ups = await open_phone_report(book, title="UPS 电池告警", description="机房A排UPS电池老化")
    await book.resolve(OPERATOR, ups.id, "电池老化", "更换电池组")

    assert [i.id for i in await book.search("数据库连接")] == [pool.id]
    assert [i.id for i in await book.search("max_connections")] == [pool.id]  # the solution
    assert [i.id for i in await book.search("更换电池")] == [ups.id]
    assert [i.id for i in await book.search("ups 老化")] == [ups.id]  # every word; any case
    assert await book.search("数据库 电池") == []
    # Fewer than three characters: the trigram index cannot answer; LIKE does.
    assert [i.id for i in await book.search("电池")] == [ups.id]
    assert [i.id for i in await book.search("池")] == [ups.id, pool.id]
    assert await book.search("%") == [] and await book.search("   ") == []


async def test_search_index_follows_changes(book: IncidentBook, store: Store) -> None:
    opened = await open_phone_report(book, description="无")
    await book.resolve(OPERATOR, opened.id, "光模块故障", "更换光模块")
    assert [i.id for i in await book.search("光模块")] == [opened.id]
    await book.reopen(OPERATOR, opened.id, "复发")
    assert await book.search("光模块") == []
    # External-content FTS5 tables can drift from their content; this one must not.
    # (PostgreSQL's pg_trgm index is a plain index of the table: it cannot drift.)
    if getattr(store, "dialect", "sqlite") == "sqlite":
        await store.write("INSERT INTO incidents_fts (incidents_fts) VALUES ('integrity-check')")


async def test_similar_offers_same_check_then_device_then_text(
    book: IncidentBook, store: Store, audit: AuditTrail, clock: ManualClock
) -> None:
    alarms = AlarmBook(store, audit, clock=clock)

    async def fixed(device: str, check: str, title: str, cause: str) -> int:
        alarm = await alarms.raise_or_update(device, check, "CRITICAL", title, clock(), 3)
        incident = await book.open_from_alarm(OPERATOR, alarm, "major", "hardware", title)
        await book.resolve(OPERATOR, incident.id, cause, "处理办法")
        await alarms.clear(device, check, clock())
        clock.advance(MINUTE)
        return incident.id

    same_check = await fixed("db-1", "disk", "磁盘空间不足", "日志未轮转")
    same_device = await fixed("db-1", "cpu", "CPU 负载过高", "慢查询")
    by_text = await fixed("sw-1", "temp", "机房温度过高", "空调故障")
    await fixed("sw-1", "ports", "端口down", "网线松动")  # shares no text: never offered
    await open_phone_report(book, title="磁盘空间不足 again")  # not fixed yet: not offered

    found = await book.similar("db-1", "disk", "磁盘空间不足 温度过高", limit=10)
    assert [(s.incident.id, s.reason) for s in found] == [
        (same_check, "same_check"),
        (same_device, "same_device"),
        (by_text, "text"),
    ]
    assert found[0].incident.cause == "日志未轮转" and found[0].incident.solution == "处理办法"
    assert [s.incident.id for s in await book.similar("db-1", "disk", "", limit=1)] == [same_check]
    assert [s.reason for s in await book.similar(None, None, "温度", limit=5)] == []
    by_words = await book.similar(None, None, "空调故障了", limit=5)
    assert [s.incident.id for s in by_words] == [by_text]


async def test_past_fixes_for_a_ups_alarm_rank_the_same_kind_and_check_above_text(
    store: Store, audit: AuditTrail, clock: ManualClock
) -> None:
    """A UPS alarm was offered a switch reboot first because their texts shared the most
    trigrams: a fix on another UPS's same check comes first, then text matches, those of
    the same kind of device before the others."""
    site = make_site()
    base = site.devices[0]
    ups = [
        base.model_copy(update={"id": f"ups-{n}", "name": f"UPS-{n}", "kind": "ups"})
        for n in (1, 2, 3)
    ]
    site = site.model_copy(update={"devices": [*site.devices, *ups]})
    book = IncidentBook(store, audit, site, clock=clock)
    alarms = AlarmBook(store, audit, clock=clock)

    async def fixed(device: str, check: str, title: str, solution: str) -> int:
        alarm = await alarms.raise_or_update(device, check, "CRITICAL", title, clock(), 3)
        incident = await book.open_from_alarm(OPERATOR, alarm, "major", "hardware", title)
        await book.resolve(OPERATOR, incident.id, "原因", solution)
        await alarms.clear(device, check, clock())
        clock.advance(MINUTE)
        return incident.id

    switch = await fixed("sw-1", "ping", "核心交换机输入电源异常，设备异常重启", "重启交换机")
    other_ups = await fixed("ups-2", "ups", "UPS-2 市电中断转电池", "联系供电局")
    ups_text = await fixed("ups-3", "battery", "UPS-3 输入电源异常，电池告警", "更换电池")

    found = await book.similar("ups-1", "ups", "UPS-1 输入电源异常，设备异常重启", limit=5)
    assert [(s.incident.id, s.reason) for s in found] == [
        (other_ups, "same_kind"),
        (ups_text, "text"),
        (switch, "text"),
    ]

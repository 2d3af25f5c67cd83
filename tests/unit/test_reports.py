"""Service statistics from a known, seeded month (data.records.reports): every figure is
checked against numbers worked out by hand in the comments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from data.accounts import User
from data.audit import AuditTrail
from data.checklists import Checklist
from data.clock import ManualClock, to_db
from data.exports.report_doc import report_document
from data.i18n import t
from data.models import Site
from data.records.incidents.book import IncidentBook
from data.records.reports.book import incident_stats, monthly
from data.records.reports.model import Report, ReportPeriodError, period_bounds
from data.roles import Role
from data.store import Store

TZ = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0
OPERATOR = User(2, "wang", "王伟", Role.OPERATOR)
REPORT_TIME = datetime(2026, 4, 5, 1, 0, tzinfo=UTC)


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The report's tests run over both backends: SQLite and PostgreSQL."""
    return any_store


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def make_site() -> Site:
    device = {"kind": "server", "host": "127.0.0.1"}
    return Site.model_validate(
        {
            "site": {
                "name": "测试机房",
                "shifts": [{"name": "白班", "start": "08:30", "end": "17:30"}],
                "response_hours": {"workday": 1, "non_workday": 3},
            },
            "zones": [{"id": "a", "name": "A区"}, {"id": "b", "name": "B区"}],
            "devices": [
                {
                    **device,
                    "id": "web-1",
                    "name": "门户服务器",
                    "zone": "a",
                    "checks": [{"id": "up", "type": "tcp"}, {"id": "http", "type": "http"}],
                },
                {
                    **device,
                    "id": "sw-1",
                    "name": "接入交换机",
                    "zone": "b",
                    "kind": "switch",
                    "checks": [{"id": "up", "type": "tcp"}],
                },
            ],
            # Naive times are site-local: 2 h on 10 March for web-1 only.
            "maintenance": [
                {
                    "devices": ["web-1"],
                    "start": "2026-03-10T02:00:00",
                    "end": "2026-03-10T04:00:00",
                    "reason": "升级",
                },
            ],
        }
    )


async def transition(
    store: Store, at: datetime, device: str, check: str, old: str, new: str
) -> None:
    await store.write(
        "INSERT INTO check_transitions (at, device_id, check_id, from_state, to_state, hard)"
        " VALUES (?, ?, ?, ?, ?, 1)",
        (to_db(at), device, check, old, new),
    )


async def alarm(
    store: Store,
    device: str,
    severity: str,
    raised: datetime,
    acked: datetime | None,
    cleared: datetime | None,
    check: str = "up",
) -> None:
    times = [to_db(moment) if moment else None for moment in (raised, acked, cleared)]
    await store.write(
        "INSERT INTO alarms (device_id, check_id, severity, raised_at, first_ack_at, cleared_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (device, check, severity, *times),
    )


async def inspection(
    store: Store, template: str, schedule: str, period: str, at: datetime, **extra: object
) -> None:
    values = {
        "template_id": template,
        "template_name": template,
        "schedule": schedule,
        "template_json": "{}",
        "inspector": "wang",
        "started_at": to_db(at),
        "submitted_at": to_db(at),
        "period": period,
        "seal_sha256": "0" * 64,
        "sealed_at": to_db(at),
        **extra,
    }
    names = ", ".join(values)
    await store.write(
        f"INSERT INTO inspections ({names}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )


async def access(store: Store, kind: str, at: datetime) -> None:
    visitor = kind == "visitor"
    await store.write(
        "INSERT INTO access_records (kind, name, id_type, id_cipher, id_index, id_masked,"
        " escort, entered_at, entered_by) VALUES (?, '某人', ?, ?, ?, ?, ?, ?, 'wang')",
        (kind, *(["resident", "c", f"i{at}", "m", "wang"] if visitor else [None] * 5), to_db(at)),
    )


async def seed(store: Store, audit: AuditTrail, clock: ManualClock) -> Site:
    """The month of March 2026 described in the comments below; the clock ends at
    ``REPORT_TIME``."""
    site = make_site()
    # web-1/up: OK from 27 Feb; down 2 h on 5 Mar; down 30 min inside the maintenance
    # window on 10 Mar (not counted); UNKNOWN 1 h on 20 Mar.
    for at, old, new in (
        (local(2, 27), "UNKNOWN", "OK"),
        (local(3, 5, 10), "OK", "CRITICAL"),
        (local(3, 5, 12), "CRITICAL", "OK"),
        (local(3, 10, 3), "OK", "CRITICAL"),
        (local(3, 10, 3, 30), "CRITICAL", "OK"),
        (local(3, 20), "OK", "UNKNOWN"),
        (local(3, 20, 1), "UNKNOWN", "OK"),
    ):
        await transition(store, at, "web-1", "up", old, new)
    # web-1/http: monitored since February (a rollup), never changed, latest OK.
    await store.write(
        "INSERT INTO check_rollups (device_id, check_id, bucket, n_ok) VALUES (?, ?, ?, 1)",
        ("web-1", "http", to_db(local(2, 27))),
    )
    # sw-1/up: monitoring began on 15 Mar; WARNING for 6 h on 20 Mar.
    await transition(store, local(3, 15), "sw-1", "up", "UNKNOWN", "OK")
    await transition(store, local(3, 20), "sw-1", "up", "OK", "WARNING")
    await transition(store, local(3, 20, 6), "sw-1", "up", "WARNING", "OK")

    await alarm(store, "web-1", "CRITICAL", local(3, 5, 10), local(3, 5, 10, 10), local(3, 5, 12))
    await alarm(store, "web-1", "CRITICAL", local(3, 10, 3), None, local(3, 10, 3, 30))
    await alarm(store, "sw-1", "WARNING", local(3, 20), local(3, 20, 0, 20), local(3, 20, 6))
    await alarm(store, "sw-1", "UNKNOWN", local(2, 27), None, None)  # February: left out
    await alarm(store, "web-1", "CRITICAL", local(3, 31, 23), None, None, check="http")

    book = IncidentBook(store, audit, site, clock=clock)
    clock.set(local(3, 2, 9))  # Monday: 1 h target; answered in 20 min, resolved in 2 h
    first = await book.open_manual(OPERATOR, "门户打不开", "major", "application", "web-1")
    clock.advance(timedelta(minutes=20))
    await book.respond(OPERATOR, first.id, "处理中")
    clock.set(local(3, 2, 11))
    await book.resolve(OPERATOR, first.id, "进程崩溃", "重启")
    clock.set(local(3, 7, 10))  # Saturday: 3 h target; answered after 4 h: breached
    second = await book.open_manual(OPERATOR, "交换机掉线", "critical", "network", "sw-1")
    clock.advance(timedelta(hours=4))
    await book.respond(OPERATOR, second.id, "到场")
    clock.set(local(3, 31, 22))  # no device, never answered: breached by the report time
    await book.open_manual(OPERATOR, "空调漏水", "minor", "hardware")

    for day in range(1, 21):  # the daily round done on 1..20 March
        await inspection(store, "daily-room", "daily", f"2026-03-{day:02d}", local(3, day, 9))
    await inspection(store, "daily-room", "daily", "2026-03-05", local(3, 6), amends_id=5)
    await inspection(
        store,
        "daily-room",
        "daily",
        "2026-03-21",
        local(3, 21, 9),
        seal_sha256=None,
        sealed_at=None,
        submitted_at=None,
    )
    await inspection(store, "monthly-sys", "monthly", "2026-03", local(3, 28))
    await inspection(store, "switch-weekly", "weekly", "2026-W11", local(3, 11))

    for kind, at in (("visitor", local(3, 3)), ("visitor", local(3, 4)), ("staff", local(3, 4))):
        await access(store, kind, at)
    await access(store, "visitor", local(4, 1, 1))  # April: left out

    for moment, obj, outcome in (
        (local(3, 5, 11), "web-1/restart-nginx", "failed"),
        (local(3, 5, 11, 5), "web-1/restart-nginx", "ok"),
        (local(3, 12), "web-1/restart-nginx", "ok"),
        (local(3, 20, 3), "sw-1/reboot", "ok"),
        (local(4, 2), "sw-1/reboot", "ok"),  # April: left out
    ):
        clock.set(moment)
        await audit.record("wang", "action.run", obj, outcome)
    clock.set(REPORT_TIME)
    return site


@pytest.fixture
async def seeded(store: Store, audit: AuditTrail, clock: ManualClock) -> AsyncIterator[Site]:
    yield await seed(store, audit, clock)
    assert (await audit.verify()).ok


def templates() -> list[Checklist]:
    section = {"title": "环境", "items": [{"id": "t", "text": "温度"}]}
    return [
        Checklist.model_validate({"id": i, "name": n, "schedule": s, "sections": [section]})
        for i, n, s in (
            ("daily-room", "机房日常巡检", "daily"),
            ("monthly-sys", "月度巡检", "monthly"),
        )
    ]


async def report(store: Store, site: Site, clock: ManualClock, **filters: str) -> Report:
    return await monthly(store, site, "2026-03", templates=templates(), clock=clock, **filters)


async def test_availability_keeps_maintenance_apart(
    store: Store, seeded: Site, clock: ManualClock
) -> None:
    result = await report(store, seeded, clock)
    assert (result.start, result.end) == (local(3, 1), local(4, 1))
    web, switch = result.devices
    assert web.maintenance == 2 * HOUR and switch.maintenance == 0
    up, http = web.checks
    # 31 days = 744 h, less 2 h of maintenance = 742 h: 739 OK, 2 CRITICAL, 1 UNKNOWN.
    assert up.seconds == {"OK": 739 * HOUR, "WARNING": 0, "UNKNOWN": HOUR, "CRITICAL": 2 * HOUR}
    assert up.unmonitored == 0 and up.ratio == pytest.approx(739 / 741)
    assert http.seconds["OK"] == 742 * HOUR and http.ratio == 1.0
    assert web.ratio == pytest.approx(739 / 741)  # the worst check
    (sw_up,) = switch.checks
    # Monitored from 15 March: 14 days (336 h) unmonitored; 6 h WARNING of 408 h.
    assert sw_up.unmonitored == 336 * HOUR
    assert sw_up.seconds["OK"] == 402 * HOUR and sw_up.seconds["WARNING"] == 6 * HOUR
    assert switch.ratio == pytest.approx(402 / 408)


async def test_alarms_mtta_mttr(store: Store, seeded: Site, clock: ManualClock) -> None:
    alarms = (await report(store, seeded, clock)).alarms
    assert alarms.total == 4
    assert alarms.by_severity == {"CRITICAL": 3, "UNKNOWN": 0, "WARNING": 1}
    assert (alarms.acknowledged, alarms.cleared) == (2, 3)
    assert alarms.mtta == (600 + 1200) / 2
    assert alarms.mttr == (7200 + 1800 + 21600) / 3
    only_b = (await report(store, seeded, clock, zone="b")).alarms
    assert (only_b.total, only_b.mtta, only_b.mttr) == (1, 1200, 21600)


async def test_incidents_and_response_compliance(
    store: Store, seeded: Site, clock: ManualClock
) -> None:
    stats = (await report(store, seeded, clock)).incidents
    assert stats.total == 3
    assert {k: v for k, v in stats.by_category.items() if v} == {
        "application": 1,
        "network": 1,
        "hardware": 1,
    }
    assert stats.by_severity == {"critical": 1, "major": 1, "minor": 1}
    assert (stats.met, stats.breached, stats.pending, stats.resolved) == (1, 2, 0, 1)
    assert stats.compliance == pytest.approx(1 / 3)
    assert stats.mean_respond == (20 * 60 + 4 * HOUR) / 2 and stats.mean_resolve == 2 * HOUR
    assert [i.title for i in stats.incidents] == ["门户打不开", "交换机掉线", "空调漏水"]
    device_only = (await report(store, seeded, clock, device_id="web-1")).incidents
    assert [i.title for i in device_only.incidents] == ["门户打不开"]
    # Judged in the middle of the last incident's response time, it is still pending.
    waiting = incident_stats(stats.incidents, local(3, 31, 22, 30))
    assert (waiting.met, waiting.breached, waiting.pending) == (1, 1, 1)


async def test_inspections_visitors_actions(store: Store, seeded: Site, clock: ManualClock) -> None:
    result = await report(store, seeded, clock)
    assert result.inspections is not None
    found = {s.template_id: (s.schedule, s.due, s.done, s.missed) for s in result.inspections}
    assert found == {
        "daily-room": ("daily", 31, 20, 11),  # the amendment and the draft do not count
        "monthly-sys": ("monthly", 1, 1, 0),
        "switch-weekly": ("weekly", 5, 1, 4),  # weeks beginning 2, 9, 16, 23, 30 March
    }
    assert result.visitors is not None
    assert (result.visitors.visitor_entries, result.visitors.staff_entries) == (2, 1)
    assert (result.actions.total, result.actions.ok, result.actions.failed) == (4, 3, 1)
    assert result.actions.by_action == {"sw-1/reboot": (1, 0), "web-1/restart-nginx": (2, 1)}
    assert (await report(store, seeded, clock, kind="switch")).actions.by_action == {
        "sw-1/reboot": (1, 0)
    }


async def test_a_month_in_progress_counts_only_what_has_begun(
    store: Store, seeded: Site, clock: ManualClock
) -> None:
    clock.set(local(3, 10, 12))  # noon on the 10th
    result = await report(store, seeded, clock)
    assert result.inspections is not None
    daily = next(s for s in result.inspections if s.template_id == "daily-room")
    assert (daily.due, daily.done) == (10, 10)
    up = result.devices[0].checks[0]
    # From 1 March 00:00 to now, 226 h outside maintenance (228 h less 2 h); the rest of
    # the month has not happened yet: it is not unmonitored time.
    assert sum(up.seconds.values()) == 226 * HOUR
    assert up.unmonitored == 0
    assert result.counted_until == local(3, 10, 12)
    meta = dict(report_document(result).meta)
    assert meta[t("export.report.counted_until")] == "2026-03-10 12:00"


def test_period_bounds() -> None:
    assert period_bounds("2026-12", TZ)[:2] == (local(12, 1), datetime(2027, 1, 1, tzinfo=TZ))
    start, end, label = period_bounds((date(2026, 3, 1), date(2026, 3, 15)), TZ)
    assert (start, end) == (local(3, 1), local(3, 16))  # both days included
    assert label == "2026-03-01 – 2026-03-15"
    assert start.astimezone(UTC) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    exact = (local(3, 1, 8), local(3, 1, 20))
    assert period_bounds(exact, TZ)[:2] == exact
    for bad in ("2026-13", "March", (date(2026, 3, 2), date(2026, 3, 1))):
        with pytest.raises(ReportPeriodError):
            period_bounds(bad, TZ)
    with pytest.raises(ReportPeriodError):
        period_bounds((datetime(2026, 3, 1), datetime(2026, 3, 2)), TZ)  # naive

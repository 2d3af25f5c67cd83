"""Helpers for the incidents and reports screen tests: a site whose core switch has the
vendor's asset data, an app on it without probing, an alarm raised as the recorder does,
incidents seeded at known times, and reading what a Static or the header shows."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from checks.feed import AlarmRaised
from checks.result import CheckState
from console.app import DutyDeskApp
from console.live import CheckEvent
from data.accounts import User
from data.audit import AuditTrail
from data.clock import to_db
from data.models import Asset, Site
from data.records.alarms.model import Alarm
from data.records.incidents.book import IncidentBook
from data.records.incidents.model import Incident
from data.roles import Role
from data.store import Store
from tests.support.console import ACCOUNTS, FIXED_NOW, log_in, make_app, minimal_site, wait_until
from widgets.duty_header import DutyHeader
from widgets.record_form import RecordForm

ASSET = Asset(vendor="华为", support="400-822-9999", contact="李工")
OPERATOR = User(2, "zhangsan", "张三", Role.OPERATOR)


def site_with_asset(language: str = "en") -> Site:
    """The minimal site, its core switch with the vendor's asset data."""
    site = minimal_site(language)
    devices = [
        d.model_copy(update={"asset": ASSET}) if d.id == "core-sw-1" else d for d in site.devices
    ]
    return site.model_copy(update={"devices": devices})


def quiet_app(db: Path, language: str = "en", **overrides: object) -> DutyDeskApp:
    site = site_with_asset(language)
    return make_app(db, language=language, start_checks=False, site=site, **overrides)


async def raise_alarm(app: DutyDeskApp, device: str, check: str, minutes_ago: int = 5) -> Alarm:
    assert app.live is not None
    at = app.config.clock() - dt.timedelta(minutes=minutes_ago)
    alarm = await app.desk.alarms.raise_or_update(
        device, check, "CRITICAL", "TCP 127.0.0.1:9 refused", at, 3
    )
    event = AlarmRaised(device, check, CheckState.CRITICAL, at, alarm.message, None)
    app.post_message(CheckEvent(event, alarm))
    return alarm


async def start(pilot: Pilot[int], user: str = "zhangsan") -> None:
    await log_in(pilot, user, ACCOUNTS[user][0])
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")


async def go_to(pilot: Pilot[int], key: str, section: str) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: pilot.app.screen.id == f"section-{section}")


def text(app: DutyDeskApp, selector: str) -> str:
    """What a Static shows, as plain text (rich tables too)."""
    console = Console(width=200, file=io.StringIO(), color_system=None)
    with console.capture() as captured:
        console.print(app.screen.query_one(selector, Static).content)
    return captured.get()


def form(app: DutyDeskApp) -> RecordForm:
    return app.screen.query_one(RecordForm)


async def stored(app: DutyDeskApp, incident_id: int) -> Incident:
    return await app.desk.incidents.get(incident_id)


def header(app: DutyDeskApp) -> str:
    return str(app.screen.query_one(DutyHeader).status)


async def seed_incidents(db: Path) -> None:
    """A fix from last month on core-sw-1/ping; a phone report unanswered for 10 days
    (problem tracking, response breached); one unanswered for 40 minutes (1 h target on
    a working day: at risk)."""
    user = OPERATOR  # the operator of tests.support.console.ACCOUNTS
    store = await Store.open(db)
    try:
        audit = AuditTrail(store, terminal="test")

        def book(ago: dt.timedelta) -> IncidentBook:
            return IncidentBook(store, audit, site_with_asset(), clock=lambda: FIXED_NOW - ago)

        old = book(dt.timedelta(days=30))
        fixed = await old.open_manual(
            user, "核心交换机端口频繁中断", "major", "network", device_id="core-sw-1"
        )
        await old.resolve(user, fixed.id, "光模块老化", "更换光模块")
        await book(dt.timedelta(days=10)).open_manual(
            user, "打印服务时断时续", "minor", "application", caller="王五", phone="12345"
        )
        await book(dt.timedelta(minutes=40)).open_manual(
            user, "UPS 告警蜂鸣", "major", "environment", device_id="ups-1"
        )
    finally:
        await store.close()


async def audited(pilot: Pilot[int], app: DutyDeskApp, action: str) -> list[str]:
    """The outcomes of ``action`` in the audit trail, once there is one (with a deadline)."""
    deadline = time.monotonic() + 10
    while not (rows := await app.desk.audit.query(action=action)):
        assert time.monotonic() < deadline, f"no {action} audited within 10 s"
        await pilot.pause(0.05)
    return [row.outcome for row in rows]


async def seed_month(db: Path) -> None:
    """November 2026 up to FIXED_NOW (27 Nov 10:00 local): every check OK from 1 Nov;
    core-sw-1/ping down 12 h on 20 Nov (alarm acknowledged after 10 min), app-1/web down
    1 h on 25 Nov (never acknowledged); one restart of app-1's web service that worked and
    one that failed; the incidents of ``seed_incidents``."""
    tz = site_with_asset().site.tz

    def local(day: int, hour: int = 0, minute: int = 0) -> str:
        return to_db(dt.datetime(2026, 11, day, hour, minute, tzinfo=tz))

    store = await Store.open(db)
    try:
        for at, device, check, old, new in (
            (local(1), "core-sw-1", "ping", "UNKNOWN", "OK"),
            (local(1), "ups-1", "ups", "UNKNOWN", "OK"),
            (local(1), "app-1", "web", "UNKNOWN", "OK"),
            (local(20, 8), "core-sw-1", "ping", "OK", "CRITICAL"),
            (local(20, 20), "core-sw-1", "ping", "CRITICAL", "OK"),
            (local(25, 10), "app-1", "web", "OK", "CRITICAL"),
            (local(25, 11), "app-1", "web", "CRITICAL", "OK"),
        ):
            await store.write(
                "INSERT INTO check_transitions (at, device_id, check_id, from_state, to_state,"
                " hard) VALUES (?, ?, ?, ?, ?, 1)",
                (at, device, check, old, new),
            )
        for device, check, raised, acked, cleared in (
            ("core-sw-1", "ping", local(20, 8), local(20, 8, 10), local(20, 20)),
            ("app-1", "web", local(25, 10), None, local(25, 11)),
        ):
            await store.write(
                "INSERT INTO alarms (device_id, check_id, severity, raised_at, first_ack_at,"
                " cleared_at) VALUES (?, ?, 'CRITICAL', ?, ?, ?)",
                (device, check, raised, acked, cleared),
            )
        audit = AuditTrail(store, terminal="test", clock=lambda: FIXED_NOW - dt.timedelta(days=2))
        for outcome in ("ok", "failed"):
            await audit.record("zhangsan", "action.run", "app-1/restart-web", outcome)
    finally:
        await store.close()
    await seed_incidents(db)

"""Pilot tests of the device detail screen and the quick-restart dialog (no sshd needed:
the device's sshd port is closed, so a confirmed run ends "not run", and is recorded)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.css.query import NoMatches
from textual.widgets import Input, Static

from console.app import DutyDeskApp
from console.screens.device.action import ActionDialog
from console.screens.device.screen import DeviceScreen
from data.accounts import User
from data.audit import AuditEntry, AuditTrail
from data.models import Site
from data.records.actions.book import ActionLog
from data.records.checks.batch import CheckBatch
from data.records.checks.book import CheckRecords
from data.records.checks.model import TransitionRow
from data.store import Store
from tests.interop.test_actions import closed_port
from tests.support.console import ACCOUNTS, FIXED_NOW, log_in, make_app, seed_accounts, wait_until

pytestmark = pytest.mark.usefixtures("fast_scrypt")
NGINX_CMD = "sudo systemctl restart nginx"
SSH_PASSWORD = "Ssh-secret-1"  # must never show on screen or in the audit trail


def device_site(language: str = "en", *, port: int = 2222, **action: Any) -> Site:
    """web-1 with asset data, a temperature reading and an nginx check, and one action;
    ups-1 with nothing to run."""
    return Site.model_validate(
        {
            "site": {
                "name": "测试中心机房",
                "language": language,
                "timezone": "Asia/Shanghai",
                "shifts": [
                    {"name": "白班", "start": "08:30", "end": "17:30"},
                    {"name": "夜班", "start": "17:30", "end": "08:30"},
                ],
            },
            "zones": [{"id": "govnet", "name": "政府专网"}],
            "credentials": {
                "ops": {
                    "ssh": {
                        "username": "ops",
                        "password": SSH_PASSWORD,
                        "known_hosts": "/nonexistent/known_hosts",
                    }
                },
                "room": {"snmp": {"version": "2c", "community": "not-a-real-one"}},
            },
            "devices": [
                {
                    "id": "web-1",
                    "name": "政务网站服务器",
                    "kind": "server",
                    "zone": "govnet",
                    "host": "127.0.0.1",
                    "depends_on": ["ups-1"],
                    "location": {"room": "A", "rack": "A03", "u": 20},
                    "asset": {
                        "vendor": "Huawei",
                        "model": "TaiShan 200",
                        "serial": "2102-31-ABC",
                        "warranty_until": "2027-01-15",
                        "support": "400-822-9999",
                        "contact": "李工",
                    },
                    "checks": [
                        {
                            "id": "temp",
                            "type": "snmp",
                            "credential": "room",
                            "oid": "1.3.6.1.4.1.9.1.0",
                            "unit": "°C",
                            "ok": "18..27",
                        },
                        {
                            "id": "nginx",
                            "type": "ssh",
                            "credential": "ops",
                            "port": port,
                            "command": "systemctl is-active nginx",
                            "max_attempts": 1,
                        },
                    ],
                    "actions": [
                        {
                            "id": "restart-nginx",
                            "label": "重启 nginx",
                            "credential": "ops",
                            "command": NGINX_CMD,
                            "roles": ["operator"],
                            "recheck": "nginx",
                            "timeout": 10,
                            **action,
                        }
                    ],
                },
                {
                    "id": "ups-1",
                    "name": "UPS 1",
                    "kind": "ups",
                    "zone": "govnet",
                    "host": "127.0.0.2",
                    "asset": {"warranty_until": "2026-06-30"},
                },
            ],
        }
    )


async def seed(db: Path, site: Site, *, recent_run: bool = False) -> None:
    """Accounts, a day of temperature history, latest results, transitions, a past run."""
    await seed_accounts(db)

    def ago(**delta: float) -> dt.datetime:
        return FIXED_NOW - dt.timedelta(**delta)

    store = await Store.open(db)
    try:
        batch = CheckBatch()
        for hour in range(24):
            batch.add_sample("web-1", "temp", ago(hours=23 - hour, minutes=5), "OK", 20 + hour % 8)
        batch.add_result(
            "web-1",
            "temp",
            state="OK",
            hard=True,
            attempt=0,
            value=23.5,
            unit="°C",
            message="23.5 °C",
            at=ago(seconds=20),
        )
        batch.add_result(
            "web-1",
            "nginx",
            state="CRITICAL",
            hard=True,
            attempt=1,
            value=None,
            unit=None,
            message="inactive",
            at=ago(seconds=40),
        )
        changes = [
            ("nginx", ago(minutes=10), "OK", "CRITICAL", "inactive"),
            ("temp", ago(hours=3), "WARNING", "OK", "23 °C"),
        ]
        for check, at, was, now, message in changes:
            batch.add_transition(TransitionRow("web-1", check, at, was, now, True, message))
        await CheckRecords(store).persist(batch)
        device = site.device("web-1")
        started = ago(seconds=30 if recent_run else 7200)
        log = ActionLog(store, AuditTrail(store, terminal="test"), clock=lambda: started)
        user = await _user(store, "zhangsan")
        await log.record(
            user,
            device,
            device.actions[0],
            0,
            "ok",
            "ok\n",
            started,
            started + dt.timedelta(seconds=3),
            "OK",
            ssh_user="ops",
        )
    finally:
        await store.close()


async def _user(store: Store, name: str) -> User:
    sql = "SELECT id, name, full_name, role FROM users WHERE name = ?"
    row = await store.fetchone(sql, (name,))
    assert row is not None
    return User(row["id"], row["name"], row["full_name"], row["role"])


async def audit_rows(db: Path) -> list[AuditEntry]:
    store = await Store.open(db)
    try:
        return list(reversed(await AuditTrail(store).query(limit=1000)))
    finally:
        await store.close()


def text(app: DutyDeskApp, selector: str) -> str:
    """The text a Static on the current screen shows ("" while it is not there yet)."""
    try:
        return str(app.screen.query_one(selector, Static).render())
    except NoMatches:
        return ""


def showing(app: DutyDeskApp, device_id: str) -> bool:
    return app.screen.id == "device" and f"({device_id})" in text(app, "#device-title")


async def open_device(pilot: Any, app: DutyDeskApp, device_id: str = "web-1") -> None:
    await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
    await wait_until(pilot, lambda: app.screen.id == "section-wall")
    app.push_screen(DeviceScreen(app, device_id))
    await wait_until(pilot, lambda: showing(app, device_id))


async def open_dialog(pilot: Any, app: DutyDeskApp) -> ActionDialog:
    await open_device(pilot, app)
    await pilot.press("x")
    await wait_until(pilot, lambda: app.screen.id == "action-list")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ActionDialog))
    assert isinstance(app.screen, ActionDialog)
    return app.screen


async def confirm(pilot: Any, app: DutyDeskApp, typed: str) -> None:
    box = app.screen.query_one("#action-confirm", Input)
    await wait_until(pilot, lambda: app.screen.focused is box)
    await pilot.press(*typed, "enter")


def app_for(db: Path, site: Site) -> DutyDeskApp:
    return make_app(db, language=site.site.language or "en", site=site, run_checks=False)


async def test_the_detail_screen_shows_the_device(tmp_path: Path) -> None:
    site, db = device_site(), tmp_path / "d.db"
    await seed(db, site)
    app = app_for(db, site)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_device(pilot, app)
        facts = text(app, "#device-facts")
        assert "Huawei" in facts and "2102-31-ABC" in facts and "400-822-9999" in facts
        assert "2027-01-15  ▲ ends in 49 days" in facts
        assert "room A / rack A03 / U 20" in facts and "ups-1" in facts
        checks = text(app, "#device-checks").splitlines()
        temp = next(line for line in checks if line.startswith("temp"))
        assert "✔ OK" in temp and "23.5°C" in temp and "▁" in temp and "█" in temp
        nginx = next(line for line in checks if line.startswith("nginx"))
        assert "✖ CRIT" in nginx and "1/1" in nginx and "inactive" in nginx
        assert "✔ OK → ✖ CRIT (hard) inactive" in text(app, "#device-transitions")
        actions = text(app, "#device-actions")
        assert NGINX_CMD in actions and "zhangsan" in actions and "exit 0" in actions
        assert "—" in text(app, "#device-incidents")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "section-wall")


async def test_an_expired_warranty_is_marked_and_no_actions_are_offered(tmp_path: Path) -> None:
    site, db = device_site(), tmp_path / "d.db"
    await seed(db, site)
    app = app_for(db, site)
    notes: list[str] = []
    async with app.run_test(size=(130, 50)) as pilot:
        app.notify = lambda message, **_: notes.append(str(message))  # type: ignore[method-assign]
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        app.push_screen(DeviceScreen(app, "ups-1"))
        await wait_until(pilot, lambda: showing(app, "ups-1"))
        assert "2026-06-30  ✖ expired" in text(app, "#device-facts")
        await pilot.press("x")
        await wait_until(pilot, lambda: notes == ["UPS 1 has no actions configured in site.yaml."])
        assert app.screen.id == "device"


async def test_the_dialog_shows_the_exact_command_and_refuses_a_wrong_confirmation(
    tmp_path: Path,
) -> None:
    port = closed_port()
    site, db = device_site(port=port), tmp_path / "d.db"
    await seed(db, site)
    app = app_for(db, site)
    async with app.run_test(size=(130, 50)) as pilot:
        dialog = await open_dialog(pilot, app)
        facts = text(app, "#action-facts")
        assert f"127.0.0.1:{port}" in facts and "SSH user: ops" in facts and NGINX_CMD in facts
        await confirm(pilot, app, "web-2")
        await wait_until(pilot, lambda: "nothing was run" in text(app, "#action-error"))
        assert text(app, "#action-error") == "What you typed is not web-1: nothing was run."
        assert dialog.state == "confirm" and dialog.query_one("#action-confirm", Input).value == ""
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "device")
    assert [e for e in await audit_rows(db) if e.action == "action.run"][1:] == []  # seed only


async def test_a_role_the_action_does_not_name_is_refused_and_audited(tmp_path: Path) -> None:
    site, db = device_site(roles=["supervisor"]), tmp_path / "d.db"
    await seed(db, site)
    app = app_for(db, site)
    async with app.run_test(size=(130, 50)) as pilot:
        dialog = await open_dialog(pilot, app)
        await confirm(pilot, app, "web-1")
        await wait_until(pilot, lambda: "refusal is recorded" in text(app, "#action-error"))
        assert text(app, "#action-error") == (
            "The operator role may not run “重启 nginx” (allowed: supervisor);"
            " the refusal is recorded."
        )
        assert dialog.state == "confirm"
    runs = [(e.user, e.outcome) for e in await audit_rows(db) if e.action == "action.run"]
    assert runs[1:] == [("zhangsan", "denied")]


async def test_a_dangerous_action_needs_the_password_then_runs_and_is_recorded(
    tmp_path: Path,
) -> None:
    port = closed_port()
    site, db = device_site(port=port, dangerous=True), tmp_path / "d.db"
    await seed(db, site)
    app = app_for(db, site)
    async with app.run_test(size=(130, 50)) as pilot:
        dialog = await open_dialog(pilot, app)
        assert dialog.query_one("#action-confirm", Input).password
        await confirm(pilot, app, "web-1")  # the device id is not the password
        await wait_until(
            pilot, lambda: text(app, "#action-error") == "Wrong password: nothing was run."
        )
        await confirm(pilot, app, ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: dialog.finished is not None, timeout=20)
        status = text(app, "#action-status")
        assert f"Not run: ssh port {port} refused." in status
        assert f"Recheck nginx: CRIT ssh port {port} refused" in status
        assert SSH_PASSWORD not in status + text(app, "#action-facts")
    rows = await audit_rows(db)
    confirms = [(e.user, e.outcome) for e in rows if e.action == "action.confirm"]
    assert confirms == [("zhangsan", "failed"), ("zhangsan", "ok")]
    run = [e for e in rows if e.action == "action.run"][-1]
    assert (run.user, run.object, run.outcome) == ("zhangsan", "web-1/restart-nginx", "failed")
    assert run.detail["outcome"] == "refused" and run.detail["command"] == NGINX_CMD
    assert run.detail["recheck"] == {"check": "nginx", "state": "CRITICAL"}
    assert all(SSH_PASSWORD not in str(e.detail) for e in rows)


async def test_a_repeat_within_a_minute_warns_and_asks_again(tmp_path: Path) -> None:
    site, db = device_site(port=closed_port()), tmp_path / "d.db"
    await seed(db, site, recent_run=True)  # zhangsan ran it 30 s ago
    app = app_for(db, site)
    async with app.run_test(size=(130, 50)) as pilot:
        dialog = await open_dialog(pilot, app)
        await confirm(pilot, app, "web-1")
        await wait_until(pilot, lambda: "30 s ago" in text(app, "#action-note"))
        assert text(app, "#action-note").startswith("⚠ zhangsan ran this action on this device")
        assert dialog.state == "confirm"
        await confirm(pilot, app, "web-1")
        await wait_until(pilot, lambda: dialog.finished is not None, timeout=20)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "device")
        await wait_until(pilot, lambda: "not run" in text(app, "#device-actions"))
    assert len([e for e in await audit_rows(db) if e.action == "action.run"]) == 2


async def test_a_multi_line_message_keeps_the_table_and_an_uptime_reads_as_a_duration(
    tmp_path: Path,
) -> None:
    """One table line a check: the first line of a message there, all of it in the check
    messages below. An uptime of 0.0047 d shows as 6m 46s, not as a fraction of a day."""
    site, db = device_site(), tmp_path / "d.db"
    await seed(db, site)
    store = await Store.open(db)
    try:
        batch = CheckBatch()
        several_lines = "inactive\nMain PID: 812 (code=exited)\nstatus=1"
        batch.add_result(
            "web-1",
            "nginx",
            state="CRITICAL",
            hard=True,
            attempt=1,
            value=None,
            unit=None,
            message=several_lines,
            at=FIXED_NOW,
        )
        batch.add_result(
            "web-1",
            "temp",
            state="OK",
            hard=True,
            attempt=0,
            value=0.0047,
            unit="d",
            message="up 0 h 6 min",
            at=FIXED_NOW,
        )
        await CheckRecords(store).persist(batch)
    finally:
        await store.close()
    app = app_for(db, site)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_device(pilot, app)
        checks = text(app, "#device-checks").splitlines()
        nginx = next(line for line in checks if line.startswith("nginx"))
        assert nginx.rstrip().endswith("inactive …")
        assert not any(line.startswith(("Main PID", "status=1")) for line in checks)
        temp = next(line for line in checks if line.startswith("temp"))
        assert "6m 46s" in temp and "0.0047" not in temp
        messages = text(app, "#device-messages")
        assert "inactive" in messages and "Main PID: 812 (code=exited)" in messages
        assert "status=1" in messages

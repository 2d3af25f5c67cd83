"""Pilot tests of the forced password change at login: a password older than
site.password_max_age_days, or one an admin set."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from console.screens.session.login import LoginScreen
from console.screens.session.password_change import PasswordChangeScreen
from data.accounts import Accounts
from data.audit import AuditTrail
from data.clock import to_db
from data.store import Store
from tests.support.console import (
    ACCOUNTS,
    FIXED_NOW,
    log_in,
    make_app,
    seed_accounts,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("fast_scrypt")
OLD_PASSWORD = ACCOUNTS["zhangsan"][0]
NEW_PASSWORD = "Fresh#2026q"
ADMIN_SET_PASSWORD = "Reset#2026k"


@pytest.fixture
async def expired_db(tmp_path: Path) -> Path:
    """zhangsan's password was set 91 days ago (the site default allows 90)."""
    path = tmp_path / "console.db"
    await seed_accounts(path)
    store = await Store.open(path)
    try:
        await store.write(
            "UPDATE users SET password_changed_at = ? WHERE name = 'zhangsan'",
            (to_db(FIXED_NOW - timedelta(days=91)),),  # the console's clock
        )
    finally:
        await store.close()
    return path


@pytest.fixture
async def admin_reset_db(tmp_path: Path) -> Path:
    """The admin reset zhangsan's password to ADMIN_SET_PASSWORD (it was forgotten)."""
    path = tmp_path / "console.db"
    await seed_accounts(path)
    store = await Store.open(path)
    try:
        accounts = Accounts(store, AuditTrail(store, terminal="test"))
        admin = await accounts.authenticate("admin", ACCOUNTS["admin"][0])
        await accounts.change_password(admin, "zhangsan", ADMIN_SET_PASSWORD)
    finally:
        await store.close()
    return path


async def _audit_rows(db: Path) -> list[tuple[str | None, str, str]]:
    store = await Store.open(db)
    try:
        rows = await AuditTrail(store).query(limit=1000)
    finally:
        await store.close()
    return [(r.user, r.action, r.outcome) for r in reversed(rows)]


def _error(screen: object) -> str:
    widget = screen.query_one("#password-change-error", Static)  # type: ignore[attr-defined]
    return str(widget.render())


async def test_an_expired_password_must_be_changed_before_the_session_starts(
    expired_db: Path,
) -> None:
    app = make_app(expired_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", OLD_PASSWORD)
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordChangeScreen))
        dialog = app.screen
        assert app.user is None  # no session yet

        await pilot.press(*NEW_PASSWORD, "enter", *"Fresh#2026z", "enter")  # typed differently
        await wait_until(pilot, lambda: "differ" in _error(dialog))
        assert dialog.query_one("#password-change-new", Input).value == ""

        await pilot.press(*"xZhangsan#26", "enter", *"xZhangsan#26", "enter")  # the policy
        await wait_until(pilot, lambda: "not to contain the user name" in _error(dialog))
        await pilot.press(*OLD_PASSWORD, "enter", *OLD_PASSWORD, "enter")  # the same again
        await wait_until(pilot, lambda: "must differ from the current one" in _error(dialog))
        assert app.user is None

        await pilot.press(*NEW_PASSWORD, "enter", *NEW_PASSWORD, "enter")
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        assert app.user is not None and app.user.name == "zhangsan"

    rows = await _audit_rows(expired_db)
    login_at = rows.index(("zhangsan", "login", "ok"))
    assert rows[login_at + 1] == ("zhangsan", "account.password_expired", "required")
    changes = [row for row in rows if row[1] == "account.password"]
    assert changes == [("zhangsan", "account.password", "failed")] * 2 + [
        ("zhangsan", "account.password", "ok")
    ]

    app = make_app(expired_db, language="en")  # the next login goes straight in
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", NEW_PASSWORD)
        await wait_until(pilot, lambda: app.screen.id == "section-wall")


async def test_giving_up_the_change_stays_at_the_login(expired_db: Path) -> None:
    app = make_app(expired_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", OLD_PASSWORD)
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordChangeScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        message = app.screen.query_one("#login-message", Static)
        await wait_until(pilot, lambda: "change it to continue" in str(message.render()))
        assert app.screen.query_one("#login-password", Input).value == ""
        assert app.user is None


async def test_a_fresh_password_goes_straight_in(tmp_path: Path) -> None:
    path = tmp_path / "console.db"
    await seed_accounts(path)
    app = make_app(path, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", OLD_PASSWORD)
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
    assert "account.password_expired" not in {row[1] for row in await _audit_rows(path)}


async def test_a_password_an_admin_reset_must_be_changed_before_the_session_starts(
    admin_reset_db: Path,
) -> None:
    app = make_app(admin_reset_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ADMIN_SET_PASSWORD)
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordChangeScreen))
        dialog = app.screen
        reason = str(dialog.query_one("#password-change-reason", Static).render())
        assert "An administrator set this password" in reason and "days" not in reason
        assert app.user is None  # no session yet

        await pilot.press(*ADMIN_SET_PASSWORD, "enter", *ADMIN_SET_PASSWORD, "enter")
        await wait_until(pilot, lambda: "must differ from the current one" in _error(dialog))
        assert app.user is None
        await pilot.press(*NEW_PASSWORD, "enter", *NEW_PASSWORD, "enter")
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        assert app.user is not None and app.user.name == "zhangsan"

    rows = await _audit_rows(admin_reset_db)
    login_at = rows.index(("zhangsan", "login", "ok"))
    assert rows[login_at + 1] == ("zhangsan", "account.password_change_required", "required")
    assert "account.password_expired" not in {row[1] for row in rows}
    assert [row for row in rows if row[1] == "account.password"] == [
        ("admin", "account.password", "ok"),  # the reset
        ("zhangsan", "account.password", "failed"),
        ("zhangsan", "account.password", "ok"),
    ]

    app = make_app(admin_reset_db, language="en")  # the next login goes straight in
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", NEW_PASSWORD)
        await wait_until(pilot, lambda: app.screen.id == "section-wall")

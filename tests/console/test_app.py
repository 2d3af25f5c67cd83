"""Pilot tests of the console shell: login, failures and lockout, navigation, idle lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from console.screens.session.login import LoginScreen
from tests.support.console import ACCOUNTS, audit_actions, log_in, make_app, wait_until

pytestmark = pytest.mark.usefixtures("fast_scrypt")


def message(app: object) -> str:
    return str(app.screen.query_one("#login-message", Static).render())  # type: ignore[attr-defined]


async def test_login_opens_the_wall_with_operator_and_shift(seeded_db: Path) -> None:
    app = make_app(seeded_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        assert app.user is not None and app.user.name == "zhangsan"
        header = app.screen.query_one("DutyHeader")
        assert header.operator == "张三"  # type: ignore[attr-defined]
        assert header.shift == "白班"  # type: ignore[attr-defined]
    assert ("zhangsan", "login", "ok") in await audit_actions(seeded_db)


async def test_wrong_password_is_explained_and_keeps_the_user_name(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", "not-the-password")
        await wait_until(pilot, lambda: "Wrong user name or password" in message(app))
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#login-user", Input).value == "zhangsan"
        assert app.screen.query_one("#login-password", Input).value == ""
    assert ("zhangsan", "login", "failed") in await audit_actions(seeded_db)


async def test_five_failures_lock_the_account_even_for_the_right_password(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", "wrong-1")
        for attempt in range(2, 6):
            await wait_until(
                pilot,
                lambda: (
                    app.screen.focused is not None and app.screen.focused.id == "login-password"
                ),
            )
            await pilot.press(*f"wrong-{attempt}", "enter")
        await wait_until(pilot, lambda: "locked until" in message(app))
        lockout = await audit_actions(seeded_db)
        assert lockout[-1] == ("zhangsan", "account.lockout", "locked")

        # The right password, typed in full, then submitted. The message already says
        # "locked": it is blanked first, so the one waited for is this attempt's refusal,
        # which also empties the field the password was typed into.
        right = ACCOUNTS["zhangsan"][0]
        password = app.screen.query_one("#login-password", Input)
        await pilot.press(*right)
        await wait_until(pilot, lambda: password.value == right)
        app.screen.query_one("#login-message", Static).update("")
        await pilot.press("enter")
        await wait_until(pilot, lambda: password.value == "" and "locked until" in message(app))
        assert app.user is None and isinstance(app.screen, LoginScreen)
    refused = (await audit_actions(seeded_db))[len(lockout) :]
    assert refused == [("zhangsan", "login", "failed")]  # audited as refused, not a login


async def test_number_keys_switch_sections(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        for key, section in [("3", "handover"), ("2", "alarms"), ("1", "wall")]:
            await pilot.press(key)
            await wait_until(pilot, lambda s=section: app.screen.id == f"section-{s}")


def test_every_section_has_its_screen() -> None:
    """The sections the nav bar offers and the screens the App builds are one list."""
    from console.app import SECTION_SCREENS
    from console.sections import SECTIONS

    assert list(SECTION_SCREENS) == [section_id for section_id, _, _ in SECTIONS]
    assert all(sid == screen.SECTION for sid, screen in SECTION_SCREENS.items())


async def test_idle_console_locks_and_unlocks_with_the_password(seeded_db: Path) -> None:
    now = [1000.0]
    app = make_app(seeded_db, language="en", monotonic=lambda: now[0])
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        now[0] += 9 * 60  # 9 minutes: not yet
        await app.lock_if_idle()
        assert app.screen.id == "section-wall"
        now[0] += 61  # past the site's 10 minutes
        await app.lock_if_idle()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert app.screen.locked_for == "zhangsan"  # type: ignore[attr-defined]
        await pilot.press("1")  # section keys do nothing while locked: "1" is just typed
        assert isinstance(app.screen, LoginScreen)
        app.screen.query_one("#login-password", Input).value = ""
        await pilot.press(*ACCOUNTS["zhangsan"][0], "enter")
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
    actions = await audit_actions(seeded_db)
    assert ("zhangsan", "session.lock", "ok") in actions
    assert ("zhangsan", "screen.unlock", "ok") in actions


async def test_a_damaged_database_stops_the_console_with_the_reason(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)
    app = make_app(db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.startup_error is not None)
    assert app.startup_error is not None and "damaged" in app.startup_error


async def test_quitting_a_locked_console_needs_the_locked_users_or_a_supervisors_password(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await app.action_lock()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app.screen.id == "quit-dialog")
        assert app.return_code is None  # still running
        await pilot.press("escape")  # back to the lock screen
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))

        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app.screen.id == "quit-dialog")
        await pilot.press("ctrl+q")  # again, from the dialog: still asks
        await pilot.press(*"wrong-password", "enter")
        error = app.screen.query_one("#quit-error", Static)
        await wait_until(pilot, lambda: "Wrong user name" in str(error.render()))
        name = app.screen.query_one("#quit-user", Input)
        name.value = "admin"  # another account, not a supervisor: refused
        await pilot.press(*ACCOUNTS["admin"][0], "enter")
        await wait_until(pilot, lambda: "supervisor" in str(error.render()))
        assert app.return_code is None

        name.value = "wangwu"  # a supervisor may
        await pilot.press(*ACCOUNTS["wangwu"][0], "enter")
        await wait_until(pilot, lambda: app.return_code is not None)
    actions = await audit_actions(seeded_db)
    assert ("admin", "session.quit", "denied") in actions
    assert actions[-1] == ("wangwu", "session.quit", "ok")


async def test_quitting_an_unlocked_console_is_audited(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert (await audit_actions(seeded_db))[-1] == ("zhangsan", "session.quit", "ok")


async def test_the_idle_lock_does_not_lock_again_over_the_quit_dialog(seeded_db: Path) -> None:
    now = [1000.0]
    app = make_app(seeded_db, language="en", run_checks=False, monotonic=lambda: now[0])
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await app.action_lock()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app.screen.id == "quit-dialog")
        now[0] += 3600
        await app.lock_if_idle()
        assert app.screen.id == "quit-dialog"
        assert sum(isinstance(s, LoginScreen) for s in app.screen_stack) == 1

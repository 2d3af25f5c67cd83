"""Keys typed in one burst (a paste, a laggy SSH link, ``tmux send-keys``) land in the field
they were typed for: Tab and Enter move on before the next key is applied, on the login
screen, the lock screen and the incoming operator's sign-in dialog.

The keys go in as a terminal sends them: the raw text through Textual's own input parser,
every event queued before the app handles the first (``pilot.press`` waits for the app to
go idle after each key, which hides the bug).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual._xterm_parser import XTermParser
from textual.widgets import Input, Static

from console.app import DutyDeskApp
from console.screens.handover.screen import HandoverScreen
from console.screens.session.login import LoginScreen
from data.accounts import Accounts
from data.audit import AuditTrail
from data.store import Store
from tests.support.console import ACCOUNTS, log_in, make_app, wait_until

pytestmark = pytest.mark.usefixtures("fast_scrypt")
ZHANG, WANG = ACCOUNTS["zhangsan"][0], ACCOUNTS["wangwu"][0]


def burst(app: DutyDeskApp, typed: str) -> None:
    """Queue ``typed`` (``\\t`` is Tab, ``\\r`` Enter) as a terminal's input, all at once."""
    for event in XTermParser().feed(typed):
        app.post_message(event)


def fields(app: DutyDeskApp, *selectors: str) -> list[str]:
    return [app.screen.query_one(selector, Input).value for selector in selectors]


async def test_a_burst_login_signs_in_with_the_name_and_the_password(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "login")
        burst(app, f"zhangsan\t{ZHANG}\r")
        try:
            await wait_until(pilot, lambda: app.screen.id == "section-wall", timeout=5)
        except AssertionError:
            typed = fields(app, "#login-user", "#login-password")
            raise AssertionError(f"not signed in; the fields hold {typed}") from None
        assert app.user is not None and app.user.name == "zhangsan"


async def test_enter_after_the_name_also_moves_on_in_a_burst(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "login")
        burst(app, "zhangsan\rwrong-password\r")
        message = app.screen.query_one("#login-message", Static)
        await wait_until(pilot, lambda: "Wrong user name" in str(message.render()))
        assert fields(app, "#login-user", "#login-password") == ["zhangsan", ""]


async def test_another_operator_unlocks_the_lock_screen_in_a_burst(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "zhangsan", ZHANG)
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await app.action_lock()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        name = app.screen.query_one("#login-user", Input)
        name.value = ""
        await pilot.click("#login-user")
        await wait_until(pilot, lambda: app.screen.focused is name)
        burst(app, f"wangwu\t{WANG}\r")
        try:
            await wait_until(pilot, lambda: app.screen.id == "section-wall", timeout=5)
        except AssertionError:
            typed = fields(app, "#login-user", "#login-password")
            raise AssertionError(f"still locked; the fields hold {typed}") from None
        assert app.user is not None and app.user.name == "wangwu"


async def test_the_incoming_operator_signs_in_a_burst(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await log_in(pilot, "zhangsan", ZHANG)
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await pilot.press("3")
        await wait_until(pilot, lambda: app.screen.id == "section-handover")
        screen = app.screen
        assert isinstance(screen, HandoverScreen)
        await pilot.press("o")
        await wait_until(pilot, lambda: screen.duty_watch is not None)
        watch = screen.duty_watch
        assert watch is not None
        await pilot.press("t")
        await wait_until(pilot, lambda: app.screen.id == "handover-sign-out")
        burst(app, f"{ZHANG}\r")
        await wait_until(pilot, lambda: bool(app.screen.query("#field-name")))  # drawn
        assert app.screen.id == "handover-sign-in"
        name = app.screen.query_one("#field-name", Input)
        await wait_until(pilot, lambda: app.screen.focused is name)  # as the operator sees it
        burst(app, f"wangwu\t{WANG}\r")
        try:
            await wait_until(pilot, lambda: app.screen is screen, timeout=5)
        except AssertionError:
            typed = fields(app, "#field-name", "#field-password")
            raise AssertionError(f"not signed; the fields hold {typed}") from None
        sealed = await app.desk.handovers.get(watch.id)
        assert sealed.sealed and sealed.incoming == "wangwu"
        assert sealed.seal is not None
        sha, notes = sealed.seal.sha256, app._notifications
        await wait_until(pilot, lambda: any(sha in n.message for n in notes))  # the last step
        assert app.user is not None and app.user.name == "wangwu"


async def test_a_new_password_typed_twice_in_a_burst_lands_in_both_fields(
    seeded_db: Path,
) -> None:
    """The forced change after an admin reset (or an expired password): the new password,
    Enter, the same again, Enter, all at once."""
    store = await Store.open(seeded_db)
    try:
        accounts = Accounts(store, AuditTrail(store, terminal="test"))
        admin = await accounts.authenticate("admin", ACCOUNTS["admin"][0])
        await accounts.change_password(admin, "zhangsan", "Reset#2026k")
    finally:
        await store.close()
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.id == "login")
        burst(app, "zhangsan\tReset#2026k\r")
        await wait_until(pilot, lambda: app.screen.id == "password-change")
        burst(app, "Fresh#2026q\rFresh#2026q\r")
        try:
            await wait_until(pilot, lambda: app.screen.id == "section-wall", timeout=5)
        except AssertionError:
            typed = fields(app, "#password-change-new", "#password-change-again")
            raise AssertionError(f"not changed; the fields hold {typed}") from None

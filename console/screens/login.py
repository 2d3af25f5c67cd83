"""The login screen: every session starts here, and the idle lock comes back here.

Failures are explained (wrong password, locked until when, disabled) without saying
whether the user name exists; the accounts service audits every attempt. A password older
than ``site.password_max_age_days`` must be changed (console/screens/password_change.py)
before the session starts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from console.screens.lock_status import lock_status
from console.screens.password_change import PasswordChangeScreen
from data.accounts import AuthError, User
from data.i18n import t
from widgets.ordered_form import OrderedForm

if TYPE_CHECKING:
    from console.app import DutyDeskApp


class LoginScreen(Screen[None]):
    def __init__(self, *, locked_for: str | None = None, hint: str | None = None) -> None:
        """``locked_for``: the user whose idle session this screen locks (None at start)."""
        super().__init__(id="login")
        self.locked_for = locked_for
        self.hint = hint

    def compose(self) -> ComposeResult:
        app = cast("DutyDeskApp", self.app)
        with Center(), Vertical(id="login-box"):
            yield Static(app.site.site.name, id="login-site")
            yield Static(t("app.title"), id="login-title")
            if self.locked_for:
                yield Static(t("login.locked_notice", name=self.locked_for), id="login-locked")
                yield Static(lock_status(app), id="login-room", markup=False)
            with OrderedForm(enter={"login-password": "submit"}, id="login-form"):
                yield Label(t("login.user"))
                yield Input(value=self.locked_for or "", id="login-user")
                yield Label(t("login.password"))
                yield Input(password=True, id="login-password")
                yield Button(t("login.submit"), id="login-submit", variant="primary")
            yield Static("", id="login-message")
            if self.hint:
                yield Static(self.hint, id="login-hint")

    def on_mount(self) -> None:
        target = "#login-password" if self.locked_for else "#login-user"
        self.set_focus(self.query_one(target, Input))  # at once: ``focus()`` waits behind keys

    def refresh_live(self, changed: set[str]) -> None:
        """While locked: the room as it is now (the app calls this as checks report)."""
        if self.locked_for:
            room = lock_status(cast("DutyDeskApp", self.app))
            self.query_one("#login-room", Static).update(room)

    @on(OrderedForm.Submitted, "#login-form")  # Enter in the password, after every key typed
    @on(Button.Pressed, "#login-submit")
    async def _attempt(self) -> None:
        app = cast("DutyDeskApp", self.app)
        name = self.query_one("#login-user", Input).value.strip()
        password_input = self.query_one("#login-password", Input)
        message = self.query_one("#login-message", Static)
        if not name or not password_input.value:
            message.update(t("login.missing"))
            return
        max_age = timedelta(days=app.site.site.password_max_age_days)
        try:
            action = "screen.unlock" if self.locked_for else "login"
            login = await app.services.accounts.login(name, password_input.value, max_age, action)
        except AuthError as error:
            password_input.value = ""
            message.update(login_failure_text(error, app))
            password_input.focus()
            return
        if login.must_change_password:
            self._require_new_password(login.user, password_input.value)
            return
        app.logged_in(login.user, self)

    def _require_new_password(self, user: User, current: str) -> None:
        """An expired password: the session starts only after the change dialog succeeds."""
        app = cast("DutyDeskApp", self.app)
        self.query_one("#login-password", Input).value = ""

        def changed(done: bool | None) -> None:
            if done:
                app.logged_in(user, self)
            else:
                self.query_one("#login-message", Static).update(t("login.password_change_required"))
                self.query_one("#login-password", Input).focus()

        days = app.site.site.password_max_age_days
        app.push_screen(PasswordChangeScreen(app.services.accounts, user, current, days), changed)


def login_failure_text(error: AuthError, app: DutyDeskApp) -> str:
    if error.code == "locked" and error.until is not None:
        until = error.until.astimezone(app.site.site.tz).strftime("%H:%M")
        return t("login.locked", until=until)
    if error.code == "disabled":
        return t("login.disabled")
    return t("login.failed")

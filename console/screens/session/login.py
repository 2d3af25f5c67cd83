"""The login screen: every session starts here, and the idle lock comes back here.

Failures are explained (wrong password, locked until when, disabled) without saying
whether the user name exists; the accounts service audits every attempt. A password older
than ``site.password_max_age_days``, or one an admin set, must be changed
(console/screens/session/password_change.py) before the session starts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from console.context import DeskContext, LiveView
from console.screens.session.lock_status import lock_status
from console.screens.session.password_change import PasswordChangeScreen
from data.accounts import AuthError, ChangeReason, User
from data.i18n import t
from data.models import Site
from widgets.ordered_form import OrderedForm

# Called with the user who logged in and the login screen (the App leaves it).
LoggedIn = Callable[[User, Screen[None]], None]


class LoginScreen(Screen[None], LiveView):
    def __init__(
        self,
        ctx: DeskContext,
        logged_in: LoggedIn,
        *,
        locked_for: str | None = None,
        hint: str | None = None,
    ) -> None:
        """``locked_for``: the user whose idle session this screen locks (None at start);
        ``logged_in`` is told who logged in."""
        super().__init__(id="login")
        self.ctx = ctx
        self.logged_in = logged_in
        self.locked_for = locked_for
        self.hint = hint

    def compose(self) -> ComposeResult:
        site = self.ctx.desk.site
        with Center(), Vertical(id="login-box"):
            yield Static(site.site.name, id="login-site")
            yield Static(t("app.title"), id="login-title")
            if self.locked_for:
                yield Static(t("login.locked_notice", name=self.locked_for), id="login-locked")
                yield Static(self.room_status(), id="login-room", markup=False)
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

    def room_status(self) -> str:
        return lock_status(self.ctx.live_state, self.ctx.desk.site.site.tz)

    def refresh_live(self, changed: set[str] | None) -> None:
        """While locked: the room as it is now (the app calls this as checks report)."""
        if self.locked_for:
            self.query_one("#login-room", Static).update(self.room_status())

    @on(OrderedForm.Submitted, "#login-form")  # Enter in the password, after every key typed
    @on(Button.Pressed, "#login-submit")
    async def _attempt(self) -> None:
        desk = self.ctx.desk
        name = self.query_one("#login-user", Input).value.strip()
        password_input = self.query_one("#login-password", Input)
        message = self.query_one("#login-message", Static)
        if not name or not password_input.value:
            message.update(t("login.missing"))
            return
        max_age = timedelta(days=desk.site.site.password_max_age_days)
        try:
            action = "screen.unlock" if self.locked_for else "login"
            login = await desk.accounts.login(name, password_input.value, max_age, action)
        except AuthError as error:
            password_input.value = ""
            message.update(login_failure_text(error, desk.site))
            password_input.focus()
            return
        if login.change_reason is not None:
            self._require_new_password(login.user, password_input.value, login.change_reason)
            return
        self.logged_in(login.user, self)

    def _require_new_password(self, user: User, current: str, reason: ChangeReason) -> None:
        """An expired or admin-set password: the session starts only after the change
        dialog succeeds."""
        desk = self.ctx.desk
        self.query_one("#login-password", Input).value = ""

        def changed(done: bool | None) -> None:
            if done:
                self.logged_in(user, self)
            else:
                self.query_one("#login-message", Static).update(t("login.password_change_required"))
                self.query_one("#login-password", Input).focus()

        days = desk.site.site.password_max_age_days
        self.app.push_screen(
            PasswordChangeScreen(desk.accounts, user, current, reason, days), changed
        )


def login_failure_text(error: AuthError, site: Site) -> str:
    if error.code == "locked" and error.until is not None:
        until = error.until.astimezone(site.site.tz).strftime("%H:%M")
        return t("login.locked", until=until)
    if error.code == "disabled":
        return t("login.disabled")
    return t("login.failed")

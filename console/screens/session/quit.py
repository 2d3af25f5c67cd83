"""Quitting a locked console (Ctrl+Q on the lock screen).

Quitting stops what this console runs (the checks of an embedded watch among them), so a
locked console quits only for the password of the account it is locked for or of a
supervisor. Every attempt is audited: the password check as ``session.quit_confirm``, a
refusal and the quit itself as ``session.quit``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from console.context import DeskContext
from console.dialogs.base import Dialog
from data.accounts import AuthError, User
from data.i18n import explain, t
from data.roles import Role
from widgets.ordered_form import OrderedForm


def may_quit_locked(user: User, locked_for: str) -> bool:
    return user.name == locked_for or user.role == Role.SUPERVISOR


class QuitDialog(Dialog[User | None]):
    """Dismissed with the user whose password allows the quit (the App then quits), or
    None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "dialog.cancel", id="dialog.cancel")]

    def __init__(self, ctx: DeskContext, locked_for: str) -> None:
        super().__init__(id="quit-dialog")
        self.ctx = ctx
        self.locked_for = locked_for
        self.busy = False  # one password check at a time

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("quit.title"), classes="dialog-title")
            yield Static(
                t("quit.intro", name=self.locked_for),
                id="quit-intro",
                classes="dialog-intro",
                markup=False,
            )
            with OrderedForm(enter={"quit-password": "submit"}, id="quit-form"):
                yield Label(t("login.user"))
                yield Input(self.locked_for, id="quit-user")
                yield Label(t("login.password"))
                yield Input(password=True, id="quit-password")
                yield Static("", id="quit-error", classes="dialog-error", markup=False)
                with Horizontal(classes="dialog-buttons"):
                    yield Button(t("quit.submit"), id="quit-submit", variant="error")
                    yield Button(t("dialog.cancel"), id="quit-cancel")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#quit-password", Input))

    @on(OrderedForm.Submitted, "#quit-form")
    @on(Button.Pressed, "#quit-submit")
    async def submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        try:
            await self.try_quit()
        finally:
            self.busy = False

    async def try_quit(self) -> None:
        desk = self.ctx.desk
        name = self.query_one("#quit-user", Input).value.strip()
        password = self.query_one("#quit-password", Input)
        error = self.query_one("#quit-error", Static)
        try:
            user = await desk.accounts.authenticate(name, password.value, "session.quit_confirm")
        except AuthError as refused:
            password.value = ""
            error.update(explain(refused))
            return
        if not may_quit_locked(user, self.locked_for):
            detail = {"locked_for": self.locked_for}
            await desk.audit.record(user.name, "session.quit", "console", "denied", detail)
            password.value = ""
            error.update(t("quit.denied", name=self.locked_for))
            return
        self.dismiss(user)

    @on(Button.Pressed, "#quit-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

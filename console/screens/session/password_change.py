"""The forced password change: shown by the login screen when the password is older than
``site.password_max_age_days`` or was set by an admin (who therefore knows it). The session
starts only once a new password (typed twice) has passed the policy and been saved;
data.accounts checks and audits the change.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from console.bindings import translate_bindings
from data.accounts import Accounts, ChangeReason, User
from data.errors import DutyDeskError
from data.i18n import explain, t
from widgets.ordered_form import OrderedForm


class PasswordChangeScreen(ModalScreen[bool]):
    """Dismisses True once the password is changed, False when the operator gives up."""

    CSS_PATH = Path(__file__).with_name("password_change.tcss")
    BINDINGS = [Binding("escape", "cancel", "dialog.cancel", id="dialog.cancel")]

    def __init__(
        self,
        accounts: Accounts,
        user: User,
        current: str,
        reason: ChangeReason,
        max_age_days: int,
    ) -> None:
        """``current``: the password just used to log in, which the change must name;
        ``reason``: why it must change (the dialog says so)."""
        super().__init__(id="password-change")
        translate_bindings(self)
        self._accounts = accounts
        self._user = user
        self._current = current
        self._reason = reason
        self._max_age_days = max_age_days

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("password_change.title"), classes="dialog-title")
            yield Static(self._reason_text(), id="password-change-reason")
            # Enter and Tab move on at once, so both fields typed in one burst land right
            with OrderedForm(enter={"password-change-again": "submit"}, id="password-change-form"):
                yield Label(t("password_change.new"))
                yield Input(password=True, id="password-change-new")
                yield Label(t("password_change.again"))
                yield Input(password=True, id="password-change-again")
            yield Static("", id="password-change-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("password_change.submit"), id="password-change-submit")
                yield Button(t("dialog.cancel"), id="password-change-cancel")

    def _reason_text(self) -> str:
        if self._reason == "set_by_admin":
            return t("password_change.reason_set_by_admin")
        return t("password_change.reason", days=self._max_age_days)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#password-change-new", Input))  # before queued keys

    @on(OrderedForm.Submitted, "#password-change-form")  # Enter in the second field
    @on(Button.Pressed, "#password-change-submit")
    async def _submit(self) -> None:
        new = self.query_one("#password-change-new", Input)
        again = self.query_one("#password-change-again", Input)
        if not new.value:
            self._refuse(t("password_change.missing"))
            return
        if new.value != again.value:
            self._refuse(t("password_change.mismatch"))
            return
        try:
            await self._accounts.change_password(
                self._user, self._user.name, new.value, old=self._current
            )
        except DutyDeskError as error:  # the policy's or the account's refusal, translated
            self._refuse(explain(error))
            return
        self.dismiss(True)

    def _refuse(self, text: str) -> None:
        """Say why, clear both fields (nothing typed is kept) and start again."""
        self.query_one("#password-change-error", Static).update(text)
        for field in ("#password-change-new", "#password-change-again"):
            self.query_one(field, Input).value = ""
        self.set_focus(self.query_one("#password-change-new", Input))

    @on(Button.Pressed, "#password-change-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

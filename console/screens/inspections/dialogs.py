"""The password dialog that signs an inspection record.

It gets the signing call (``password -> flagged items``) from the form screen; a wrong
password (or a refusal of the book) is shown and the dialog stays open for another try.
It is dismissed with the flagged items once the record is sealed, with None when
cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from console.dialogs.base import Dialog
from console.screens.session.login import login_failure_text
from data.accounts import AuthError
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.models import Site
from data.records.inspections.model import FlaggedItem

Sign = Callable[[str], Awaitable[list[FlaggedItem]]]


class SignDialog(Dialog[list[FlaggedItem] | None]):
    BINDINGS = [Binding("escape", "cancel", "dialog.cancel", id="dialog.cancel")]

    def __init__(self, site: Site, title: str, sign: Sign) -> None:
        """``site``: its time zone says until when a locked account stays locked."""
        super().__init__(id="sign-dialog")
        self.site = site
        self.title_text = title
        self.sign = sign
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(t("inspection.sign_prompt"))
            yield Input(password=True, id="sign-password")
            yield Static("", id="sign-error", classes="dialog-error", markup=False)
            yield Static(t("inspection.sign_keys"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#sign-password", Input).focus()

    @property
    def error(self) -> str:
        return str(self.query_one("#sign-error", Static).render())

    @on(Input.Submitted, "#sign-password")
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one("#sign-password", Input)
        if self.busy or not box.value:
            return
        self.busy = True  # one signing at a time: enter pressed twice must not sign twice
        try:
            flagged = await self.sign(box.value)
        except AuthError as error:
            self._refused(login_failure_text(error, self.site))
            return
        except DutyDeskError as error:
            self._refused(explain(error))
            return
        finally:
            self.busy = False
        self.dismiss(flagged)

    def _refused(self, message: str) -> None:
        box = self.query_one("#sign-password", Input)
        box.value = ""
        self.query_one("#sign-error", Static).update(message)
        box.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

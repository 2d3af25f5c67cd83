"""Acknowledging alarms: the AckDialog and the wall's ``a`` key.

data.records.alarms enforces the rules (comment required, sticky needs a supervisor) and
audits; the dialog shows its refusals translated and keep what the operator typed. The
sticky box is disabled for a user whose role may not use it, rather than refused on submit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from console.context import DeskContext
from console.dialogs.base import Dialog
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.alarms.book import DEFAULT_ACK
from data.records.alarms.model import Alarm
from data.roles import Permission, allows

EXPIRY_MINUTES = (30, 60, 120, 240, 480)
SHOWN_ALARMS = 6  # the dialog lists this many and counts the rest


def acknowledge_device(ctx: DeskContext, app: App[Any], device_id: str) -> None:
    """The wall's ``a``: acknowledge the device's unacknowledged alarms (else all of them,
    which renews the acknowledgement)."""
    live = ctx.live_state
    alarms = [a for a in live.alarms.values() if a.device_id == device_id] if live else []
    if not alarms:
        device = live.devices.get(device_id) if live else None
        app.notify(t("ack.no_alarm", device=device.name if device else device_id))
        return
    app.push_screen(AckDialog(ctx, [a for a in alarms if not a.acknowledged] or alarms))


def duration_label(minutes: int) -> str:
    return t("ack.minutes", n=minutes) if minutes < 60 else t("ack.hours", n=minutes // 60)


class AckDialog(Dialog[list[Alarm] | None]):
    """Comment, expiry and sticky for one or many alarms; one acknowledge() call for all."""

    BINDINGS = [
        Binding("escape", "cancel", "dialog.cancel", id="dialog.cancel"),
        # as in every record form: at 80x24 the buttons are below the fold
        Binding("ctrl+s", "submit", "form.submit", id="form.submit"),
    ]

    def __init__(self, ctx: DeskContext, alarms: list[Alarm]) -> None:
        super().__init__(id="ack-dialog")
        self.ctx = ctx
        self.alarms = alarms

    def compose(self) -> ComposeResult:
        devices = {d.id: d.name for d in self.ctx.desk.site.devices}
        default = int(DEFAULT_ACK.total_seconds() // 60)
        with Vertical():
            yield Static(t("ack.title", n=len(self.alarms)), classes="dialog-title")
            lines = [
                f"{t('wall.state.' + a.severity.lower())} "
                f"{devices.get(a.device_id, a.device_id)} / {a.check_id}: "
                f"{a.message[:40]}"
                for a in self.alarms[:SHOWN_ALARMS]
            ]
            if len(self.alarms) > SHOWN_ALARMS:
                lines.append(t("ack.more", n=len(self.alarms) - SHOWN_ALARMS))
            yield Static("\n".join(lines), id="ack-alarms", classes="dialog-alarms", markup=False)
            yield Label(t("ack.comment"))
            yield Input(id="ack-comment")
            yield Label(t("ack.expiry"))
            with RadioSet(id="ack-expiry"):
                for minutes in EXPIRY_MINUTES:
                    yield RadioButton(
                        duration_label(minutes), value=minutes == default, id=f"ack-{minutes}m"
                    )
            user = self.ctx.user  # sticky is a supervisor's: others cannot tick it
            sticky_allowed = user is not None and allows(user.role, Permission.STICKY_ACK)
            yield Checkbox(t("ack.sticky"), id="ack-sticky", disabled=not sticky_allowed)
            yield Static("", id="ack-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ack.submit"), id="ack-submit", variant="primary")
                yield Button(t("dialog.cancel"), id="ack-cancel")

    def on_mount(self) -> None:
        self.query_one("#ack-comment", Input).focus()

    def chosen_duration(self) -> dt.timedelta:
        pressed = self.query_one("#ack-expiry", RadioSet).pressed_button
        minutes = int(pressed.id[4:-1]) if pressed is not None and pressed.id else None
        return dt.timedelta(minutes=minutes) if minutes else DEFAULT_ACK

    async def action_submit(self) -> None:
        await self.submit()

    @on(Input.Submitted, "#ack-comment")
    @on(Button.Pressed, "#ack-submit")
    async def submit(self) -> None:
        user = self.ctx.user
        if user is None:
            return
        comment = self.query_one("#ack-comment", Input).value
        sticky = self.query_one("#ack-sticky", Checkbox).value
        try:
            done = await self.ctx.desk.alarms.acknowledge(
                user, [a.id for a in self.alarms], comment, self.chosen_duration(), sticky
            )
        except DutyDeskError as error:  # refused: say why, keep the comment for a retry
            self.query_one("#ack-error", Static).update(explain(error))
            return
        self.ctx.alarms_changed(done)
        self.app.notify(t("ack.done", n=len(done)))
        self.dismiss(done)

    @on(Button.Pressed, "#ack-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""Quick restart (operator guide, section 5): pick one of a device's actions, confirm it,
watch it run, see the recheck.

The dialog shows the device, host, SSH user and the exact command from site.yaml (nothing
is ever typed but the confirmation). The operator types the device id, or their password
again for an action marked ``dangerous``; data.records.actions refuses a role that may not
run it and audits the refusal; a repeat within 60 s warns and asks again. The run happens
in a worker that only posts messages; output streams into the dialog, then the audit row
is written and the ``recheck`` check's result is shown.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, Log, OptionList, Static
from textual.widgets.option_list import Option

from checks.actions import ActionResult, Outcome, RecheckResult, action_port, recheck, run_action
from checks.probe import ProbeContext
from checks.ssh import SshPool
from console.context import DeskContext
from console.dialogs.base import Dialog
from console.screens.incidents.hooks import attach_action_run
from data.accounts import AuthError
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.masking import mask
from data.models import Device
from data.records.actions.model import ActionRun


def open_actions(ctx: DeskContext, app: App[Any], device_id: str) -> None:
    """The ``x`` key: the device's actions to choose from (or a note that it has none)."""
    if ctx.user is None:
        return
    device = ctx.desk.site.device(device_id)
    if not device.actions:
        app.notify(t("action.none", device=device.name), severity="warning")
        return
    app.push_screen(ActionList(ctx, device))


class ActionList(Dialog[None]):
    DEFAULT_CLASSES = "-wide"
    BINDINGS = [Binding("escape", "close", "action.close", id="action.close")]

    def __init__(self, ctx: DeskContext, device: Device) -> None:
        super().__init__(id="action-list")
        self.ctx = ctx
        self.device = device

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("action.list_title", device=self.device.name), classes="dialog-title")
            yield OptionList(
                *(
                    Option(Text(f"{a.label}   {mask(a.command)}"), id=a.id)
                    for a in self.device.actions
                )
            )

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.app.switch_screen(ActionDialog(self.ctx, self.device.id, str(event.option.id)))

    def action_close(self) -> None:
        self.dismiss(None)


class ActionDialog(Dialog[None]):
    """Confirm, run and report one action on one device."""

    DEFAULT_CLASSES = "-wide"
    BINDINGS = [Binding("escape", "close", "action.close", id="action.close")]

    class Output(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Finished(Message):
        def __init__(
            self,
            run: ActionRun | None,
            result: ActionResult | None,
            checked: RecheckResult | None,
            error: str | None,
        ) -> None:
            super().__init__()
            self.run, self.result, self.checked, self.error = run, result, checked, error

    def __init__(self, ctx: DeskContext, device_id: str, action_id: str) -> None:
        super().__init__(id="action-dialog")
        self.ctx = ctx
        self.device = ctx.desk.site.device(device_id)
        self.action = next(a for a in self.device.actions if a.id == action_id)
        credential = ctx.desk.site.credentials.get(self.action.credential)
        self.ssh_user = credential.ssh.username if credential and credential.ssh else "?"
        self.port = action_port(self.device, self.action)
        self.state = "confirm"  # confirm -> running -> done
        self.repeat_warned = False
        self.finished: ActionDialog.Finished | None = None  # what the run came to
        self._seen: list[str] = []  # output so far, for the record if the run is cut short

    def compose(self) -> ComposeResult:
        device, action = self.device, self.action
        facts = Text()
        for label, value in (
            (t("action.device"), f"{device.name} ({device.id})"),
            (t("action.host"), f"{device.host}:{self.port}"),
            (t("action.user"), self.ssh_user),
            (t("action.timeout"), t("action.seconds", n=f"{action.timeout:g}")),
        ):
            facts.append(f"{label}: ", style="bold").append(f"{value}\n")
        facts.append(f"{t('action.command')}:\n", style="bold")
        facts.append(f"  {mask(action.command)}", style="reverse")
        with Vertical():
            yield Static(t("action.dialog_title", label=action.label), classes="dialog-title")
            yield Static(facts, id="action-facts")
            note = t("action.dangerous") if action.dangerous else ""
            yield Static(note, id="action-note", classes="dialog-note")
            prompt = "action.password_prompt" if action.dangerous else "action.confirm_prompt"
            yield Label(t(prompt, device=device.id), id="action-prompt")
            yield Input(password=action.dangerous, id="action-confirm")
            yield Static("", id="action-error", classes="dialog-error", markup=False)
            yield Log(id="action-output", classes="hidden", max_lines=2000)
            yield Static("", id="action-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#action-confirm", Input).focus()

    def _refuse(self, text: str) -> None:
        self.query_one("#action-error", Static).update(text)
        box = self.query_one("#action-confirm", Input)
        box.value = ""
        box.focus()

    @on(Input.Submitted, "#action-confirm")
    async def submit(self) -> None:
        desk, user = self.ctx.desk, self.ctx.user
        if self.state != "confirm" or user is None:
            return
        typed = self.query_one("#action-confirm", Input).value
        log = desk.actions
        try:
            await log.authorize(user, self.device, self.action)
            if self.action.dangerous:
                await desk.accounts.authenticate(user.name, typed, "action.confirm")
            elif typed.strip() != self.device.id:
                self._refuse(t("action.confirm_mismatch", device=self.device.id))
                return
            previous = await log.recent_run(self.device.id, self.action.id)
        except AuthError:
            self._refuse(t("action.bad_password"))
            return
        except DutyDeskError as error:  # refused by role: data/ audited it
            self._refuse(explain(error))
            return
        if previous is not None and not self.repeat_warned:
            self.repeat_warned = True
            ago = (desk.clock() - previous.started_at).total_seconds()
            self.query_one("#action-note", Static).update(
                t(
                    "action.repeat_warning",
                    actor=previous.actor,
                    seconds=f"{max(ago, 0):.0f}",
                    outcome=t(f"action.result.{previous.outcome}"),
                )
            )
            self._refuse("")
            return
        self._start()

    def _start(self) -> None:
        self.state = "running"
        for selector in ("#action-confirm", "#action-prompt", "#action-error"):
            self.query_one(selector).add_class("hidden")
        self.query_one("#action-output", Log).remove_class("hidden")
        self.query_one("#action-status", Static).update(t("action.running"))
        self.run_worker(self._execute(), exclusive=True, exit_on_error=False)

    async def _execute(self) -> None:
        """The worker: run, recheck, record. It posts messages and never touches widgets."""
        desk, user = self.ctx.desk, self.ctx.user
        assert user is not None
        runtime = self.ctx.check_runtime
        context = runtime.context if runtime is not None else ProbeContext(ssh=SshPool())
        started = desk.clock()
        result: ActionResult | None = None
        checked: RecheckResult | None = None
        run: ActionRun | None = None
        error: str | None = None

        def show(text: str) -> None:
            self._seen.append(text)
            self.post_message(self.Output(text))

        try:
            result = await run_action(
                desk.site, self.device, self.action, context.ssh, on_output=show
            )
            if self.action.recheck:
                self.post_message(self.Output(t("action.rechecking", check=self.action.recheck)))
                scheduler = runtime.scheduler if runtime is not None else None
                checked = await recheck(
                    desk.site,
                    self.device,
                    self.action.recheck,
                    scheduler=scheduler,
                    context=context,
                )
            # The rest of the device's checks (e.g. the web port the service serves)
            # follow at once instead of at their next interval: here, or by the watch
            # this console is attached to.
            if runtime is not None:
                runtime.scheduler.recheck(self.device.id)
            else:
                await desk.watch.request_recheck(self.device.id)
        except Exception as exc:  # shown, and the run is still recorded below
            error = f"{type(exc).__name__}: {exc}"
        finally:
            # shielded: a run that happened is recorded even if the console stops waiting
            try:
                run = await asyncio.shield(self._record(started, result, checked))
            except Exception as exc:  # e.g. the database went away: say so, do not hide it
                error = explain(exc)
            if runtime is None:
                await context.close()
        # the result is attached to the open incident if there is one
        await attach_action_run(self.ctx, self.app, run)
        self.post_message(self.Finished(run, result, checked, error))

    async def _record(
        self, started: dt.datetime, result: ActionResult | None, checked: RecheckResult | None
    ) -> ActionRun:
        desk, user = self.ctx.desk, self.ctx.user
        assert user is not None
        if result is None:  # interrupted: what we saw of it is all there is
            reason = "interrupted before it finished"
            seen = "".join(self._seen)
            result = ActionResult(None, seen, Outcome.FAILED, reason, 0.0, self.port, self.ssh_user)
        return await desk.actions.record(
            user,
            self.device,
            self.action,
            result.exit_status,
            result.outcome,
            result.output,
            started,
            desk.clock(),
            checked.state.name if checked else None,
            ssh_user=result.ssh_user or self.ssh_user,
            port=result.port,
            reason=result.reason,
            duration_ms=result.duration_ms,
        )

    def on_action_dialog_output(self, message: Output) -> None:
        self.query_one("#action-output", Log).write(message.text)

    def on_action_dialog_finished(self, message: Finished) -> None:
        self.state, self.finished = "done", message
        lines = []
        if message.result is not None:
            reason = message.result.reason
            lines.append(t(f"action.outcome.{message.result.outcome}", reason=reason))
        if message.checked is not None:
            checked = message.checked
            state = t(f"wall.state.{checked.state.name.lower()}")
            lines.append(
                t("action.recheck", check=checked.check_id, state=state, message=checked.message)
            )
        if message.run is not None:
            lines.append(t("action.recorded", id=message.run.audit_id))
        if message.error:
            lines.append(t("action.error", error=message.error))
        lines.append(t("action.close_hint"))
        self.query_one("#action-status", Static).update("\n".join(lines))
        self.ctx.refresh_header()

    def action_close(self) -> None:
        if self.state == "running":
            self.notify(t("action.busy"), severity="warning")
            return
        self.dismiss(None)

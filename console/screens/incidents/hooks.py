"""What the rest of the console asks of the incidents section: open an incident for a
device or an alarm (``i`` on the wall, the alarm list, an inspection item) and attach an
action run to the device's open incident.

The header's incident counts are console.header_figures' (``ctx.figures.incidents``): a
change made here invalidates them so they are counted again at once.
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from console.context import DeskContext
from console.screens.incidents.dialogs import NewIncidentDialog
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.actions.model import ActionRun
from data.records.alarms.model import SEVERITIES, Alarm
from data.records.incidents.model import Incident

# -- opening ------------------------------------------------------------------------------


def worst_alarm(ctx: DeskContext, device_id: str) -> Alarm | None:
    """The device's most severe active alarm (the oldest of equals)."""
    live = ctx.live_state
    alarms = [a for a in live.alarms.values() if a.device_id == device_id] if live else []
    alarms.sort(key=lambda a: (-SEVERITIES.index(a.severity), a.raised_at, a.id))
    return alarms[0] if alarms else None


def active_alarm_of(ctx: DeskContext, incident: Incident) -> Alarm | None:
    """The incident's alarm if it is still active, else an active alarm on its device and
    check (raised again since): closing then deserves a second thought."""
    live = ctx.live_state
    if live is None or incident.device_id is None:
        return None
    alarms = [a for a in live.alarms.values() if a.id == incident.alarm_id]
    same_check = (incident.device_id, incident.check_id)
    alarms += [a for a in live.alarms.values() if (a.device_id, a.check_id) == same_check]
    return alarms[0] if alarms else None


def open_incident(
    ctx: DeskContext, app: App[Any], device_id: str | None, alarm: Alarm | None = None
) -> None:
    """The new-incident dialog, filled in from ``alarm`` or else the device's worst active
    alarm; by hand (the device chosen) when it has none. An alarm that already has an
    open incident shows that incident instead."""
    if ctx.user is not None:
        app.call_later(_open_incident, ctx, app, device_id, alarm)


async def _open_incident(
    ctx: DeskContext, app: App[Any], device_id: str | None, alarm: Alarm | None
) -> None:
    user = ctx.user
    if user is None:
        return
    alarm = alarm or (worst_alarm(ctx, device_id) if device_id else None)
    if alarm is not None:
        existing = await ctx.desk.incidents.open_for(alarm.device_id, alarm.check_id)
        if existing is not None and existing.alarm_id == alarm.id:
            app.notify(t("incidents.already_open", id=existing.id))
            await ctx.show_incident(existing.id)
            return
    dialog = NewIncidentDialog(ctx.desk, user, ctx.desk.site.devices, alarm, device_id)

    def opened(incident: Incident | None) -> None:
        if incident is not None:
            app.notify(t("incidents.opened", id=incident.id, title=incident.title))
            ctx.figures.incidents.invalidate()

    app.push_screen(dialog, opened)


# -- action runs ------------------------------------------------------------------------


async def attach_action_run(
    ctx: DeskContext, app: App[Any], run: ActionRun | None
) -> Incident | None:
    """A timeline entry on the device's newest open incident naming the run (action,
    outcome, exit status, recheck, audit row); None when there is no open incident. A
    failure to attach is reported, never raised: the run itself is already recorded."""
    if run is None or ctx.user is None:
        return None
    book = ctx.desk.incidents
    try:
        incident = await book.open_for(run.device_id)
        if incident is None:
            return None
        text = t(
            "incidents.action_entry",
            action=run.action_id,
            outcome=t(f"action.result.{run.outcome}"),
            exit="—" if run.exit_status is None else run.exit_status,
            recheck=run.recheck_state or "—",
            audit=run.audit_id,
        )
        incident = await book.add_entry(ctx.user, incident.id, text)
    except DutyDeskError as error:
        app.notify(t("incidents.attach_failed", reason=explain(error)), severity="warning")
        return None
    ctx.figures.incidents.invalidate()
    return incident

"""What the rest of the console asks of the incidents section: open an incident for a
device or an alarm (``i`` on the wall, the alarm list, an inspection item), attach an
action run to the device's open incident, and the incident counts in the header.

The header counts (open incidents, unanswered ones close to or past their response
deadline) are read at most every HEADER_REFRESH_SECONDS, in a worker, and cached: the
header is redrawn every second and must not query the store each time. A change made at
this console refreshes them at once (``incidents_changed``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from console.header_figures import HeaderFigure
from console.records import incident_book
from console.screens.incident_dialogs import NewIncidentDialog
from data.calendar import ResponseStatus
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.actions.model import ActionRun
from data.records.alarms.model import SEVERITIES, Alarm
from data.records.incidents.model import Incident

if TYPE_CHECKING:
    from console.app import DutyDeskApp

HEADER_REFRESH_SECONDS = 30.0
log = logging.getLogger(__name__)


_wanted: WeakKeyDictionary[DutyDeskApp, int] = WeakKeyDictionary()


# -- opening ------------------------------------------------------------------------------


def worst_alarm(app: DutyDeskApp, device_id: str) -> Alarm | None:
    """The device's most severe active alarm (the oldest of equals)."""
    live = app.live_state
    alarms = [a for a in live.alarms.values() if a.device_id == device_id] if live else []
    alarms.sort(key=lambda a: (-SEVERITIES.index(a.severity), a.raised_at, a.id))
    return alarms[0] if alarms else None


def active_alarm_of(app: DutyDeskApp, incident: Incident) -> Alarm | None:
    """The incident's alarm if it is still active, else an active alarm on its device and
    check (raised again since): closing then deserves a second thought."""
    live = app.live_state
    if live is None or incident.device_id is None:
        return None
    alarms = [a for a in live.alarms.values() if a.id == incident.alarm_id]
    same_check = (incident.device_id, incident.check_id)
    alarms += [a for a in live.alarms.values() if (a.device_id, a.check_id) == same_check]
    return alarms[0] if alarms else None


def open_incident(app: DutyDeskApp, device_id: str | None, alarm: Alarm | None = None) -> None:
    """The new-incident dialog, filled in from ``alarm`` or else the device's worst active
    alarm; by hand (the device chosen) when it has none. An alarm that already has an
    open incident shows that incident instead."""
    if app.user is not None:
        app.call_later(_open_incident, app, device_id, alarm)


async def _open_incident(app: DutyDeskApp, device_id: str | None, alarm: Alarm | None) -> None:
    user = app.user
    if user is None:
        return
    alarm = alarm or (worst_alarm(app, device_id) if device_id else None)
    if alarm is not None:
        existing = await incident_book(app).open_for(alarm.device_id, alarm.check_id)
        if existing is not None and existing.alarm_id == alarm.id:
            app.notify(t("incidents.already_open", id=existing.id))
            await show_incident(app, existing.id)
            return
    dialog = NewIncidentDialog(user, app.site.devices, alarm, device_id)
    app.push_screen(dialog, lambda incident: _opened(app, incident))


def _opened(app: DutyDeskApp, incident: Incident | None) -> None:
    if incident is not None:
        app.notify(t("incidents.opened", id=incident.id, title=incident.title))
        incidents_changed(app)


async def show_incident(app: DutyDeskApp, incident_id: int) -> None:
    """Switch to the incidents section with ``incident_id`` selected."""
    _wanted[app] = incident_id
    if app.current_mode == "incidents":
        reload = getattr(app.screen, "reload", None)
        if reload is not None:
            reload()
    else:
        await app.switch_mode("incidents")


def wanted_incident(app: DutyDeskApp) -> int | None:
    """The incident the incidents section was asked to show (asked once)."""
    return _wanted.pop(app, None)


# -- action runs ------------------------------------------------------------------------


async def attach_action_run(app: DutyDeskApp, run: ActionRun | None) -> Incident | None:
    """A timeline entry on the device's newest open incident naming the run (action,
    outcome, exit status, recheck, audit row); None when there is no open incident. A
    failure to attach is reported, never raised: the run itself is already recorded."""
    if run is None or app.user is None:
        return None
    book = incident_book(app)
    try:
        incident = await book.open_for(run.device_id)
        if incident is None:
            return None
        text = t("incidents.action_entry", action=run.action_id,
                 outcome=t(f"action.result.{run.outcome}"),
                 exit="—" if run.exit_status is None else run.exit_status,
                 recheck=run.recheck_state or "—", audit=run.audit_id)  # fmt: skip
        incident = await book.add_entry(app.user, incident.id, text)
    except DutyDeskError as error:
        app.notify(t("incidents.attach_failed", reason=explain(error)), severity="warning")
        return None
    incidents_changed(app)
    return incident


# -- header -------------------------------------------------------------------------------


async def _header_text(app: DutyDeskApp) -> str:
    book = incident_book(app)
    not_closed = await book.not_closed()
    alerts = await book.response_alerts(app.config.clock())
    states = [clock.status for _, clock in alerts]
    return header_text(len(not_closed), states.count(ResponseStatus.AT_RISK),
                       states.count(ResponseStatus.BREACHED))  # fmt: skip


INCIDENT_FIGURE = HeaderFigure("incidents", _header_text, HEADER_REFRESH_SECONDS)


def header_status(app: DutyDeskApp) -> str:
    """``故障 3 ⚠1 临近超时 ✖1 响应超时``: the cached counts; starts a recount when stale."""
    return INCIDENT_FIGURE.text(app)


def incidents_changed(app: DutyDeskApp) -> None:
    """Something changed at this console: count again now, not in up to 30 s."""
    INCIDENT_FIGURE.invalidate(app)


def header_text(not_closed: int, at_risk: int, breached: int) -> str:
    if not not_closed:
        return ""
    parts = [t("header.incidents", n=not_closed)]
    if at_risk:
        parts.append(t("header.incidents_at_risk", n=at_risk))
    if breached:
        parts.append(t("header.incidents_breached", n=breached))
    return " ".join(parts)

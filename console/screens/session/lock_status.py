"""What the lock screen shows of the room: devices by state and the newest unacknowledged
critical alarm.

Whoever walks past a locked console sees whether the room needs someone now, and nothing
from the records (no visitors, notes or names): those wait behind the password.
"""

from __future__ import annotations

import datetime as dt

from console.live_state import LiveState
from data.i18n import t

STATES = ("CRITICAL", "WARNING", "UNKNOWN", "UNREACHABLE", "ACKED", "OK")
MESSAGE_CHARS = 40  # the alarm's check message, cut to one line of the login box


def lock_status(live: LiveState | None, tz: dt.tzinfo) -> str:
    if live is None or not live.devices:
        return ""
    counts = live.counts()
    states = " · ".join(
        f"{t('lock.state.' + state.lower())} {counts[state]}" for state in STATES if counts[state]
    )
    critical = [a for a in live.alarms.values() if a.severity == "CRITICAL" and not a.acknowledged]
    if not critical:
        return f"{states}\n{t('lock.no_critical')}"
    newest = max(critical, key=lambda alarm: alarm.raised_at)
    device = live.devices.get(newest.device_id)
    at = newest.raised_at.astimezone(tz)
    line = t(
        "lock.newest_critical",
        at=f"{at:%m-%d %H:%M}",
        device=device.name if device else newest.device_id,
        check=newest.check_id,
        message=newest.message.splitlines()[0][:MESSAGE_CHARS] if newest.message else "",
    )
    return f"{states}\n{line}"

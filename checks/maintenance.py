"""Maintenance windows of site.yaml: while one covers a device, its alarms are held.

Transitions are still recorded, carrying the window's reason. A window's start and end
may be time-zone aware; naive ones are read in the site's time zone. A window holds from
its start (inclusive) to its end (exclusive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from data.models import MaintenanceWindow


@dataclass(frozen=True)
class ActiveWindow:
    """A window with its ends made aware, in UTC."""

    devices: frozenset[str]
    start: dt.datetime
    end: dt.datetime
    reason: str


def _aware(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)


class MaintenanceCalendar:
    """Answers "is this device in maintenance at this moment, and why"."""

    def __init__(self, windows: Iterable[MaintenanceWindow], tz: dt.tzinfo) -> None:
        self.windows = tuple(
            ActiveWindow(frozenset(w.devices), _aware(w.start, tz), _aware(w.end, tz), w.reason)
            for w in windows
        )

    def window(self, device_id: str, now: dt.datetime) -> ActiveWindow | None:
        """The window covering ``device_id`` at ``now`` (aware), or None."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be time-zone aware (UTC)")
        for w in self.windows:
            if device_id in w.devices and w.start <= now < w.end:
                return w
        return None

    def in_maintenance(self, device_id: str, now: dt.datetime) -> bool:
        return self.window(device_id, now) is not None

    def reason(self, device_id: str, now: dt.datetime) -> str | None:
        w = self.window(device_id, now)
        return w.reason if w else None

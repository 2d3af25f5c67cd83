"""Which shift of the site's shift table covers a moment, with its start and end.

Shifts are wall-clock times in the site's zone and may cross midnight (夜班 17:30-08:30).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from data.models import Shift, SiteInfo


@dataclass(frozen=True)
class ShiftSpan:
    shift: Shift
    start: dt.datetime  # aware, site time zone
    end: dt.datetime

    @property
    def name(self) -> str:
        return self.shift.name


def shift_at(site: SiteInfo, moment: dt.datetime) -> ShiftSpan | None:
    """The shift covering ``moment`` (aware), or None when the table leaves it uncovered."""
    local = moment.astimezone(site.tz)
    # A shift that covers `local` started today or, when it crosses midnight, yesterday.
    for day_offset in (0, -1):
        day = local.date() + dt.timedelta(days=day_offset)
        for shift in site.shifts:
            start = dt.datetime.combine(day, shift.start, site.tz)
            end_day = day if shift.end > shift.start else day + dt.timedelta(days=1)
            end = dt.datetime.combine(end_day, shift.end, site.tz)
            if start <= local < end:
                return ShiftSpan(shift, start, end)
    return None

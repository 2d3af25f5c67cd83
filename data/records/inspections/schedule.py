"""The periods an inspection template is due in: a calendar day, an ISO week (Monday to
Sunday) or a calendar month, all in the site's time zone.

A period is done when a record of the template was submitted within it; it is due by
its end (the next local midnight, Monday or first of the month) and missed after that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from data.checklists import Schedule


@dataclass(frozen=True)
class Period:
    label: str  # 2026-03-02 (daily), 2026-W10 (weekly), 2026-03 (monthly)
    start: dt.datetime  # aware, site time zone
    end: dt.datetime  # exclusive: the moment it is due by

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


def period_of(schedule: Schedule, moment: dt.datetime, tz: ZoneInfo) -> Period:
    """The period of ``schedule`` that holds ``moment`` (aware)."""
    day = moment.astimezone(tz).date()
    if schedule == "daily":
        first, after = day, day + dt.timedelta(days=1)
        label = day.isoformat()
    elif schedule == "weekly":
        first = day - dt.timedelta(days=day.weekday())
        after = first + dt.timedelta(days=7)
        year, week, _ = first.isocalendar()
        label = f"{year}-W{week:02d}"
    else:
        first = day.replace(day=1)
        after = (first + dt.timedelta(days=32)).replace(day=1)
        label = f"{first:%Y-%m}"
    return Period(label, _midnight(first, tz), _midnight(after, tz))


def periods_ending(
    schedule: Schedule, since: dt.datetime, until: dt.datetime, tz: ZoneInfo
) -> Iterator[Period]:
    """Periods whose end falls in ``(since, until]``: the ones that became overdue then."""
    period = period_of(schedule, since, tz)
    while period.end <= until:
        if period.end > since:
            yield period
        period = period_of(schedule, period.end, tz)


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tz)

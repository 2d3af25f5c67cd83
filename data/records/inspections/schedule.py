"""The periods an inspection template is due in: a calendar day, an ISO week (Monday to
Sunday) or a calendar month, all in the site's time zone; or, for a pre-holiday checklist
(schedule ``pre_assurance``), the week before each assurance period of the site calendar.

A period is done when a record of the template was submitted within it; it is due by
its end (the next local midnight, Monday or first of the month; an assurance period's
first day, so a pre-holiday inspection is due the day before) and missed after that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from data.checklists import Schedule
from data.models import AssurancePeriod

# A pre-holiday inspection may be done from a week before the period; it is due by the
# end of the day before the period's first day.
PRE_ASSURANCE_WINDOW = dt.timedelta(days=7)


@dataclass(frozen=True)
class Period:
    label: str  # 2026-03-02 (daily), 2026-W10 (weekly), 2026-03 (monthly)
    start: dt.datetime  # aware, site time zone
    end: dt.datetime  # exclusive: the moment it is due by

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


def period_of(
    schedule: Schedule,
    moment: dt.datetime,
    tz: ZoneInfo,
    assurance: Sequence[AssurancePeriod] = (),
) -> Period:
    """The period of ``schedule`` that holds ``moment`` (aware). For ``pre_assurance``:
    the days before the next assurance period of ``assurance`` (a record made earlier than
    its week still counts for it), or the day itself when none is coming."""
    day = moment.astimezone(tz).date()
    if schedule == "pre_assurance":
        coming = sorted((p for p in assurance if p.start > day), key=lambda p: p.start)
        if coming:
            return before_assurance(coming[0], tz)
        return Period(f"pre-{day.isoformat()}", _midnight(day, tz), _midnight(day, tz))
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


def before_assurance(period: AssurancePeriod, tz: ZoneInfo) -> Period:
    """The pre-holiday inspection's period for ``period``: the week before its first day."""
    opens = period.start - PRE_ASSURANCE_WINDOW
    return Period(
        f"pre-{period.start.isoformat()}", _midnight(opens, tz), _midnight(period.start, tz)
    )


def periods_ending(
    schedule: Schedule,
    since: dt.datetime,
    until: dt.datetime,
    tz: ZoneInfo,
    assurance: Sequence[AssurancePeriod] = (),
) -> Iterator[Period]:
    """Periods whose end falls in ``(since, until]``: the ones that became overdue then."""
    if schedule == "pre_assurance":
        ahead = (before_assurance(p, tz) for p in sorted(assurance, key=lambda p: p.start))
        yield from (p for p in ahead if since < p.end <= until)
        return
    period = period_of(schedule, since, tz)
    while period.end <= until:
        if period.end > since:
            yield period
        period = period_of(schedule, period.end, tz)


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tz)

"""The roster's figures for the monthly report: days rostered, shifts each person worked,
swaps, handovers taken off the roster, and the assurance periods of the month with any of
their days short of two-person duty. Read straight from the roster's tables."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from data.models import AssurancePeriod, SiteInfo
from data.records.roster.names import PeopleNames, read_people_names
from data.store import Store


@dataclass(frozen=True)
class AssuranceStats:
    period: AssurancePeriod
    days: int  # of the period inside the report's range
    short_shifts: int  # shifts of those days rostered with fewer than min_on_duty


@dataclass(frozen=True)
class RosterStats:
    days: int  # calendar days of the report's range
    days_rostered: int  # of those, days with someone on a shift
    shifts_by_person: dict[str, int]  # account name -> shifts rostered, most first
    swaps: int
    off_roster_handovers: int
    assurance: tuple[AssuranceStats, ...]
    names: PeopleNames = field(default_factory=PeopleNames)  # names shifts_by_person (张三)


async def roster_stats(
    store: Store, site: SiteInfo, start: dt.datetime, end: dt.datetime
) -> RosterStats:
    """Over the site-local days of ``[start, end)``."""
    first = start.astimezone(site.tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(site.tz).date()
    span = (first.isoformat(), last.isoformat())
    entries = await store.fetchall(
        "SELECT day, shift, operator FROM roster_entries WHERE day BETWEEN ? AND ?", span
    )
    swaps = await store.fetchone(
        "SELECT count(*) FROM roster_swaps WHERE day BETWEEN ? AND ?", span
    )
    off = await store.fetchone(
        "SELECT count(*) FROM roster_handover_deviations WHERE day BETWEEN ? AND ?", span
    )
    per_shift = Counter((row["day"], row["shift"]) for row in entries)
    people = Counter(row["operator"] for row in entries)
    assurance = []
    for period in site.calendar.assurance:
        inside_first, inside_last = max(first, period.start), min(last, period.end)
        if inside_first > inside_last:
            continue
        days = [
            inside_first + dt.timedelta(days=n)
            for n in range((inside_last - inside_first).days + 1)
        ]
        short = sum(
            1
            for day in days
            for shift in site.shifts
            if per_shift[(day.isoformat(), shift.name)] < period.min_on_duty
        )
        assurance.append(AssuranceStats(period, len(days), short))
    return RosterStats(
        days=(last - first).days + 1,
        days_rostered=len({day for day, _ in per_shift}),
        shifts_by_person=dict(people.most_common()),
        swaps=int(swaps[0]) if swaps else 0,
        off_roster_handovers=int(off[0]) if off else 0,
        assurance=tuple(assurance),
        names=await read_people_names(store),
    )

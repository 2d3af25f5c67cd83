"""The site's working-day calendar and the incident response clock.

A day is a working day Monday to Friday unless site.yaml lists it under
``calendar.holidays``; a Saturday or Sunday listed under ``calendar.workdays`` (调休, an
adjusted working day) is one too. The response target of an incident is
``response_hours.workday`` or ``response_hours.non_workday``, chosen by the calendar day
*in the site's time zone* at the moment the incident was reported: 00:30 on a Saturday in
Asia/Shanghai is Friday 16:30 UTC, and it is a Saturday that counts.

The target is wall-clock time from the report (a 3 h target on a holiday means three hours
later, whatever day that falls on), not working hours: the duty desk is staffed 24x7.

At risk: still unanswered and at most ``max(25 % of the target, 30 minutes)`` left. The
larger of the two, so that a 1 h target warns half an hour ahead and a 3 h one 45 minutes
ahead: either is enough to call someone in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from data.models import AssurancePeriod, SiteInfo

AT_RISK_SHARE = 0.25
AT_RISK_FLOOR = timedelta(minutes=30)


class ResponseStatus(StrEnum):
    OPEN = "open"  # unanswered, time left
    AT_RISK = "at_risk"  # unanswered, close to the deadline
    MET = "met"  # answered by the deadline
    BREACHED = "breached"  # answered late, or unanswered past the deadline


class ResponseClock(NamedTuple):
    """``remaining`` is deadline minus the response (or now, when unanswered): negative
    once breached."""

    status: ResponseStatus
    remaining: timedelta


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be time-zone aware")
    return moment


def response_status(
    opened_at: datetime, target: timedelta, responded_at: datetime | None, now: datetime
) -> ResponseClock:
    """The response clock of something reported at ``opened_at`` with ``target`` to answer.

    Kept apart from the calendar: an incident stores the target it was given when it was
    reported, so a later change of the calendar does not move old deadlines.
    """
    deadline = _aware(opened_at, "opened_at") + target
    if responded_at is not None:
        remaining = deadline - _aware(responded_at, "responded_at")
        met = remaining >= timedelta(0)
        return ResponseClock(ResponseStatus.MET if met else ResponseStatus.BREACHED, remaining)
    remaining = deadline - _aware(now, "now")
    if remaining < timedelta(0):
        return ResponseClock(ResponseStatus.BREACHED, remaining)
    if remaining <= at_risk_margin(target):
        return ResponseClock(ResponseStatus.AT_RISK, remaining)
    return ResponseClock(ResponseStatus.OPEN, remaining)


def at_risk_margin(target: timedelta) -> timedelta:
    """How long before the deadline an unanswered incident counts as at risk."""
    return max(target * AT_RISK_SHARE, AT_RISK_FLOOR)


class WorkCalendar:
    def __init__(self, site_info: SiteInfo) -> None:
        self._tz = site_info.tz
        self._holidays = frozenset(site_info.calendar.holidays)
        self._workdays = frozenset(site_info.calendar.workdays)
        self._hours = site_info.response_hours

    def is_workday(self, day: date) -> bool:
        if day in self._holidays:
            return False
        if day in self._workdays:
            return True
        return day.weekday() < 5

    def local_day(self, moment: datetime) -> date:
        """The calendar day at ``moment`` in the site's time zone."""
        return _aware(moment, "moment").astimezone(self._tz).date()

    def response_target(self, opened_at: datetime) -> timedelta:
        workday = self.is_workday(self.local_day(opened_at))
        hours = self._hours.workday if workday else self._hours.non_workday
        return timedelta(hours=hours)

    def deadline(self, opened_at: datetime) -> datetime:
        return opened_at + self.response_target(opened_at)

    def status(
        self, opened_at: datetime, responded_at: datetime | None, now: datetime
    ) -> ResponseClock:
        return response_status(opened_at, self.response_target(opened_at), responded_at, now)


def assurance_period(site_info: SiteInfo, day: date) -> AssurancePeriod | None:
    """The assurance period (重大节假日保障) covering the site-local ``day``, if any."""
    for period in site_info.calendar.assurance:
        if period.covers(day):
            return period
    return None


def interval_factor(site_info: SiteInfo, moment: datetime) -> float:
    """What check intervals are multiplied by at ``moment``: the period's factor during
    an assurance period (its days in the site's time zone), else 1."""
    day = _aware(moment, "moment").astimezone(site_info.tz).date()
    period = assurance_period(site_info, day)
    return 1.0 if period is None else period.interval_factor

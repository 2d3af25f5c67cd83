"""What a service report (服务统计) holds, and how a period is named.

All of it is plain frozen data: the console draws it, data.exports renders it. Durations
are seconds (float) or None when there was nothing to average.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from data.errors import DutyDeskError
from data.records.assets.model import AssetRecord
from data.records.hotline.stats import HotlineStats
from data.records.incidents.model import Incident
from data.records.reports.drills import DrillStats
from data.records.roster.stats import RosterStats

Period = str | tuple[date, date] | tuple[datetime, datetime]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ReportPeriodError(DutyDeskError):
    """Code bad_report_period: not YYYY-MM, mixed or naive bounds, or an empty range."""

    code = "bad_report_period"


def period_bounds(period: Period, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    """[start, end) as aware datetimes, and a label.

    - ``"2026-11"``: the calendar month in the site's time zone.
    - ``(date, date)``: from the first day's midnight to the end of the last day (both
      days included, as a supervisor means "from 1 to 15 November").
    - ``(datetime, datetime)``: exactly that half-open range (aware datetimes).
    """
    if isinstance(period, str):
        match = _MONTH.match(period)
        if match is None:
            raise ReportPeriodError(f"a month is written YYYY-MM, not {period!r}")
        first = date(int(match[1]), int(match[2]), 1)
        after = (first + timedelta(days=32)).replace(day=1)
        return _midnight(first, tz), _midnight(after, tz), period
    start, end = period
    if isinstance(start, datetime) and isinstance(end, datetime):
        if start.tzinfo is None or end.tzinfo is None:
            raise ReportPeriodError("a report's start and end must be time-zone aware")
        label = f"{start.astimezone(tz):%Y-%m-%d %H:%M} – {end.astimezone(tz):%Y-%m-%d %H:%M}"
        bounds = (start, end)
    elif isinstance(start, datetime) or isinstance(end, datetime):
        raise ReportPeriodError("give two dates or two datetimes, not one of each")
    else:
        label = f"{start.isoformat()} – {end.isoformat()}"
        bounds = (_midnight(start, tz), _midnight(end + timedelta(days=1), tz))
    if bounds[1] <= bounds[0]:
        raise ReportPeriodError("a report's period must end after it starts")
    return bounds[0], bounds[1], label


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz)


@dataclass(frozen=True)
class CheckAvailability:
    """One check's time over the period outside maintenance, and the maintenance time
    apart. ``ratio`` is OK time over time in a known state (UNKNOWN and unmonitored time
    left out); None when there was none."""

    device_id: str
    device_name: str
    check_id: str
    seconds: dict[str, float]  # OK, WARNING, UNKNOWN, CRITICAL
    unmonitored: float
    maintenance: float

    @property
    def ratio(self) -> float | None:
        known = self.seconds["OK"] + self.seconds["WARNING"] + self.seconds["CRITICAL"]
        return self.seconds["OK"] / known if known > 0 else None


@dataclass(frozen=True)
class DeviceAvailability:
    """A device's availability is that of its worst check: the device served fully only
    while every check was OK, and the worst check bounds that from above."""

    device_id: str
    device_name: str
    zone: str
    kind: str
    checks: tuple[CheckAvailability, ...]
    maintenance: float  # seconds of the period in a maintenance window for this device

    @property
    def ratio(self) -> float | None:
        ratios = [c.ratio for c in self.checks if c.ratio is not None]
        return min(ratios) if ratios else None


@dataclass(frozen=True)
class AlarmStats:
    total: int
    by_severity: dict[str, int]  # CRITICAL, UNKNOWN, WARNING
    acknowledged: int
    cleared: int
    mtta: float | None  # mean seconds from raise to first acknowledgement
    mttr: float | None  # mean seconds from raise to clearing


@dataclass(frozen=True)
class IncidentStats:
    total: int
    by_category: dict[str, int]
    by_severity: dict[str, int]
    met: int
    breached: int
    pending: int  # unanswered and not yet due
    resolved: int
    mean_respond: float | None  # seconds, over answered incidents
    mean_resolve: float | None  # seconds, over resolved incidents
    incidents: tuple[Incident, ...]  # oldest first

    @property
    def compliance(self) -> float | None:
        """Share of answered-or-due incidents that met their response target."""
        judged = self.met + self.breached
        return self.met / judged if judged else None


@dataclass(frozen=True)
class InspectionStats:
    template_id: str
    name: str
    schedule: str
    due: int  # periods that began in the report's period (up to now)
    done: int  # of those, the ones with a submitted record

    @property
    def missed(self) -> int:
        return self.due - self.done


@dataclass(frozen=True)
class VisitorStats:
    visitor_entries: int
    staff_entries: int


@dataclass(frozen=True)
class ActionStats:
    """Restart actions run (audit rows ``action.run``), per ``device/action``."""

    total: int
    ok: int
    failed: int
    by_action: dict[str, tuple[int, int]]  # object -> (ok, failed)


@dataclass(frozen=True)
class Report:
    site_name: str
    label: str  # e.g. 2026-11
    start: datetime
    end: datetime
    generated_at: datetime
    scope: dict[str, str]  # the filters used: zone, kind, device
    devices: tuple[DeviceAvailability, ...]
    alarms: AlarmStats
    incidents: IncidentStats
    inspections: tuple[InspectionStats, ...] | None  # None: no inspection records table
    visitors: VisitorStats | None  # None: no access records table
    actions: ActionStats
    hotline: HotlineStats | None = None  # None: a report filtered to some devices
    drills: DrillStats | None = None  # None: a report filtered to some devices
    # the report's devices whose support ends within 60 days of the last day counted
    warranties: tuple[AssetRecord, ...] = ()
    roster: RosterStats | None = None  # None: a report filtered to some devices

    @property
    def counted_until(self) -> datetime:
        """Where the time figures end: the period's end, or now for a period in progress."""
        return min(self.end, max(self.start, self.generated_at))

"""The working-day calendar and the response clock (data.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data.calendar import ResponseStatus, WorkCalendar, at_risk_margin, response_status
from data.models import SiteInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def site_info(**overrides: object) -> SiteInfo:
    fields: dict[str, object] = {
        "name": "测试机房",
        "timezone": "Asia/Shanghai",
        "shifts": [{"name": "白班", "start": "08:30", "end": "17:30"}],
        # 2026-10-01 (Thu) National Day; 2026-10-10 (Sat) an adjusted working day.
        "calendar": {"holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-10-10"]},
        "response_hours": {"workday": 1, "non_workday": 3},
    }
    fields.update(overrides)
    return SiteInfo.model_validate(fields)


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar(site_info())


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 9, 28), True),  # Monday
        (date(2026, 9, 25), True),  # Friday
        (date(2026, 9, 26), False),  # Saturday
        (date(2026, 9, 27), False),  # Sunday
        (date(2026, 10, 1), False),  # a holiday on a Thursday
        (date(2026, 10, 2), False),  # a holiday on a Friday
        (date(2026, 10, 10), True),  # an adjusted working Saturday (调休)
        (date(2026, 10, 11), False),  # the Sunday after it is not
    ],
)
def test_is_workday(calendar: WorkCalendar, day: date, workday: bool) -> None:
    assert calendar.is_workday(day) is workday


def test_targets_on_weekends_holidays_and_adjusted_days(calendar: WorkCalendar) -> None:
    assert calendar.response_target(local(2026, 9, 28, 10, 0)) == 1 * HOUR
    assert calendar.response_target(local(2026, 9, 26, 10, 0)) == 3 * HOUR
    assert calendar.response_target(local(2026, 10, 1, 10, 0)) == 3 * HOUR
    assert calendar.response_target(local(2026, 10, 10, 10, 0)) == 1 * HOUR


def test_the_site_day_decides_not_the_utc_day(calendar: WorkCalendar) -> None:
    # Friday 16:30 UTC is Saturday 00:30 in Shanghai: a non-working day.
    friday_utc = datetime(2026, 9, 25, 16, 30, tzinfo=UTC)
    assert calendar.local_day(friday_utc) == date(2026, 9, 26)
    assert calendar.response_target(friday_utc) == 3 * HOUR
    # Sunday 16:00 UTC is Monday 00:00 in Shanghai: a working day.
    assert calendar.response_target(datetime(2026, 9, 27, 16, 0, tzinfo=UTC)) == 1 * HOUR
    # One second earlier it is still Sunday.
    assert calendar.response_target(datetime(2026, 9, 27, 15, 59, 59, tzinfo=UTC)) == 3 * HOUR


def test_just_before_and_after_midnight(calendar: WorkCalendar) -> None:
    # Friday 23:59 local: a workday target, though the deadline falls on Saturday.
    friday_late = local(2026, 9, 25, 23, 59)
    assert calendar.response_target(friday_late) == 1 * HOUR
    assert calendar.deadline(friday_late) == local(2026, 9, 26, 0, 59)
    # Saturday 00:00 local: the non-working target.
    assert calendar.response_target(local(2026, 9, 26, 0, 0)) == 3 * HOUR
    # The evening before a holiday is still a working day; the holiday's first minute is not.
    assert calendar.response_target(local(2026, 9, 30, 23, 59, 59)) == 1 * HOUR
    assert calendar.response_target(local(2026, 10, 1, 0, 0)) == 3 * HOUR


def test_a_night_shift_crossing_midnight_into_the_weekend(calendar: WorkCalendar) -> None:
    # The night shift runs Friday 17:30 to Saturday 08:30: reports before midnight get
    # the workday target, those after it the weekend one, and the deadline may run
    # past the shift's end (the 3 h clock does not stop at a shift change).
    assert calendar.deadline(local(2026, 9, 25, 22, 0)) == local(2026, 9, 25, 23, 0)
    assert calendar.deadline(local(2026, 9, 26, 6, 0)) == local(2026, 9, 26, 9, 0)
    # Sunday night into Monday: the other way round.
    assert calendar.deadline(local(2026, 9, 27, 23, 0)) == local(2026, 9, 28, 2, 0)
    assert calendar.deadline(local(2026, 9, 28, 1, 0)) == local(2026, 9, 28, 2, 0)


def test_deadline_is_the_same_instant_whatever_zone_it_is_given_in(
    calendar: WorkCalendar,
) -> None:
    opened = local(2026, 9, 26, 0, 30)
    assert calendar.deadline(opened) == calendar.deadline(opened.astimezone(UTC))
    assert calendar.deadline(opened.astimezone(UTC)).tzinfo is not None


def test_another_site_zone_moves_the_day() -> None:
    # 2026-09-25 22:30 UTC is Friday 23:30 in London (BST) but Saturday in Shanghai.
    moment = datetime(2026, 9, 25, 22, 30, tzinfo=UTC)
    assert WorkCalendar(site_info()).response_target(moment) == 3 * HOUR
    london = WorkCalendar(site_info(timezone="Europe/London"))
    assert london.response_target(moment) == 1 * HOUR


def test_naive_times_are_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        calendar.response_target(datetime(2026, 9, 25, 10, 0))


def test_status_met_breached_at_risk_open(calendar: WorkCalendar) -> None:
    opened = local(2026, 9, 28, 10, 0)  # Monday: 1 h target, at risk in the last 30 min
    status = calendar.status
    assert status(opened, local(2026, 9, 28, 10, 40), local(2026, 9, 28, 12, 0)) == (
        ResponseStatus.MET,
        timedelta(minutes=20),
    )
    assert status(opened, local(2026, 9, 28, 11, 0), local(2026, 9, 28, 12, 0)).status == (
        ResponseStatus.MET
    )  # exactly on the deadline still counts
    late = status(opened, local(2026, 9, 28, 11, 5), local(2026, 9, 28, 12, 0))
    assert late == (ResponseStatus.BREACHED, timedelta(minutes=-5))
    assert status(opened, None, local(2026, 9, 28, 10, 29)) == (
        ResponseStatus.OPEN,
        timedelta(minutes=31),
    )
    assert status(opened, None, local(2026, 9, 28, 10, 30)).status == ResponseStatus.AT_RISK
    assert status(opened, None, local(2026, 9, 28, 11, 0)).status == ResponseStatus.AT_RISK
    assert status(opened, None, local(2026, 9, 28, 11, 1)) == (
        ResponseStatus.BREACHED,
        timedelta(minutes=-1),
    )


def test_at_risk_margin_is_a_quarter_or_half_an_hour() -> None:
    assert at_risk_margin(1 * HOUR) == timedelta(minutes=30)
    assert at_risk_margin(3 * HOUR) == timedelta(minutes=45)
    opened = datetime(2026, 9, 26, 2, 0, tzinfo=UTC)
    assert response_status(opened, 3 * HOUR, None, opened + timedelta(minutes=134)).status == (
        ResponseStatus.OPEN
    )
    assert response_status(opened, 3 * HOUR, None, opened + timedelta(minutes=135)).status == (
        ResponseStatus.AT_RISK
    )

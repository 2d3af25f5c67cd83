from __future__ import annotations

import datetime as dt

from data.models import SiteInfo
from data.shifts import shift_at

SITE = SiteInfo.model_validate(
    {
        "name": "测试机房",
        "timezone": "Asia/Shanghai",
        "shifts": [
            {"name": "白班", "start": "08:30", "end": "17:30"},
            {"name": "夜班", "start": "17:30", "end": "08:30"},
        ],
    }
)
CST = dt.timezone(dt.timedelta(hours=8))


def at(hour: int, minute: int, day: int = 27) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=CST).astimezone(dt.UTC)


def test_day_shift() -> None:
    span = shift_at(SITE, at(9, 0))
    assert span is not None and span.name == "白班"
    assert span.start.hour == 8 and span.end.hour == 17


def test_night_shift_crosses_midnight() -> None:
    before = shift_at(SITE, at(23, 0))
    after = shift_at(SITE, at(3, 0, day=28))
    assert before is not None and after is not None
    assert before.name == after.name == "夜班"
    assert before.start == after.start  # the same shift, started the evening before
    assert after.end == dt.datetime(2026, 11, 28, 8, 30, tzinfo=SITE.tz)


def test_boundaries_belong_to_the_starting_shift() -> None:
    span = shift_at(SITE, at(17, 30))
    assert span is not None and span.name == "夜班"
    span = shift_at(SITE, at(8, 30))
    assert span is not None and span.name == "白班"


def test_uncovered_time() -> None:
    partial = SITE.model_copy(update={"shifts": SITE.shifts[:1]})
    assert shift_at(partial, at(20, 0)) is None

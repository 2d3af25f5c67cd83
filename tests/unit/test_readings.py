"""How a reading and a duration read on the wall and in the device detail."""

from __future__ import annotations

import pytest

from widgets.readings import duration_text, reading_text


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (47, "47s"),
        (407, "6m 47s"),
        (3600, "1h 0m"),
        (3 * 86400 + 4 * 3600 + 59, "3d 4h"),
    ],
)
def test_durations_read_in_two_units(seconds: float, shown: str) -> None:
    assert duration_text(seconds) == shown


def test_a_time_reading_is_a_duration_and_other_readings_keep_their_unit() -> None:
    assert reading_text(0.0047, "d") == "6m 46s"  # an SNMP uptime in days
    assert reading_text(3.2, "d") == "3d 4h"
    assert reading_text(90, "min") == "1h 30m"
    assert reading_text(0.25, "s") == "0.25s"  # a response time stays a number
    assert reading_text(23.46, "°C", significant=3) == "23.5°C"
    assert reading_text(12.0, None) == "12"

"""checks.feed_codec: every event the watch writes to the live feed reads back equal."""

from __future__ import annotations

import datetime as dt

from checks.feed import (
    AlarmCleared,
    AlarmRaised,
    CheckSnapshot,
    CheckStale,
    DeviceStateChanged,
    Event,
    FlappingStarted,
    ResultEvent,
    Transition,
)
from checks.feed_codec import decode, decode_snapshot, encode, encode_snapshot
from checks.result import CheckState, DeviceState, ProbeResult

AT = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
SNAPSHOT = CheckSnapshot(
    "ups-1",
    "load",
    CheckState.CRITICAL,
    True,
    3,
    3,
    False,
    False,
    False,
    0.0,
    CheckState.CRITICAL,
    "负载 97%",
    97.0,
    "%",
    AT,
    AT,
    None,
)


def test_events_round_trip() -> None:
    result = ProbeResult(CheckState.CRITICAL, "负载 97%", 97.0, "%", duration_ms=12.5)
    events: list[Event] = [
        ResultEvent("ups-1", "load", result, SNAPSHOT, AT),
        Transition("ups-1", "load", CheckState.OK, CheckState.CRITICAL, True, AT, "m", 97.0, None),
        AlarmRaised("ups-1", "load", CheckState.CRITICAL, AT, "m", 97.0),
        AlarmCleared("ups-1", "load", AT, "ok"),
        FlappingStarted("ups-1", "load", AT, 40.0),
        CheckStale("ups-1", "load", True, AT, None),
        DeviceStateChanged("ups-1", DeviceState.UP, DeviceState.CRITICAL, AT),
    ]
    for event in events:
        assert decode(encode(event)) == event


def test_snapshot_round_trip_keeps_chinese_text() -> None:
    body = encode_snapshot(SNAPSHOT)
    assert "负载" in body
    assert decode_snapshot(body) == SNAPSHOT

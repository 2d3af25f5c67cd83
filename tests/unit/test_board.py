"""The site-wide state board: device states, dependencies, maintenance, flapping alarms."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checks.board import Outcome, StateBoard
from checks.feed import (
    AlarmCleared,
    AlarmRaised,
    CheckStale,
    DeviceStateChanged,
    FlappingStarted,
    FlappingStopped,
    Transition,
)
from checks.maintenance import MaintenanceCalendar
from checks.result import CheckState, DeviceState, ProbeResult
from checks.scheduler import Scheduler
from checks.timing import SystemClock
from checks.topology import reachability_check_id
from data.models import MaintenanceWindow, Site
from tests.support.checks import Recorder, device, make_site

OK, WARN, UNK, CRIT = CheckState.OK, CheckState.WARNING, CheckState.UNKNOWN, CheckState.CRITICAL
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def test_a_stale_check_makes_its_device_unknown_not_up() -> None:
    site = make_site([device("d", ["up"], interval=1)])
    board = StateBoard(site, since=0.0, timeout_margin=1.0)
    board.apply(("d", "up"), ProbeResult(OK, "ok"), T0, 0.0, lambda t: None)
    assert board.device_state("d") == DeviceState.UP
    events = board.sweep_stale(100.0, T0)
    assert CheckStale("d", "up", True, T0, T0) in events
    assert DeviceStateChanged("d", DeviceState.UP, DeviceState.UNKNOWN, T0) in events
    assert board.snapshot(("d", "up"), None).stale


def test_a_device_whose_first_results_fail_softly_is_not_shown_up() -> None:
    """Just after start (nothing restored), a dead device's first failures are soft until
    its attempts run out: it must not sit green meanwhile, but unknown until confirmed."""
    site = make_site([device("d", ["up"], max_attempts=3)])
    board = StateBoard(site, since=0.0, timeout_margin=1.0)
    board.apply(("d", "up"), ProbeResult(CRIT, "refused"), T0, 0.0, lambda t: None)
    assert board.device_state("d") == DeviceState.UNKNOWN
    board.apply(("d", "up"), ProbeResult(CRIT, "refused"), T0, 1.0, lambda t: None)
    assert board.device_state("d") == DeviceState.UNKNOWN
    board.apply(("d", "up"), ProbeResult(CRIT, "refused"), T0, 2.0, lambda t: None)
    assert board.device_state("d") == DeviceState.CRITICAL
    # once judged, a later soft failure keeps the judged state, as before
    board.apply(("d", "up"), ProbeResult(OK, "ok"), T0, 3.0, lambda t: None)
    board.apply(("d", "up"), ProbeResult(CRIT, "refused"), T0, 4.0, lambda t: None)
    assert board.device_state("d") == DeviceState.UP


# -- dependencies ------------------------------------------------------------------------


def apply(board: StateBoard, key: tuple[str, str], state: CheckState, i: int = 0) -> Outcome:
    at = T0 + dt.timedelta(seconds=i)
    return board.apply(
        key, ProbeResult(state, f"{key[1]} {state.name}"), at, float(i), lambda t: None
    )


def chain_site(max_attempts: int = 1) -> Site:
    return make_site(
        [
            device("fw", ["up", "temp"], max_attempts=max_attempts),
            device("sw", ["up", "web"], ["fw"], max_attempts=max_attempts),
            device("srv", ["up"], ["sw"], max_attempts=max_attempts),
        ]
    )


def test_reachability_check_is_up_or_the_first_check() -> None:
    site = make_site([device("a", ["x", "up"]), device("b", ["x", "y"]), device("c", [])])
    assert [reachability_check_id(d) for d in site.devices] == ["up", "x", None]


def test_children_of_a_down_parent_are_unreachable_and_do_not_alarm() -> None:
    board = StateBoard(chain_site(), since=0.0, timeout_margin=1.0)
    for key in [("fw", "up"), ("sw", "up"), ("sw", "web"), ("srv", "up")]:
        apply(board, key, OK)
    assert set(board.device_states.values()) == {DeviceState.UP}

    down = apply(board, ("fw", "up"), CRIT, 1)
    assert AlarmRaised("fw", "up", CRIT, down.event.at, "up CRITICAL", None) in down.derived
    states = {e.device_id: e.to_state for e in down.derived if isinstance(e, DeviceStateChanged)}
    assert states == {
        "fw": DeviceState.CRITICAL,
        "sw": DeviceState.UNREACHABLE,
        "srv": DeviceState.UNREACHABLE,  # transitively
    }
    child = apply(board, ("sw", "web"), CRIT, 2)
    transition = next(e for e in child.derived if isinstance(e, Transition))
    assert transition.hard and transition.suppressed_reason == "parent down"
    assert not [e for e in child.derived if isinstance(e, AlarmRaised)]
    grandchild = apply(board, ("srv", "up"), CRIT, 3)
    assert not [e for e in grandchild.derived if isinstance(e, AlarmRaised)]
    assert board.device_state("srv") == DeviceState.UNREACHABLE

    back = apply(board, ("fw", "up"), OK, 4)  # parent back: failing children re-checked
    assert set(back.recheck) == {("sw", "web"), ("srv", "up")}
    assert board.device_state("sw") == DeviceState.CRITICAL  # its own hard state shows again
    fresh = apply(board, ("sw", "web"), CRIT, 5)
    assert [e.state for e in fresh.derived if isinstance(e, AlarmRaised)] == [CRIT]


def test_a_parent_problem_other_than_reachability_does_not_silence_children() -> None:
    board = StateBoard(chain_site(), since=0.0, timeout_margin=1.0)
    apply(board, ("fw", "temp"), CRIT)
    assert board.device_state("fw") == DeviceState.CRITICAL
    assert board.device_state("sw") != DeviceState.UNREACHABLE
    child = apply(board, ("sw", "web"), CRIT, 1)
    assert [e for e in child.derived if isinstance(e, AlarmRaised)]


def test_child_failure_rechecks_parent_and_is_held_while_the_parent_is_failing() -> None:
    board = StateBoard(chain_site(max_attempts=2), since=0.0, timeout_margin=1.0)
    first = apply(board, ("sw", "web"), CRIT)
    assert first.recheck == (("fw", "up"),)  # look at the uplink now
    apply(board, ("fw", "up"), CRIT, 1)  # parent soft: failing
    hard = apply(board, ("sw", "web"), CRIT, 2)
    transition = next(e for e in hard.derived if isinstance(e, Transition))
    assert transition.hard and transition.suppressed_reason == "parent failing"
    assert not [e for e in hard.derived if isinstance(e, AlarmRaised)]
    apply(board, ("fw", "up"), CRIT, 3)  # parent hard down
    assert board.device_state("sw") == DeviceState.UNREACHABLE


# -- maintenance -------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def window(**kw: Any) -> MaintenanceWindow:
    fields: dict[str, Any] = {"devices": ["d"], "reason": "更换电源模块"}
    fields.update(start=dt.datetime(2026, 3, 2, 10, 0), end=dt.datetime(2026, 3, 2, 12, 0))
    fields.update(kw)
    return MaintenanceWindow.model_validate(fields)


def test_maintenance_window_naive_times_are_site_local_and_end_exclusive() -> None:
    cal = MaintenanceCalendar([window()], SHANGHAI)  # 10:00-12:00 Shanghai = 02:00-04:00 UTC
    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    assert cal.in_maintenance("d", at) and cal.reason("d", at) == "更换电源模块"
    assert cal.in_maintenance("d", at + dt.timedelta(hours=2) - dt.timedelta(seconds=1))
    assert not cal.in_maintenance("d", at + dt.timedelta(hours=2))
    assert not cal.in_maintenance("d", at - dt.timedelta(seconds=1))
    assert not cal.in_maintenance("other", at)
    with pytest.raises(ValueError, match="aware"):
        cal.in_maintenance("d", dt.datetime(2026, 3, 2, 2, 0))


def test_maintenance_window_with_an_explicit_zone_keeps_it() -> None:
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    cal = MaintenanceCalendar([window(start=start, end=start + dt.timedelta(hours=1))], SHANGHAI)
    assert cal.in_maintenance("d", start)
    assert not cal.in_maintenance("d", dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))


def test_maintenance_suppresses_alarms_and_records_transitions_with_the_reason() -> None:
    w = {
        "devices": ["d"],
        "reason": "割接",
        "start": "2026-03-02T01:00:00+00:00",
        "end": "2026-03-02T02:00:00+00:00",
    }
    site = make_site([device("d", ["up"], max_attempts=1), device("e", ["up"])], [w])
    board = StateBoard(site, since=0.0, timeout_margin=1.0)
    inside = apply(board, ("d", "up"), CRIT, 10)
    transition = next(e for e in inside.derived if isinstance(e, Transition))
    assert transition.suppressed_reason == "割接" and transition.to_state == CRIT
    assert not [e for e in inside.derived if isinstance(e, AlarmRaised)]
    after = apply(board, ("d", "up"), CRIT, 3600)  # window over, still down: alarm now
    assert [e.state for e in after.derived if isinstance(e, AlarmRaised)] == [CRIT]
    recovered = apply(board, ("d", "up"), OK, 3601)
    assert [e for e in recovered.derived if isinstance(e, AlarmCleared)]


def test_flapping_through_the_board_raises_one_event_not_a_storm() -> None:
    board = StateBoard(
        make_site([device("d", ["up"], max_attempts=1)]), since=0.0, timeout_margin=1.0
    )
    alarms_while_flapping, flapping, started = 0, False, 0
    for i in range(40):
        out = apply(board, ("d", "up"), CRIT if i % 2 else OK, i)
        started += sum(isinstance(e, FlappingStarted) for e in out.derived)
        if flapping:
            alarms_while_flapping += sum(
                isinstance(e, AlarmRaised | AlarmCleared) for e in out.derived
            )
        flapping = flapping or started > 0
        if flapping:
            transition = next(e for e in out.derived if isinstance(e, Transition))
            assert transition.suppressed_reason == "flapping"
    assert started == 1 and alarms_while_flapping == 0
    for i in range(40, 60):
        out = apply(board, ("d", "up"), CRIT, i)
        if any(isinstance(e, FlappingStopped) for e in out.derived):
            assert [e.state for e in out.derived if isinstance(e, AlarmRaised)] == [CRIT]
            break
    else:
        pytest.fail("flapping never stopped")


async def test_maintenance_suppresses_the_alarm_and_keeps_the_transition() -> None:
    in_window = SystemClock(wall=lambda: dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))  # 11:00 CST
    window = {
        "devices": ["d"],
        "reason": "UPS 更换",
        "start": "2026-03-02T10:00:00",
        "end": "2026-03-02T12:00:00",
    }
    site = make_site([device("d", ["up"], max_attempts=1)], [window])
    scheduler = Scheduler(site, Recorder(CRIT), clock=in_window)
    with scheduler.subscribe() as sub:
        await scheduler.run_once()
        events = sub.drain()
    transitions = [e for e in events if isinstance(e, Transition)]
    assert [(t.to_state, t.hard, t.suppressed_reason) for t in transitions] == [
        (CRIT, True, "UPS 更换")
    ]
    assert not [e for e in events if isinstance(e, AlarmRaised)]

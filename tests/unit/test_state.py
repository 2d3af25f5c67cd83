"""The state machine of one check: soft/hard states, recovery, flapping, staleness."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from checks.result import CheckState, ProbeResult
from checks.state import CheckTracker, Step, flap_percent
from data.models import TcpCheck

OK, WARN, UNK, CRIT = CheckState.OK, CheckState.WARNING, CheckState.UNKNOWN, CheckState.CRITICAL
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def check(**kw: Any) -> TcpCheck:
    fields: dict[str, Any] = {"id": "c", "type": "tcp", "port": 1, "interval": 60}
    fields.update(retry_interval=15, max_attempts=3)
    fields.update(kw)
    return TcpCheck.model_validate(fields)


def tracker(**kw: Any) -> CheckTracker:
    return CheckTracker(check(**kw), stale_after=120.0, since=0.0)


def feed(t: CheckTracker, state: CheckState, i: int = 0) -> Step:
    return t.record(ProbeResult(state, state.name), T0 + dt.timedelta(seconds=i), float(i))


# -- soft and hard states -----------------------------------------------------------------


def test_failure_is_soft_and_retried_until_max_attempts_then_hard_with_one_alarm() -> None:
    t = tracker()
    step = feed(t, CRIT)
    assert step.transition == (OK, CRIT, False) and step.first_failure
    assert (t.hard, t.attempt, t.next_delay()) == (False, 1, 15)
    assert t.settle_alarm(hold=False) is None  # a soft problem is no alarm
    step = feed(t, CRIT)
    assert step.transition is None and (t.hard, t.attempt, t.next_delay()) == (False, 2, 15)
    assert not step.first_failure
    step = feed(t, CRIT)
    assert step.transition == (OK, CRIT, True)  # the hard transition comes from hard OK
    assert (t.hard, t.attempt, t.next_delay()) == (True, 3, 60)
    assert t.settle_alarm(hold=False) == "raise" and t.alarm == CRIT
    assert feed(t, CRIT).transition is None and t.settle_alarm(hold=False) is None


def test_soft_state_changes_count_as_attempts_and_are_recorded_soft() -> None:
    t = tracker()
    feed(t, WARN)
    assert feed(t, CRIT).transition == (WARN, CRIT, False)
    assert feed(t, UNK).transition == (OK, UNK, True)  # third non-OK in a row: hard


def test_change_between_non_ok_states_while_hard_is_a_hard_transition() -> None:
    t = tracker(max_attempts=1)
    assert feed(t, CRIT).transition == (OK, CRIT, True)
    assert t.settle_alarm(hold=False) == "raise"
    assert feed(t, WARN).transition == (CRIT, WARN, True)
    assert t.settle_alarm(hold=False) == "raise" and t.alarm == WARN  # the alarm follows


def test_recovery_is_immediate_from_hard_and_from_soft() -> None:
    t = tracker(max_attempts=2)
    feed(t, CRIT), feed(t, CRIT)
    t.settle_alarm(hold=False)
    step = feed(t, OK)
    assert step.transition == (CRIT, OK, True)
    assert (t.state, t.hard, t.attempt, t.next_delay()) == (OK, True, 0, 60)
    assert t.settle_alarm(hold=False) == "clear" and t.alarm is None

    soft = tracker()
    feed(soft, WARN)
    assert feed(soft, OK).transition == (WARN, OK, False)  # recorded, no alarm was raised
    assert soft.settle_alarm(hold=False) is None


def test_hold_keeps_an_alarm_from_rising_but_not_a_recovery_from_clearing() -> None:
    t = tracker(max_attempts=1)
    feed(t, CRIT)
    assert t.settle_alarm(hold=True) is None and t.alarm is None
    assert t.settle_alarm(hold=False) == "raise"  # once the hold lifts
    feed(t, OK)
    assert t.settle_alarm(hold=True) == "clear"


def test_a_restored_hard_state_counts_as_an_alarm_already_raised() -> None:
    t = CheckTracker(check(), stale_after=120.0, since=0.0, state=CRIT)
    assert (t.hard, t.attempt, t.alarm) == (True, 3, CRIT)
    assert feed(t, CRIT).transition is None and t.settle_alarm(hold=False) is None
    assert feed(t, OK).transition == (CRIT, OK, True) and t.settle_alarm(hold=False) == "clear"


# -- flapping ----------------------------------------------------------------------------


def test_flap_percent_weights_recent_changes_more() -> None:
    assert flap_percent([OK] * 20) == 0.0
    assert flap_percent([OK, CRIT] * 10) == pytest.approx(100.0)
    recent = [OK] * 15 + [CRIT, OK, CRIT, OK, CRIT]  # five changes, all at the new end
    old = [OK, CRIT, OK, CRIT, OK, CRIT] + [CRIT] * 14  # the same five at the old end
    assert flap_percent(recent) > 30.0 > 5 / 19 * 100  # unweighted it would not start
    assert flap_percent(old) < 25.0
    assert flap_percent([OK, CRIT, OK]) < 25.0  # a young history cannot look flappy


def test_flapping_starts_above_30_ends_below_25_and_holds_alarms_meanwhile() -> None:
    t = tracker(max_attempts=1)
    for i, state in enumerate([OK] * 16 + [CRIT, OK, CRIT, OK]):
        step = feed(t, state, i)
        t.settle_alarm(hold=False)
        assert not step.flapping_started
    assert t.flap_percent == pytest.approx(24.56, abs=0.01) and not t.flapping

    step = feed(t, CRIT, 20)  # the fifth recent change: 30.4%
    assert step.flapping_started and t.flapping and t.flap_percent > 30
    assert step.transition == (OK, CRIT, True)
    assert t.settle_alarm(hold=False) is None  # no per-change alarm while flapping

    stopped_at = None
    for k in range(1, 16):
        step = feed(t, CRIT, 20 + k)
        if k == 1:
            assert 25 < t.flap_percent < 30 and t.flapping  # between the thresholds: holds
        if step.flapping_stopped:
            stopped_at = k
            break
        assert t.settle_alarm(hold=False) is None
    assert stopped_at == 10 and t.flap_percent < 25 and not t.flapping
    assert t.settle_alarm(hold=False) == "raise"  # settled after flapping: still CRITICAL


# -- stale -------------------------------------------------------------------------------


def test_stale_after_no_result_and_cleared_by_the_next_one() -> None:
    t = CheckTracker(check(), stale_after=10.0, since=100.0)
    assert not t.update_stale(109.0) and not t.stale
    assert t.update_stale(110.5) and t.stale  # never ran: stale from the start time
    assert not t.update_stale(111.0)  # reported once
    t.record(ProbeResult(OK, "fine"), T0, 112.0)
    assert not t.stale
    assert t.update_stale(122.5) and t.stale

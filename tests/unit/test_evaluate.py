"""The threshold rule: crit -> CRITICAL; else warn -> WARNING; else ok not held -> WARNING."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.evaluate import evaluate, format_value, judge
from checks.result import CheckState
from data.models import TcpCheck
from data.thresholds import Threshold


def check(**limits: Any) -> TcpCheck:
    return TcpCheck.model_validate({"id": "t", "type": "tcp", "port": 1, **limits})


TEMPERATURE = {"ok": "18..27", "warn": "> 30", "crit": "> 32", "unit": "°C"}


@pytest.mark.parametrize(
    ("value", "state", "reason"),
    [
        (22, CheckState.OK, ""),
        (17.5, CheckState.WARNING, "17.5 °C (outside ok 18..27)"),
        (28, CheckState.WARNING, "28 °C (outside ok 18..27)"),
        (31, CheckState.WARNING, "31 °C (warning: > 30)"),
        (32, CheckState.WARNING, "32 °C (warning: > 30)"),
        (32.01, CheckState.CRITICAL, "32.01 °C (critical: > 32)"),
        (float("nan"), CheckState.UNKNOWN, "nan °C (not a number)"),
    ],
)
def test_the_rule(value: float, state: CheckState, reason: str) -> None:
    assert evaluate(value, check(**TEMPERATURE)) == (state, reason)


def test_crit_wins_over_a_holding_ok() -> None:
    assert evaluate(5, check(ok="0..10", crit="== 5"))[0] == CheckState.CRITICAL


def test_no_thresholds_is_ok() -> None:
    assert evaluate(1e9, check()) == (CheckState.OK, "")


def test_defaults_apply_only_without_the_checks_own_thresholds() -> None:
    warn, crit = Threshold.parse("> 85"), Threshold.parse("> 95")
    assert evaluate(90, check(), default_warn=warn, default_crit=crit)[0] == CheckState.WARNING
    assert evaluate(99, check(), default_warn=warn, default_crit=crit)[0] == CheckState.CRITICAL
    own = check(ok="..99.5")
    assert evaluate(99, own, default_warn=warn, default_crit=crit)[0] == CheckState.OK


@given(value=st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_the_rule_for_any_value(value: float) -> None:
    state, reason = evaluate(value, check(**TEMPERATURE))
    if value > 32:
        assert state == CheckState.CRITICAL
    elif value > 30 or not 18 <= value <= 27:
        assert state == CheckState.WARNING
    else:
        assert (state, reason) == (CheckState.OK, "")


def test_judge_puts_the_rule_after_the_message_and_respects_the_floor() -> None:
    result = judge(3, check(warn="> 0"), "3 ports down", values={"down": ["a"]})
    assert (result.state, result.message, result.value) == (
        CheckState.WARNING,
        "3 ports down (warning: > 0)",
        3,
    )
    floored = judge(0, check(warn="> 0"), "rebooted", floor=CheckState.WARNING)
    assert floored.state == CheckState.WARNING
    worse = judge(9, check(crit="> 5"), "rebooted", floor=CheckState.WARNING)
    assert worse.state == CheckState.CRITICAL


def test_judge_without_a_message_shows_the_value() -> None:
    result = judge(23.456, check(unit="°C"), "")
    assert (result.message, result.unit) == ("23.46 °C", "°C")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(3.0, None, "3"), (97.0, "%", "97%"), (0.001234, "ms", "0.001234 ms"), (2.5, "V", "2.5 V")],
)
def test_format_value(value: float, unit: str | None, text: str) -> None:
    assert format_value(value, unit) == text

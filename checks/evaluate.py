"""From an observed number to a check state: the threshold rule every probe shares.

The rule (site.yaml ``ok``/``warn``/``crit``): ``crit`` holds -> CRITICAL; else ``warn``
holds -> WARNING; else ``ok`` is given and does not hold -> WARNING; else OK. A probe that
cannot observe a number at all ends early with ``ProbeFailure`` instead.
"""

from __future__ import annotations

import math

from checks.result import CheckState, ProbeResult
from data.models import CheckBase
from data.thresholds import Threshold


class ProbeFailure(Exception):
    """Raised inside a probe to end it with this state and reason (never a traceback).

    ``run_probe`` turns it into a ProbeResult; SNMP and SSH clients raise it for
    timeouts, refused credentials and untrusted host keys. The reason must never
    contain a secret.
    """

    def __init__(self, state: CheckState, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason


def format_value(value: float, unit: str | None = None) -> str:
    """A number as an operator reads it: ``23.5 °C``, ``3``, ``0.0012``."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = f"{value:.4g}" if abs(value) < 1e-2 else f"{value:.2f}".rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _verdict(
    value: float, check: CheckBase, warn_default: Threshold | None, crit_default: Threshold | None
) -> tuple[CheckState, str]:
    """The state under the rule and which threshold decided it (``"critical: > 32"``)."""
    ok, warn, crit = check.ok, check.warn, check.crit
    if ok is None and warn is None and crit is None:
        warn, crit = warn_default, crit_default
    if math.isnan(value):
        return CheckState.UNKNOWN, "not a number"
    if crit is not None and crit.holds(value):
        return CheckState.CRITICAL, f"critical: {crit}"
    if warn is not None and warn.holds(value):
        return CheckState.WARNING, f"warning: {warn}"
    if ok is not None and not ok.holds(value):
        return CheckState.WARNING, f"outside ok {ok}"
    return CheckState.OK, ""


def evaluate(
    value: float,
    check: CheckBase,
    *,
    unit: str | None = None,
    default_warn: Threshold | None = None,
    default_crit: Threshold | None = None,
) -> tuple[CheckState, str]:
    """The state of ``value`` under the check's thresholds, and why (empty when OK).

    ``default_warn``/``default_crit`` are a probe's built-in limits (e.g. disk use); they
    apply only when the check sets none of ok, warn and crit itself. ``unit`` (default:
    the check's own) is only for the reason's text, e.g. ``"35 °C (critical: > 32)"``.
    """
    state, rule = _verdict(value, check, default_warn, default_crit)
    shown = format_value(value, unit if unit is not None else check.unit)
    return state, f"{shown} ({rule})" if rule else ""


def judge(
    value: float,
    check: CheckBase,
    message: str,
    *,
    unit: str | None = None,
    values: dict[str, object] | None = None,
    default_warn: Threshold | None = None,
    default_crit: Threshold | None = None,
    floor: CheckState = CheckState.OK,
) -> ProbeResult:
    """A ProbeResult for ``value``: thresholds decide the state, the rule follows the message.

    Without a ``message`` the value itself is the message. ``floor`` is the least severe
    state the probe already knows (e.g. WARNING for a device that just rebooted);
    thresholds can only make it worse.
    """
    unit = unit if unit is not None else check.unit
    state, rule = _verdict(value, check, default_warn, default_crit)
    text = message or format_value(value, unit)
    return ProbeResult(
        state=max(state, floor),
        message=f"{text} ({rule})" if rule else text,
        value=value,
        unit=unit,
        values=dict(values or {}),
    )

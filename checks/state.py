"""The state machine of one check: soft/hard states, flapping, staleness, its alarm.

Pure logic, no I/O and no clock of its own: the scheduler hands each result in with the
time it arrived and turns the returned ``Step`` into events.

- A non-OK result is SOFT and retried at ``retry_interval`` until ``max_attempts`` results
  in a row are non-OK; then the state is HARD. Only a hard non-OK state makes an alarm.
- Recovery to OK is immediate: one OK result ends a soft or a hard problem.
- While hard, a change between two non-OK states is a hard transition too.
- Flapping (Nagios style): over the last 20 results, each change of state between one
  result and the next is weighted from 0.8 (oldest) to 1.2 (newest); the weighted sum over
  the total weight is the flap percentage. Flapping starts above 30% and ends below 25%;
  the gap keeps it from toggling. While flapping, alarms neither rise nor clear.
- Stale: no result within ``stale_after`` seconds of the last one (or of the start).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from checks.feed import CheckSnapshot
from checks.result import CheckState, ProbeResult
from data.models import Check

FLAP_WINDOW = 20  # results looked at
FLAP_START = 30.0  # percent: above this a check starts flapping
FLAP_STOP = 25.0  # percent: below this it stops
# One weight per change between consecutive results, oldest first: 0.8 rising to 1.2.
_CHANGES = FLAP_WINDOW - 1
FLAP_WEIGHTS = tuple(0.8 + 0.4 * i / (_CHANGES - 1) for i in range(_CHANGES))
_WEIGHT_TOTAL = sum(FLAP_WEIGHTS)


def flap_percent(history: list[CheckState] | tuple[CheckState, ...]) -> float:
    """Weighted percentage of state changes in ``history`` (oldest first, up to 20).

    A short history is scored against the full window's weight, so a check that has only
    just started cannot look like it is flapping.
    """
    recent = list(history)[-FLAP_WINDOW:]
    changes = [a != b for a, b in pairwise(recent)]
    weights = FLAP_WEIGHTS[len(FLAP_WEIGHTS) - len(changes) :]
    changed = sum(w for w, c in zip(weights, changes, strict=True) if c)
    return 100.0 * changed / _WEIGHT_TOTAL


@dataclass(frozen=True)
class Step:
    """What one result did. ``transition`` is (from, to, hard) or None."""

    transition: tuple[CheckState, CheckState, bool] | None
    first_failure: bool  # the first non-OK result after OK (attempt 1)
    flapping_started: bool
    flapping_stopped: bool
    stale_cleared: bool


AlarmChange = Literal["raise", "clear"]


class CheckTracker:
    """The state of one check. ``state=`` restores a known hard state (e.g. at start-up
    from the store); a restored non-OK state counts as an alarm already raised. Without
    one the check starts OK but not ``judged``: until its first hard state its device is
    not shown up (a dead device's first failures are soft, and it must not sit green)."""

    def __init__(
        self,
        check: Check,
        *,
        stale_after: float,
        since: float,
        state: CheckState | None = None,
    ) -> None:
        self.check = check
        self.stale_after = stale_after
        self.judged = state is not None  # a hard state is known (restored or reached)
        state = CheckState.OK if state is None else state
        self.state = state
        self.hard = True
        self.hard_state = state  # the last hard state: where a hard transition comes from
        self.attempt = check.max_attempts if state != CheckState.OK else 0
        self.alarm: CheckState | None = state if state != CheckState.OK else None
        self.flapping = False
        self.flap_percent = 0.0
        self.stale = False
        self.last_result: ProbeResult | None = None
        self.last_run: dt.datetime | None = None
        self.last_change: dt.datetime | None = None
        self._history: deque[CheckState] = deque(maxlen=FLAP_WINDOW)
        self._seen = since  # monotonic time of the last result (or of the start)

    @property
    def failing_soft(self) -> bool:
        return self.state != CheckState.OK and not self.hard

    def next_delay(self) -> float:
        """Seconds until the next run: ``retry_interval`` while a problem is soft."""
        return self.check.retry_interval if self.failing_soft else self.check.interval

    def record(self, result: ProbeResult, at: dt.datetime, now: float) -> Step:
        """Take one result, arrived at ``at`` (UTC) and ``now`` (monotonic)."""
        before, was_hard = self.state, self.hard
        new = result.state
        first_failure = new != CheckState.OK and before == CheckState.OK
        if new == CheckState.OK:
            self.attempt = 0
            self.hard = True
        else:
            self.attempt = min(self.attempt + 1, self.check.max_attempts)
            self.hard = self.attempt >= self.check.max_attempts
        self.state = new

        self.judged = self.judged or self.hard
        transition: tuple[CheckState, CheckState, bool] | None = None
        if self.hard and new != self.hard_state:
            transition = (self.hard_state, new, True)
            self.hard_state = new
        elif new != before or self.hard != was_hard:
            transition = (before, new, False)
        if transition is not None:
            self.last_change = at

        self._history.append(new)
        self.flap_percent = flap_percent(tuple(self._history))
        started = not self.flapping and self.flap_percent > FLAP_START
        stopped = self.flapping and self.flap_percent < FLAP_STOP
        self.flapping = (self.flapping or started) and not stopped

        stale_cleared = self.stale
        self.stale = False
        self.last_result, self.last_run, self._seen = result, at, now
        return Step(transition, first_failure, started, stopped, stale_cleared)

    def settle_alarm(self, hold: bool) -> AlarmChange | None:
        """Bring the alarm in line with the state. ``hold`` (maintenance, parent down)
        keeps a new alarm from rising; a recovery still clears. Flapping freezes both."""
        if self.flapping:
            return None
        wanted = self.state if self.hard and self.state != CheckState.OK else None
        if wanted == self.alarm:
            return None
        if wanted is None:
            self.alarm = None
            return "clear"
        if hold:
            return None
        self.alarm = wanted
        return "raise"

    def update_stale(self, now: float) -> bool:
        """Mark the check stale when its last result is too old; True if that changed."""
        stale = now - self._seen > self.stale_after
        changed = stale != self.stale
        self.stale = stale
        return changed

    def snapshot(self, device_id: str, next_run: dt.datetime | None) -> CheckSnapshot:
        last = self.last_result
        return CheckSnapshot(
            device_id=device_id,
            check_id=self.check.id,
            state=self.state,
            hard=self.hard,
            attempt=self.attempt,
            max_attempts=self.check.max_attempts,
            pending=last is None,
            stale=self.stale,
            flapping=self.flapping,
            flap_percent=self.flap_percent,
            alarm=self.alarm,
            message=last.message if last else "",
            value=last.value if last else None,
            unit=(last.unit if last else None) or self.check.unit,
            last_run=self.last_run,
            last_change=self.last_change,
            next_run=next_run,
        )

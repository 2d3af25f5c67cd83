"""The check scheduler: runs every check on its interval and turns results into events.

One loop drives a min-heap of due times (not one sleeping task per check). A check's first
run is offset by a stable hash over its interval (see ``timing.first_run_offset``); after
each run finishes it is re-armed (``interval``, or ``retry_interval`` while a problem is
soft), so runs of one check never stack. Probes run under ``timing.Slots`` (overall, per
protocol, per host) and an outer timeout, and whatever they do - hang, raise, return
garbage - the check gets an UNKNOWN result and the scheduler carries on.

The probe runner is injected: ``checks.probe.run_probe`` bound to the site in the
runtime, a fake in tests. The same object serves ``dutydesk check --once`` (``run_once``)
and the console (``run`` plus ``subscribe``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from checks.board import Key, StateBoard
from checks.feed import CheckSnapshot, Feed, ResultEvent, Subscription
from checks.result import CheckState, DeviceState, ProbeResult
from checks.state import CheckTracker
from checks.timing import Clock, Limits, Slots, SystemClock, first_run_offset, outer_timeout
from data.calendar import interval_factor as calendar_factor
from data.models import Check, Device, Site

# At start-up every check runs once within this many seconds (spread by a stable hash),
# so the wall fills in quickly without a burst; later runs keep their own interval.
STARTUP_SPREAD = 15.0
ProbeRunner = Callable[[Device, Check], Awaitable[ProbeResult]]
log = logging.getLogger(__name__)
_CANCEL_GRACE = 1.0  # seconds stop() waits for cancelled probes before giving up on them


@dataclass(frozen=True)
class SiteSnapshot:
    at: dt.datetime
    checks: dict[Key, CheckSnapshot]
    devices: dict[str, DeviceState]


class Scheduler:
    def __init__(
        self,
        site: Site,
        runner: ProbeRunner,
        *,
        clock: Clock | None = None,
        limits: Limits | None = None,
        queue_size: int = 1000,
        initial_states: Mapping[Key, CheckState] | None = None,
        interval_factor: Callable[[dt.datetime], float] | None = None,
    ) -> None:
        """``clock.monotonic`` must advance in real time (the loop sleeps on it);
        ``initial_states`` restores hard states known from the store. ``interval_factor``
        multiplies each re-arm delay at that moment (default: the site's assurance
        periods, ``data.calendar.interval_factor``: checks run more often during one)."""
        self._runner = runner
        self._interval_factor = interval_factor or partial(calendar_factor, site.site)
        self._clock: Clock = clock or SystemClock()
        self._limits = limits or Limits()
        self._slots = Slots(self._limits)
        self._feed = Feed(queue_size)
        self._devices = {d.id: d for d in site.devices}
        self._checks: dict[Key, Check] = {(d.id, c.id): c for d in site.devices for c in d.checks}
        self._board = StateBoard(
            site,
            since=self._clock.monotonic(),
            timeout_margin=self._limits.timeout_margin,
            initial_states=initial_states,
        )
        self._trackers = self._board.trackers
        stale_floor = min((t.stale_after for t in self._trackers.values()), default=10.0)
        self._sweep_every = min(1.0, max(0.01, stale_floor / 10))
        self._heap: list[tuple[float, int, Key]] = []
        self._armed: dict[Key, tuple[float, int]] = {}  # the one valid heap entry per key
        self._seq = itertools.count()
        self._running: Counter[Key] = Counter()
        self._recheck_asked: set[Key] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wake = asyncio.Event()
        self._looping = False
        self._stopping = False

    # -- public API --------------------------------------------------------------------

    async def run(self) -> None:
        """Run checks until ``stop()``; then cancel in-flight probes and end the feed."""
        if self._looping:
            raise RuntimeError("the scheduler is already running")
        self._looping = True
        start = self._clock.monotonic()
        for key, check in self._checks.items():
            if key not in self._armed:
                spread = min(check.interval, STARTUP_SPREAD)
                self._arm(key, start + first_run_offset(*key, spread))
        next_sweep = start
        try:
            while not self._stopping:
                self._wake.clear()
                now = self._clock.monotonic()
                self._start_due(now)
                if now >= next_sweep:
                    self._sweep_stale(now)
                    next_sweep = now + self._sweep_every
                wake_at = min(next_sweep, self._heap[0][0] if self._heap else math.inf)
                delay = max(0.0, wake_at - self._clock.monotonic())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            self._looping = False
            await self._cancel_tasks()
            self._feed.close()

    def stop(self) -> None:
        """Stop the loop and cancel in-flight probes; ``run()`` returns promptly."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
        self._wake.set()
        if not self._looping:
            self._feed.close()

    async def run_once(self, device_ids: Iterable[str] | None = None) -> list[ResultEvent]:
        """Run every check (of ``device_ids``, or all) once, concurrently within limits."""
        wanted = set(self._devices) if device_ids is None else set(device_ids)
        unknown = wanted - self._devices.keys()
        if unknown:
            raise KeyError(f"unknown devices: {', '.join(sorted(unknown))}")
        tasks = [self._spawn(self._execute(key)) for key in self._checks if key[0] in wanted]
        return list(await asyncio.gather(*tasks))

    def subscribe(self, capacity: int | None = None) -> Subscription:
        """A new stream of every event from now on; close it when done."""
        return self._feed.subscribe(capacity)

    def recheck(self, device_id: str, check_id: str | None = None) -> int:
        """Run a device's checks (or one) as soon as a slot is free, e.g. after a trap or
        an action. Returns how many were queued (0 when the loop is not running)."""
        device = self._devices[device_id]
        ids = [c.id for c in device.checks] if check_id is None else [device.check(check_id).id]
        return sum(self._recheck_key((device_id, cid)) for cid in ids)

    def snapshot(self) -> SiteSnapshot:
        """The current state of every check and device, for the UI to draw from."""
        checks = {key: self._check_snapshot(key) for key in self._trackers}
        return SiteSnapshot(self._clock.utcnow(), checks, dict(self._board.device_states))

    # -- scheduling --------------------------------------------------------------------

    def _arm(self, key: Key, due: float) -> None:
        seq = next(self._seq)
        self._armed[key] = (due, seq)
        heapq.heappush(self._heap, (due, seq, key))
        self._wake.set()

    def _start_due(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, seq, key = heapq.heappop(self._heap)
            if self._armed.get(key, (0.0, -1))[1] != seq:
                continue  # superseded by a later arm
            del self._armed[key]
            if not self._running[key]:  # else the run in flight re-arms it when done
                self._spawn(self._run_scheduled(key))

    def _recheck_key(self, key: Key) -> bool:
        if not self._looping or self._stopping:
            return False
        if self._running[key]:
            self._recheck_asked.add(key)
        else:
            self._arm(key, self._clock.monotonic())
        return True

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=_CANCEL_GRACE)

    async def _run_scheduled(self, key: Key) -> None:
        try:
            await self._execute(key)
        except Exception:  # a bug in state handling must not stop this check for good
            log.exception("handling the result of %s/%s failed", *key)

    async def _execute(self, key: Key) -> ResultEvent:
        self._running[key] += 1
        try:
            return self._apply(key, await self._probe(key))
        finally:
            self._running[key] -= 1
            if self._running[key] <= 0:
                del self._running[key]
                if self._looping and not self._stopping and key not in self._armed:
                    delay = self._trackers[key].next_delay()  # _apply failed to re-arm
                    self._arm(key, self._clock.monotonic() + delay)

    async def _probe(self, key: Key) -> ProbeResult:
        device, check = self._devices[key[0]], self._checks[key]
        limit = outer_timeout(check, self._limits.timeout_margin)
        async with self._slots.hold(device.host, check.type):
            started = self._clock.monotonic()
            deadline = asyncio.timeout(limit)
            try:
                async with deadline:
                    result: object = await self._runner(device, check)
            except TimeoutError:
                what = f"no result within {limit:g} s" if deadline.expired() else "timed out"
                result = ProbeResult(CheckState.UNKNOWN, what)
            except Exception as exc:  # the runner should never raise; be defensive anyway
                # The type only: an exception's text might quote a secret.
                log.warning("probe %s/%s raised %s", *key, type(exc).__name__)
                result = ProbeResult(CheckState.UNKNOWN, f"probe error: {type(exc).__name__}")
            if not isinstance(result, ProbeResult) or not isinstance(result.state, CheckState):
                result = ProbeResult(CheckState.UNKNOWN, "probe returned no usable result")
            if not result.duration_ms:
                elapsed = (self._clock.monotonic() - started) * 1000
                result = replace(result, duration_ms=elapsed)
            return result

    # -- results to events ---------------------------------------------------------------

    def _apply(self, key: Key, result: ProbeResult) -> ResultEvent:
        at, now = self._clock.utcnow(), self._clock.monotonic()

        def rearm(tracker: CheckTracker) -> dt.datetime | None:
            if not self._looping or self._stopping:
                return None
            factor = self._interval_factor(at)
            delay = 0.0 if key in self._recheck_asked else tracker.next_delay() * factor
            self._recheck_asked.discard(key)
            self._arm(key, now + delay)
            return at + dt.timedelta(seconds=delay)

        outcome = self._board.apply(key, result, at, now, rearm)
        for event in (outcome.event, *outcome.derived):
            self._feed.publish(event)
        for again in outcome.recheck:
            self._recheck_key(again)
        return outcome.event

    def _sweep_stale(self, now: float) -> None:
        for event in self._board.sweep_stale(now, self._clock.utcnow()):
            self._feed.publish(event)

    def _check_snapshot(self, key: Key) -> CheckSnapshot:
        next_run = None
        if key in self._armed:
            wait = max(0.0, self._armed[key][0] - self._clock.monotonic())
            next_run = self._clock.utcnow() + dt.timedelta(seconds=wait)
        return self._board.snapshot(key, next_run)

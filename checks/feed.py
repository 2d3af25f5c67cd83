"""The scheduler's event feed: what it tells the rest of the program, and how.

Every event is a frozen dataclass carrying ids (not model objects) and UTC times, so the
runtime can persist it and post it to the App as it is. A ``Feed`` fans each event out to
any number of ``Subscription``s; each has its own bounded queue, so a slow consumer never
blocks probing. When a queue is full its oldest ``ResultEvent`` is dropped (a newer result
for the check supersedes it); every other event is a record (a transition, an alarm) and
is never dropped, even if the queue has to grow past its bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from checks.result import CheckState, DeviceState, ProbeResult


@dataclass(frozen=True)
class CheckSnapshot:
    """A check's state as the UI shows it. ``pending``: no result yet; ``alarm``: the
    state of its raised alarm, None when no alarm is raised."""

    device_id: str
    check_id: str
    state: CheckState
    hard: bool
    attempt: int
    max_attempts: int
    pending: bool
    stale: bool
    flapping: bool
    flap_percent: float
    alarm: CheckState | None
    message: str
    value: float | None
    unit: str | None
    last_run: dt.datetime | None
    last_change: dt.datetime | None
    next_run: dt.datetime | None


@dataclass(frozen=True)
class ResultEvent:
    """One probe run and the check's state after it."""

    device_id: str
    check_id: str
    result: ProbeResult
    snapshot: CheckSnapshot
    at: dt.datetime


@dataclass(frozen=True)
class Transition:
    """A change of a check's state. ``hard`` is True when the hard state changed (an
    alarm-worthy change or a recovery from one); soft changes are recorded too.
    ``suppressed_reason`` says why no alarm follows it (a maintenance window's reason,
    "parent down", "parent failing", "flapping"), None when nothing suppresses it."""

    device_id: str
    check_id: str
    from_state: CheckState
    to_state: CheckState
    hard: bool
    at: dt.datetime
    message: str
    value: float | None
    suppressed_reason: str | None


@dataclass(frozen=True)
class AlarmRaised:
    """A hard non-OK state became an alarm. Raised again for a check that already has
    one, it means the alarm's state changed (e.g. WARNING to CRITICAL)."""

    device_id: str
    check_id: str
    state: CheckState
    at: dt.datetime
    message: str
    value: float | None


@dataclass(frozen=True)
class AlarmCleared:
    device_id: str
    check_id: str
    at: dt.datetime
    message: str


@dataclass(frozen=True)
class FlappingStarted:
    """The one alarm a flapping check raises; per-change alarms stay quiet until it stops."""

    device_id: str
    check_id: str
    at: dt.datetime
    percent: float


@dataclass(frozen=True)
class FlappingStopped:
    device_id: str
    check_id: str
    at: dt.datetime
    percent: float


@dataclass(frozen=True)
class CheckStale:
    """A check has had no result for too long (``stale``), or has one again."""

    device_id: str
    check_id: str
    stale: bool
    at: dt.datetime
    last_run: dt.datetime | None


@dataclass(frozen=True)
class DeviceStateChanged:
    device_id: str
    from_state: DeviceState
    to_state: DeviceState
    at: dt.datetime


Event = (
    ResultEvent
    | Transition
    | AlarmRaised
    | AlarmCleared
    | FlappingStarted
    | FlappingStopped
    | CheckStale
    | DeviceStateChanged
)


class Subscription:
    """One consumer's stream of events: ``async for event in subscription``.

    It ends (after the queued events) when the feed closes or ``close()`` is called.
    """

    def __init__(self, capacity: int, on_close: Callable[[Subscription], None]) -> None:
        self._capacity = max(1, capacity)
        self._items: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self._on_close = on_close
        self.dropped = 0  # ResultEvents dropped because this consumer fell behind

    def put(self, event: Event) -> None:
        if self._closed:
            return
        full = len(self._items) >= self._capacity
        if full and not self._drop_oldest_result() and isinstance(event, ResultEvent):
            self.dropped += 1  # nothing older to drop: this result is the one that goes
            return
        self._items.append(event)
        self._ready.set()

    def _drop_oldest_result(self) -> bool:
        for i, queued in enumerate(self._items):
            if isinstance(queued, ResultEvent):
                del self._items[i]
                self.dropped += 1
                return True
        return False

    def __len__(self) -> int:
        return len(self._items)

    def drain(self) -> list[Event]:
        """Everything queued now, without waiting (lets a consumer handle a batch)."""
        items = list(self._items)
        self._items.clear()
        return items

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._ready.set()
            self._on_close(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Feed:
    """Fans events out to subscriptions; publishing never waits on a consumer."""

    def __init__(self, capacity: int = 1000) -> None:
        self._capacity = capacity
        self._subscriptions: list[Subscription] = []
        self._closed = False

    def subscribe(self, capacity: int | None = None) -> Subscription:
        sub = Subscription(capacity or self._capacity, self._subscriptions.remove)
        self._subscriptions.append(sub)
        if self._closed:
            sub.close()  # a late subscriber gets an empty, finished stream
        return sub

    def publish(self, event: Event) -> None:
        for sub in self._subscriptions:
            sub.put(event)

    def close(self) -> None:
        self._closed = True
        for sub in list(self._subscriptions):
            sub.close()

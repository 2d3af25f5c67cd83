"""Helpers shared by the checks/ state and scheduler tests: small sites, fake runners,
waiting on the event stream with a deadline (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Sequence
from typing import Any

from checks.feed import Event, Subscription
from checks.result import CheckState, ProbeResult
from checks.scheduler import Scheduler
from checks.timing import Limits
from data.models import Check, Device, Site

OK = CheckState.OK


def make_site(devices: list[dict[str, Any]], maintenance: Sequence[dict[str, Any]] = ()) -> Site:
    return Site.model_validate(
        {
            "site": {"name": "t", "shifts": [{"name": "d", "start": "08:00", "end": "20:00"}]},
            "zones": [{"id": "z", "name": "Z"}],
            "devices": devices,
            "maintenance": list(maintenance),
        }
    )


def device(
    did: str, checks: list[str], depends_on: Sequence[str] = (), **kw: Any
) -> dict[str, Any]:
    made = [{"id": c, "type": "tcp", "port": 1, **kw} for c in checks]
    return {
        "id": did,
        "name": did,
        "kind": "server",
        "zone": "z",
        "host": "127.0.0.1",
        "depends_on": list(depends_on),
        "checks": made,
    }


DEADLINE = 5.0  # generous: the machine is shared; a pass takes a fraction of this
FAST = Limits(timeout_margin=0.05)


def on_host(d: dict[str, Any], host: str) -> dict[str, Any]:
    return {**d, "host": host}


async def next_event(sub: Subscription, match: Callable[[Event], bool]) -> Event:
    async def scan() -> Event:
        async for event in sub:
            if match(event):
                return event
        raise AssertionError("the feed ended first")

    return await asyncio.wait_for(scan(), DEADLINE)


async def collect_until(sub: Subscription, done: Callable[[list[Event]], bool]) -> list[Event]:
    seen: list[Event] = []

    async def scan() -> list[Event]:
        async for event in sub:
            seen.append(event)
            if done(seen):
                return seen
        raise AssertionError("the feed ended first")

    return await asyncio.wait_for(scan(), DEADLINE)


async def stop_and_wait(scheduler: Scheduler, task: asyncio.Task[None]) -> None:
    scheduler.stop()
    await asyncio.wait_for(task, DEADLINE)


class Recorder:
    """A runner that answers ``state`` and records calls and concurrency."""

    def __init__(self, state: CheckState = OK, gate: asyncio.Event | None = None) -> None:
        self.state = state
        self.gate = gate
        self.calls: collections.Counter[tuple[str, str]] = collections.Counter()
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.max_host: collections.Counter[str] = collections.Counter()
        self.total = self.max_total = 0
        self.changed = asyncio.Event()

    async def __call__(self, device: Device, check: Check) -> ProbeResult:
        self.calls[(device.id, check.id)] += 1
        self.in_flight[device.host] += 1
        self.total += 1
        self.max_host[device.host] = max(self.max_host[device.host], self.in_flight[device.host])
        self.max_total = max(self.max_total, self.total)
        self.changed.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
            return ProbeResult(self.state, f"{check.id} {self.state.name}")
        finally:
            self.in_flight[device.host] -= 1
            self.total -= 1

    async def until(self, condition: Callable[[], bool]) -> None:
        async def wait() -> None:
            while not condition():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), DEADLINE)

"""The one code path that runs checks, for the console and for ``dutydesk check``.

``CheckRuntime`` binds the site's probes (checks.probe) to the scheduler (checks.scheduler)
and hands every event to its listeners: the CLI prints them, the console persists them
(data.records) and posts them to the App. Listeners run on the event loop, in order, and
never inside a probe.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

from checks.feed import Event, ResultEvent
from checks.probe import ProbeContext, run_probe
from checks.result import ProbeResult
from checks.scheduler import Scheduler
from data.models import Check, Device, Site

Listener = Callable[[Event], Awaitable[None]]


class CheckRuntime:
    def __init__(self, site: Site, *, ping_binary: str | None = "auto") -> None:
        self.site = site
        self.context = ProbeContext(ping_binary=ping_binary)

        async def runner(device: Device, check: Check) -> ProbeResult:
            return await run_probe(site, device, check, self.context)

        self.scheduler = Scheduler(site, runner)
        self._listeners: list[Listener] = []
        self._tasks: list[asyncio.Task[None]] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def run_once(self, device_ids: Iterable[str] | None = None) -> list[ResultEvent]:
        return await self.scheduler.run_once(device_ids)

    async def start(self) -> None:
        """Start the scheduler and the dispatch of its events to the listeners."""
        subscription = self.scheduler.subscribe()

        async def dispatch() -> None:
            async for event in subscription:
                for listener in self._listeners:
                    await listener(event)

        self._tasks = [
            asyncio.create_task(dispatch(), name="dutydesk-dispatch"),
            asyncio.create_task(self.scheduler.run(), name="dutydesk-scheduler"),
        ]

    async def stop(self) -> None:
        self.scheduler.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        self._tasks = []
        await self.context.close()

    async def __aenter__(self) -> CheckRuntime:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

"""The one code path that runs checks, for the console and for ``dutydesk check``.

``CheckRuntime`` binds the site's probes (checks.probe) to the scheduler (checks.scheduler)
and hands every event to its listeners: the CLI prints them, the console persists them
(data.records) and posts them to the App. Listeners run on the event loop, in order, and
never inside a probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable

from checks.feed import Event, ResultEvent
from checks.probe import ProbeContext, run_probe
from checks.result import ProbeResult
from checks.scheduler import Scheduler
from checks.trap_decode import TrapEvent
from checks.traps import TrapReceiver, fan_out, recheck_on_trap
from data.masking import mask, mask_value
from data.models import Check, Device, Site

log = logging.getLogger(__name__)
RuntimeEvent = Event | TrapEvent
Listener = Callable[[RuntimeEvent], Awaitable[None]]


def masked(result: ProbeResult) -> ProbeResult:
    """The result with every known secret masked: its text goes to screens, records and
    the CLI, and a command or its output may hold a secret substituted from ${ENV}."""
    values = {key: mask_value(value) for key, value in result.values.items()}
    return dataclasses.replace(result, message=mask(result.message), values=values)


class CheckRuntime:
    def __init__(self, site: Site, *, ping_binary: str | None = "auto", traps: bool = True) -> None:
        self.site = site
        self.context = ProbeContext(ping_binary=ping_binary)

        async def runner(device: Device, check: Check) -> ProbeResult:
            return masked(await run_probe(site, device, check, self.context))

        self.scheduler = Scheduler(site, runner)
        self._listeners: list[Listener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._trap_queue: asyncio.Queue[TrapEvent] = asyncio.Queue(maxsize=10_000)
        self.trap_receiver: TrapReceiver | None = None
        self.trap_error: str | None = None  # why the receiver could not start, if it could not
        if traps and site.traps.credentials:
            self.trap_receiver = TrapReceiver(
                site,
                fan_out(recheck_on_trap(self.scheduler), self._queue_trap),
                engine_ids=site.traps.engine_ids,
                learn_engine_ids=site.traps.learn_engine_ids,
            )

    def _queue_trap(self, event: TrapEvent) -> None:
        # Called inside the receiver's datagram callback: only queue, never await there.
        with contextlib.suppress(asyncio.QueueFull):
            self._trap_queue.put_nowait(event)

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def run_once(self, device_ids: Iterable[str] | None = None) -> list[ResultEvent]:
        return await self.scheduler.run_once(device_ids)

    async def start(self) -> None:
        """Start the scheduler and the dispatch of its events to the listeners."""
        subscription = self.scheduler.subscribe()

        async def dispatch() -> None:
            async for event in subscription:
                await self._tell(event)

        async def dispatch_traps() -> None:
            while True:
                await self._tell(await self._trap_queue.get())

        if self.trap_receiver is not None:
            try:
                await self.trap_receiver.start()
            except OSError as error:  # e.g. the port is taken: checks go on without traps
                self.trap_error = str(error)
                log.warning("trap receiver not started: %s", error)
                self.trap_receiver = None
        self._tasks = [
            asyncio.create_task(dispatch(), name="dutydesk-dispatch"),
            asyncio.create_task(dispatch_traps(), name="dutydesk-traps"),
            asyncio.create_task(self.scheduler.run(), name="dutydesk-scheduler"),
        ]

    async def _tell(self, event: RuntimeEvent) -> None:
        for listener in self._listeners:
            await listener(event)

    async def stop(self) -> None:
        self.scheduler.stop()
        if self.trap_receiver is not None:
            await self.trap_receiver.stop()
        for task in self._tasks[1:2]:  # the trap dispatcher waits forever: cancel it
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        self._tasks = []
        await self.context.close()

    async def __aenter__(self) -> CheckRuntime:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

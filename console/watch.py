"""The watch: the checks, the trap receiver, the recorder and the duty clock of one store,
run by exactly one process, the holder of the store's watch lease (data.records.watch).

``dutydesk serve`` runs a ``Watch`` headless; a console runs one too and is the watch only
while nobody else is (the embedded default). A ``Watch`` that does not hold the lease is a
standby: it tries to take it every second and, once it has it, starts the checks. A beat
that finds the lease gone, or a fenced write that does, stops the checks at once. On stop
the in-flight batch is committed and the lease released, so a waiting ``serve`` takes over
without a gap.

No Textual here: callers are told of events through ``on_event`` and of the watch starting
or stopping through ``on_active``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from checks.feed import ResultEvent
from checks.trap_decode import TrapEvent
from console.recorder import CheckRecorder
from console.runtime import CheckRuntime, RuntimeEvent
from data.calendar import ResponseStatus
from data.desk import Desk
from data.records.alarms.model import Alarm
from data.records.checks.batch import CheckBatch
from data.records.watch.feed import LiveBatch, LiveFeed
from data.records.watch.lease import LeaseLost, WatchLease
from data.records.watch.model import Holder, WatchKind
from data.store import DatabaseFault

log = logging.getLogger(__name__)
STANDBY_POLL_SECONDS = 1.0
PRUNE_EVERY_SECONDS = 60.0
DUTY_CLOCK_SECONDS = 30.0


class FencedWriter:
    """The recorder's batches with their live rows, in one transaction that first checks
    this process still holds the lease (``LeaseLost`` rolls it back)."""

    def __init__(self, desk: Desk, lease: WatchLease, feed: LiveFeed, lost: Callable[[], None]):
        self.desk = desk
        self.lease = lease
        self.feed = feed
        self.lost = lost

    async def persist(self, batch: CheckBatch, live: LiveBatch) -> None:
        try:
            async with self.desk.store.transaction():
                await self.lease.fence()
                epoch = self.lease.epoch
                assert epoch is not None  # fence() raised otherwise
                await self.desk.checks.persist(batch)
                await self.feed.write(live, epoch)
        except LeaseLost:
            log.warning("the watch lease was taken over: %d check records not written", len(batch))
            self.lost()


class WatchStats:
    """What ``dutydesk status`` shows of the running watch, beaten into the lease row."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.results: deque[float] = deque()
        self.last_sweep: float | None = None  # wall time of the last result
        self.unknown_traps = 0

    def count(self, event: RuntimeEvent) -> None:
        if isinstance(event, ResultEvent):
            self.results.append(self.monotonic())
            self.last_sweep = event.at.timestamp()
        elif isinstance(event, TrapEvent) and event.device_id is None:
            self.unknown_traps += 1

    def checks_per_minute(self) -> int:
        horizon = self.monotonic() - 60
        while self.results and self.results[0] < horizon:
            self.results.popleft()
        return len(self.results)


class Watch:
    def __init__(
        self,
        desk: Desk,
        kind: WatchKind,
        *,
        on_event: Callable[[RuntimeEvent, Alarm | None], object] | None = None,
        on_active: Callable[[bool], object] | None = None,
        on_saving: Callable[[bool], object] | None = None,
        ping_binary: str | None = "auto",
        start_checks: bool = True,
    ) -> None:
        self.desk = desk
        self.holder = Holder.this_process(kind)
        self.lease = WatchLease(desk.store, desk.audit, self.holder, desk.site.watch)
        self.feed = LiveFeed(desk.store)
        self.on_event = on_event
        self.on_active = on_active
        self.on_saving = on_saving
        self.ping_binary = ping_binary
        self.start_checks = start_checks  # False: hold the lease but probe nothing (tests)
        self.runtime: CheckRuntime | None = None
        self.recorder: CheckRecorder | None = None
        self.stats = WatchStats()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lost = asyncio.Event()  # a fenced write found the lease gone
        self._switching = asyncio.Lock()
        self._duty_figures: tuple[int, int] | None = None

    @property
    def active(self) -> bool:
        return self.runtime is not None

    def dropped_datagrams(self) -> int:
        runtime = self.runtime
        if runtime is None:
            return 0
        receiver = runtime.trap_receiver
        traps = receiver.dropped.total if receiver is not None else 0
        return runtime.context.snmp.dropped.total + traps

    async def try_take(self) -> bool:
        """One try at the lease now; True when this watch is (now) active."""
        async with self._switching:
            if self.active:
                return True
            if not await self.lease.try_acquire():
                return False
            await self._take_up()
            return True

    async def start(self) -> None:
        """Watch if nobody does, else stand by; keeps doing so until ``stop``."""
        await self.try_take()
        self._loop_task = asyncio.create_task(self._loop(), name="dutydesk-watch")

    async def _loop(self) -> None:
        last_prune = last_duty = time.monotonic()
        settings = self.desk.site.watch
        while not self._stopping.is_set():
            try:
                if self.active:
                    if self._lost.is_set() or not await self.lease.heartbeat(self._stats()):
                        log.warning("the watch lease was taken over: this watch stops")
                        await self._stand_down()
                    else:
                        if self.runtime is not None:  # quick restarts at attached consoles
                            for device_id in await self.desk.watch.take_rechecks():
                                with contextlib.suppress(KeyError):  # not in this site.yaml
                                    self.runtime.scheduler.recheck(device_id)
                        now = time.monotonic()
                        if now - last_prune >= PRUNE_EVERY_SECONDS:
                            last_prune = now
                            await self.feed.prune()
                        if now - last_duty >= DUTY_CLOCK_SECONDS:
                            last_duty = now
                            await self._duty_clock()
                else:
                    await self.try_take()
            except DatabaseFault as fault:  # the store is failing: try again next round
                log.error("watch: %s", fault)
            except Exception:
                log.exception("watch loop")
            interval = settings.heartbeat_seconds if self.active else STANDBY_POLL_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake(), interval)

    async def _wake(self) -> None:
        stop = asyncio.create_task(self._stopping.wait())
        lost = asyncio.create_task(self._lost.wait())
        try:
            await asyncio.wait({stop, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            lost.cancel()

    def _stats(self) -> dict[str, Any]:
        return {
            "last_sweep": self.stats.last_sweep,
            "checks_per_minute": self.stats.checks_per_minute(),
            "dropped": self.dropped_datagrams(),
            "unknown_traps": self.stats.unknown_traps,
            "kind": self.holder.kind,
        }

    async def _take_up(self) -> None:
        log.info("watching the store as %s (epoch %s)", self.holder.id, self.lease.epoch)
        self._lost.clear()
        writer = FencedWriter(self.desk, self.lease, self.feed, self._lost.set)
        self.recorder = CheckRecorder(
            self.desk.checks,
            self.desk.alarms,
            self.desk.events,
            on_saving=self.on_saving,
            live_writer=writer,
        )
        self.runtime = CheckRuntime(self.desk.site, ping_binary=self.ping_binary)
        recorder = self.recorder

        async def relay(event: RuntimeEvent) -> None:
            self.stats.count(event)
            try:
                alarm = await recorder(event)
            except Exception:  # a failed write is logged; the checks go on
                log.exception("could not record %s", type(event).__name__)
                alarm = None
            if self.on_event is not None:
                self.on_event(event, alarm)

        self.runtime.listen(relay)
        if self.start_checks:
            await self.runtime.start()
        if self.on_active is not None:
            self.on_active(True)

    async def _stand_down(self) -> None:
        """Stop the checks (the lease is gone, or we are stopping)."""
        runtime, recorder = self.runtime, self.recorder
        self.runtime = self.recorder = None
        if runtime is not None:
            with contextlib.suppress(Exception):
                await runtime.stop()
        if recorder is not None:
            await recorder.close()  # fenced: after a takeover its writes roll back
        if runtime is not None and self.on_active is not None:
            self.on_active(False)

    async def _duty_clock(self) -> None:
        """Acknowledgements that ran out make their alarms loud again (in ``serve``); response
        deadlines and due inspections are logged as they change (a console shows them)."""
        desk = self.desk
        now = desk.clock()
        # A console that is the watch has its bell expire them (console/bell.py): it rings
        # for what it expired, and would not hear what its own watch wrote.
        if self.holder.kind == "serve":
            for alarm in await desk.alarms.expire_acks(now):
                log.warning("acknowledgement expired: %s/%s", alarm.device_id, alarm.check_id)
        breached = sum(
            1
            for _, clock in await desk.incidents.response_alerts(now)
            if clock.status is ResponseStatus.BREACHED
        )
        due = sum(1 for status in await desk.inspections.status(now) if not status.done)
        if (breached, due) != self._duty_figures:
            self._duty_figures = (breached, due)
            log.info("incidents past their response target: %d; inspections due: %d", breached, due)

    async def stop(self) -> None:
        """Commit what is in flight, hand the lease over and stop standing by."""
        self._stopping.set()
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        async with self._switching:
            held = self.active
            await self._stand_down()
            if held:
                with contextlib.suppress(DatabaseFault):
                    await self.lease.release()

"""Persists what the checks report: latest values, transitions, rollups and alarms.

Results arrive many per second; they are batched and written in one transaction per
flush (each awaited aiosqlite call costs ~60 µs, measured). Alarms are written at once,
since the bell and the alarm list depend on them.

When the database cannot be written (a ``DatabaseFault``: read-only, disk full, locked,
I/O error) nothing taken is dropped: the batch that failed stays in memory and is written
first once the store accepts writes again, new results keep merging into the next batch,
and alarm and trap writes queue in order behind each other. Retries back off from
``flush_every`` to ``retry_max`` seconds. A write whose COMMIT lost its answer (a server
store: ``DatabaseFault.in_doubt``) is settled before it is retried: one that committed is
not written twice (a transition recorded twice would count twice in every report).
``saving`` is False (and ``on_saving`` is told) from the first failed write until
everything waiting has been written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol, TypeVar

from checks.feed import (
    AlarmCleared,
    AlarmRaised,
    CheckSnapshot,
    CheckStale,
    DeviceStateChanged,
    Event,
    FlappingStarted,
    ResultEvent,
    Transition,
)
from checks.feed_codec import encode, encode_snapshot
from checks.trap_decode import TrapEvent
from data.clock import to_db
from data.records.alarms.book import AlarmBook
from data.records.alarms.model import Alarm
from data.records.checks.batch import CheckBatch
from data.records.checks.book import CheckRecords
from data.records.checks.model import TransitionRow
from data.records.events.book import EventLog
from data.records.watch.feed import LiveBatch
from data.store import DatabaseFault, InDoubtCommit

log = logging.getLogger(__name__)
Write = Callable[[], Awaitable[object]]
T = TypeVar("T")
# Events attached consoles must see soon: flushed after this, not after ``flush_every``.
URGENT_DELAY = 0.1
_URGENT = (Transition, DeviceStateChanged, AlarmRaised, AlarmCleared, FlappingStarted)


class LiveWriter(Protocol):
    """Writes a batch with the live rows for attached consoles, fenced by the watch lease
    (console/watch.py)."""

    async def persist(self, batch: CheckBatch, live: LiveBatch) -> None: ...


class CheckRecorder:
    def __init__(
        self,
        records: CheckRecords,
        alarms: AlarmBook,
        events: EventLog,
        flush_every: float = 1.0,
        *,
        retry_max: float = 30.0,
        on_saving: Callable[[bool], object] | None = None,
        live_writer: LiveWriter | None = None,
    ) -> None:
        self.records = records
        self.alarms = alarms
        self.events = events
        self.flush_every = flush_every
        self.retry_max = retry_max
        self.on_saving = on_saving
        self.saving = True  # False while what was taken cannot be written
        self.live_writer = live_writer  # None: nobody attaches (tests, ``check --watch``)
        self._batch = CheckBatch()
        self._live = LiveBatch()
        # a batch whose write failed, with its live rows: written first (unless the failed
        # write is in doubt and turns out to have committed)
        self._unsaved: tuple[CheckBatch, LiveBatch] | None = None
        self._unsaved_doubt: InDoubtCommit | None = None
        self._urgent = asyncio.Event()
        self._snapshots: dict[tuple[str, str], CheckSnapshot] = {}
        # alarm and trap writes that failed, in order, each with its doubt (if in doubt)
        self._queued: deque[tuple[Write, InDoubtCommit | None]] = deque()
        self._writing = asyncio.Lock()  # one flush at a time (close waits for a running one)
        self._flusher: asyncio.Task[None] | None = None
        # Each check's latest attempt count: the scheduler sends a result before the alarm
        # it raises, and the alarm keeps the attempts that made the failure hard.
        self._attempts: dict[tuple[str, str], int] = {}

    async def __call__(self, event: Event | TrapEvent) -> Alarm | None:
        """Take one event; returns the alarm row an alarm event created or changed."""
        if self.live_writer is not None and not isinstance(event, TrapEvent):
            self._publish(event)
        if isinstance(event, TrapEvent):
            # Traps are events of the room's log; no community or key is ever in them.
            detail = {
                "source": f"{event.source_ip}:{event.source_port}",
                "oid": event.oid,
                "version": event.version,
                "credential": event.credential,
                "varbinds": event.varbinds,
            }
            await self._write_now(
                lambda: self.events.add(
                    event.at,
                    "trap",
                    event.kind,
                    event.message,
                    device_id=event.device_id,
                    detail=detail,
                )
            )
        elif isinstance(event, ResultEvent):
            snap = event.snapshot
            self._attempts[(event.device_id, event.check_id)] = snap.attempt
            self._batch.add_result(
                event.device_id,
                event.check_id,
                state=snap.state.name,
                hard=snap.hard,
                attempt=snap.attempt,
                value=snap.value,
                unit=snap.unit,
                message=snap.message,
                at=event.at,
                stale=snap.stale,
            )
        elif isinstance(event, Transition):
            self._batch.add_transition(
                TransitionRow(
                    event.device_id,
                    event.check_id,
                    event.at,
                    event.from_state.name,
                    event.to_state.name,
                    event.hard,
                    event.message,
                    event.value,
                    event.suppressed_reason,
                )
            )
        elif isinstance(event, CheckStale):
            self._batch.mark_stale(event.device_id, event.check_id, event.stale)
        elif isinstance(event, AlarmRaised):
            attempts = self._attempts.get((event.device_id, event.check_id), 0)
            return await self._write_now(
                lambda: self.alarms.raise_or_update(
                    event.device_id,
                    event.check_id,
                    event.state.name,
                    event.message,
                    event.at,
                    attempts=attempts,
                )
            )
        elif isinstance(event, FlappingStarted):
            message = f"flapping ({event.percent:.0f}% state changes)"
            return await self._write_now(
                lambda: self.alarms.raise_or_update(
                    event.device_id,
                    event.check_id,
                    "WARNING",
                    message,
                    event.at,
                    attempts=0,
                    flapping=True,
                )
            )
        elif isinstance(event, AlarmCleared):
            return await self._write_now(
                lambda: self.alarms.clear(event.device_id, event.check_id, event.at)
            )
        self._ensure_flusher()
        return None

    def _publish(self, event: Event) -> None:
        """Into the live rows of the next flush, for attached consoles."""
        live = self._live
        live.events.append(encode(event))
        if isinstance(event, ResultEvent):
            key = (event.device_id, event.check_id)
            self._snapshots[key] = event.snapshot
            live.checks[key] = encode_snapshot(event.snapshot)
        elif isinstance(event, CheckStale):
            key = (event.device_id, event.check_id)
            if (snapshot := self._snapshots.get(key)) is not None:
                self._snapshots[key] = snapshot = replace(snapshot, stale=event.stale)
                live.checks[key] = encode_snapshot(snapshot)
        elif isinstance(event, DeviceStateChanged):
            live.devices[event.device_id] = (event.to_state.value, to_db(event.at))
        if isinstance(event, _URGENT):
            self._urgent.set()
        self._ensure_flusher()

    async def _write_now(self, write: Callable[[], Awaitable[T]]) -> T | None:
        """An alarm or trap write at once; when the store fails, or earlier ones still
        wait, it queues behind them (in order: a clear never overtakes its raise)."""
        doubt = None
        if not self._queued:
            try:
                result = await write()
            except DatabaseFault as fault:
                self._failed(fault)
                doubt = fault.in_doubt
            else:
                if self._unsaved is None:
                    self._set_saving(True)
                return result
        self._queued.append((write, doubt))
        self._ensure_flusher()
        return None

    def _ensure_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later(), name="dutydesk-flush")

    async def _flush_later(self) -> None:
        delay = self.flush_every  # gather a second of results into one write
        while True:
            if self.saving:  # a transition is flushed soon; a failing store backs off
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), delay)
                    await asyncio.sleep(URGENT_DELAY)  # the events that follow it, too
            else:
                await asyncio.sleep(delay)
            self._urgent.clear()
            # shielded: a close() meanwhile waits for this write instead of cutting it off
            if not await asyncio.shield(self.flush()):
                delay = min(delay * 2, self.retry_max)  # the store is failing: back off
            elif len(self._batch) or len(self._live):
                delay = self.flush_every  # more arrived while writing
            else:
                return

    async def flush(self) -> bool:
        """Write everything waiting, oldest first; True when nothing is left unsaved."""
        async with self._writing:
            try:
                await self._write_queued()
                if self._unsaved is not None:
                    if not await _committed(self._unsaved_doubt):
                        try:
                            await self._persist(*self._unsaved)
                        except DatabaseFault as fault:
                            self._unsaved_doubt = fault.in_doubt
                            raise
                    self._unsaved, self._unsaved_doubt = None, None
                batch, self._batch = self._batch, CheckBatch()
                live, self._live = self._live, LiveBatch()
                if len(batch) or len(live):
                    try:
                        await self._persist(batch, live)
                    except DatabaseFault as fault:
                        self._unsaved, self._unsaved_doubt = (batch, live), fault.in_doubt
                        raise
            except DatabaseFault as fault:
                self._failed(fault)
                return False
            self._set_saving(True)
            return True

    async def _write_queued(self) -> None:
        while self._queued:
            write, doubt = self._queued[0]
            try:
                if not await _committed(doubt):
                    await write()
            except DatabaseFault as fault:
                self._queued[0] = (write, fault.in_doubt)
                raise
            except Exception:  # not the store's fault: it would fail forever; logged
                log.exception("dropped a queued alarm or trap write that cannot succeed")
            self._queued.popleft()

    async def _persist(self, batch: CheckBatch, live: LiveBatch) -> None:
        try:
            if self.live_writer is not None:
                await self.live_writer.persist(batch, live)
            else:
                await self.records.persist(batch)
        except DatabaseFault:
            raise
        except Exception:  # not the store's fault: it would fail forever; logged
            log.exception("could not persist %d check records", len(batch))

    def _failed(self, fault: DatabaseFault) -> None:
        if self.saving:
            log.error("records are not being saved, retrying: %s", fault)
        self._set_saving(False)

    def _set_saving(self, saving: bool) -> None:
        if saving != self.saving:
            self.saving = saving
            if saving:
                log.warning("records are being saved again")
            if self.on_saving is not None:
                self.on_saving(saving)

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if not await self.flush():  # one last try; after this nothing holds them
            unsaved = len(self._batch) + (len(self._unsaved[0]) if self._unsaved else 0)
            log.error(
                "closed with %d check records and %d alarm or trap writes unsaved",
                unsaved,
                len(self._queued),
            )


async def _committed(doubt: InDoubtCommit | None) -> bool:
    """Whether a write that failed in doubt committed after all (asking the server; a
    ``DatabaseFault`` while it does not answer); False for a write that plainly failed."""
    if doubt is None:
        return False
    committed = await doubt.committed()
    log.warning(
        "a write whose commit answer was lost %s",
        "had committed: not written again" if committed else "had not committed: written again",
    )
    return committed

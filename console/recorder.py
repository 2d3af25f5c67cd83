"""Persists what the checks report: latest values, transitions, rollups and alarms.

Results arrive many per second; they are batched and written in one transaction per
flush (each awaited aiosqlite call costs ~60 µs, FACTS.md). Alarms are written at once,
since the bell and the alarm list depend on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from checks.feed import (
    AlarmCleared,
    AlarmRaised,
    CheckStale,
    Event,
    FlappingStarted,
    ResultEvent,
    Transition,
)
from checks.trap_decode import TrapEvent
from data.records.alarms import Alarm, AlarmBook
from data.records.check_batch import CheckBatch, TransitionRow
from data.records.checks import CheckRecords
from data.records.events import EventLog

log = logging.getLogger(__name__)


class CheckRecorder:
    def __init__(
        self, records: CheckRecords, alarms: AlarmBook, events: EventLog, flush_every: float = 1.0
    ) -> None:
        self.records = records
        self.alarms = alarms
        self.events = events
        self.flush_every = flush_every
        self._batch = CheckBatch()
        self._flusher: asyncio.Task[None] | None = None
        # Each check's latest attempt count: the scheduler sends a result before the alarm
        # it raises, and the alarm keeps the attempts that made the failure hard.
        self._attempts: dict[tuple[str, str], int] = {}

    async def __call__(self, event: Event | TrapEvent) -> Alarm | None:
        """Take one event; returns the alarm row an alarm event created or changed."""
        if isinstance(event, TrapEvent):
            # Traps are events of the room's log; no community or key is ever in them.
            await self.events.add(
                event.at, "trap", event.kind, event.message, device_id=event.device_id,
                detail={"source": f"{event.source_ip}:{event.source_port}", "oid": event.oid,
                        "version": event.version, "credential": event.credential,
                        "varbinds": event.varbinds},
            )  # fmt: skip
        elif isinstance(event, ResultEvent):
            snap = event.snapshot
            self._attempts[(event.device_id, event.check_id)] = snap.attempt
            self._batch.add_result(
                event.device_id, event.check_id, state=snap.state.name, hard=snap.hard,
                attempt=snap.attempt, value=snap.value, unit=snap.unit, message=snap.message,
                at=event.at, stale=snap.stale,
            )  # fmt: skip
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
            return await self.alarms.raise_or_update(
                event.device_id, event.check_id, event.state.name, event.message, event.at,
                attempts=self._attempts.get((event.device_id, event.check_id), 0),
            )  # fmt: skip
        elif isinstance(event, FlappingStarted):
            return await self.alarms.raise_or_update(
                event.device_id, event.check_id, "WARNING",
                f"flapping ({event.percent:.0f}% state changes)", event.at, attempts=0,
                flapping=True,
            )  # fmt: skip
        elif isinstance(event, AlarmCleared):
            return await self.alarms.clear(event.device_id, event.check_id, event.at)
        self._ensure_flusher()
        return None

    def _ensure_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later(), name="dutydesk-flush")

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.flush_every)  # gather a second of results into one write
        await self.flush()

    async def flush(self) -> None:
        batch, self._batch = self._batch, CheckBatch()
        if len(batch):
            try:
                await self.records.persist(batch)
            except Exception:  # a failed write must not stop the checks; it is logged
                log.exception("could not persist %d check records", len(batch))

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()

"""The console's side of the checks: runs the CheckRuntime inside the App's event loop,
persists its events and posts them to the App as messages (never touching widgets)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from textual.message import Message

from console.recorder import CheckRecorder
from console.runtime import CheckRuntime, RuntimeEvent
from data.desk import Desk
from data.records.alarms.model import Alarm

log = logging.getLogger(__name__)


class CheckEvent(Message):
    """One event of the scheduler, with the alarm row it created or changed, if any."""

    def __init__(self, event: RuntimeEvent, alarm: Alarm | None) -> None:
        super().__init__()
        self.event = event
        self.alarm = alarm


class SavingChanged(Message):
    """The recorder's writes began failing (``saving`` False) or all succeed again."""

    def __init__(self, saving: bool) -> None:
        super().__init__()
        self.saving = saving


class Background(Protocol):
    """Something that runs beside the console, like the demo lab."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class Live:
    """The checks of the desk's site, recorded into the desk's books (the alarm book is
    the desk's: acknowledging works whether or not the checks run)."""

    def __init__(self, desk: Desk, post: Callable[[Message], object]) -> None:
        self.recorder = CheckRecorder(
            desk.checks,
            desk.alarms,
            desk.events,
            on_saving=lambda saving: post(SavingChanged(saving)),
        )
        self.runtime = CheckRuntime(desk.site)
        self._post = post

        async def relay(event: RuntimeEvent) -> None:
            try:
                alarm = await self.recorder(event)
            except Exception:  # a failed write is logged; the checks go on
                log.exception("could not record %s", type(event).__name__)
                alarm = None
            self._post(CheckEvent(event, alarm))

        self.runtime.listen(relay)

    def dropped_datagrams(self) -> int:
        """SNMP replies and traps dropped as forged, foreign or garbage (checks.drops)."""
        receiver = self.runtime.trap_receiver
        traps = receiver.dropped.total if receiver is not None else 0
        return self.runtime.context.snmp.dropped.total + traps

    async def start(self) -> None:
        await self.runtime.start()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.runtime.stop()
        await self.recorder.close()

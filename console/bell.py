"""The alarm bell: a new hard CRITICAL alarm and an expired acknowledgement ring the
terminal bell and flash the header until the operator has seen it.

Muting (AlarmBook.mute_bell, audited) silences the bell only: the header still flashes,
since a mute never hides an alarm. Expired acks are polled with a timer re-armed after
each poll finishes, so a slow database never stacks polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from textual.app import App
from textual.timer import Timer

from checks.feed import AlarmRaised
from checks.result import CheckState
from console.live import CheckEvent
from data.records.alarms.book import AlarmBook
from data.records.alarms.model import Alarm

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0
FLASH_CLASS = "-ringing"  # the header's look while ringing is in console/app.tcss


class AlarmBell:
    def __init__(
        self,
        app: App[Any],
        book: AlarmBook,
        *,
        redraw: Callable[[], None],
        expired: Callable[[Iterable[Alarm]], None],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        """``redraw()`` redraws the header (it flashes); ``expired(alarms)`` puts alarms
        whose acknowledgement ran out back into the live views."""
        self.app = app
        self.book = book
        self._redraw = redraw
        self._expired = expired
        self.poll_seconds = poll_seconds
        self.flashing = False  # until seen: a key press, or the alarms screen shown
        self.rings = 0  # bells sounded
        self.silenced = 0  # rings the mute kept quiet
        self._timer: Timer | None = None

    def start(self) -> None:
        """Start polling for expired acknowledgements."""
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _arm(self) -> None:
        self._timer = self.app.set_timer(self.poll_seconds, self._poll)

    async def _poll(self) -> None:
        try:
            await self.expire_acks()
        except Exception:  # a failed poll is logged; the next one tries again
            log.exception("could not expire acknowledgements")
        finally:
            if self._timer is not None:
                self._arm()

    async def expire_acks(self) -> list[Alarm]:
        """Remove acknowledgements that ran out; their alarms are loud again."""
        expired = await self.book.expire_acks()
        if expired:
            self._expired(expired)
            await self.ring()
        return expired

    def hear(self, message: CheckEvent) -> None:
        """Called for every check event: a hard CRITICAL alarm rings."""
        event = message.event
        if (
            isinstance(event, AlarmRaised)
            and event.state is CheckState.CRITICAL
            and message.alarm is not None
        ):
            self.app.call_later(self.ring)

    async def ring(self) -> bool:
        """Flash the header, and sound the bell unless it is muted; True if it sounded."""
        self.flashing = True
        self._redraw()
        if await self.book.bell_muted() is not None:
            self.silenced += 1
            return False
        self.rings += 1
        self.app.bell()
        return True

    def seen(self) -> None:
        if self.flashing:
            self.flashing = False
            self._redraw()

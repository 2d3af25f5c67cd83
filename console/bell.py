"""The alarm bell: a new hard CRITICAL alarm and an expired acknowledgement ring the
terminal bell and flash the header until the operator has seen it.

Muting (AlarmBook.mute_bell, audited) silences the bell only: the header still flashes,
since a mute never hides an alarm. Expired acks are polled with a timer re-armed after
each poll finishes, so a slow database never stacks polls.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from textual.timer import Timer

from checks.feed import AlarmRaised
from checks.result import CheckState
from console.live import CheckEvent
from console.screens.ack import alarm_book, apply_alarm_changes
from data.records.alarms.model import Alarm

if TYPE_CHECKING:
    from console.app import DutyDeskApp

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0
FLASH_CLASS = "-ringing"
# App-level CSS (a widget's DEFAULT_CSS is scoped to it and loaded only once it is used).
BELL_CSS = f"""
DutyHeader.{FLASH_CLASS} {{
    background: $error;
    color: $text;
    text-style: bold;
}}
"""


class AlarmBell:
    def __init__(self, app: DutyDeskApp, poll_seconds: float = POLL_SECONDS) -> None:
        self.app = app
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
        book = alarm_book(self.app)
        if book is None:
            return []
        expired = await book.expire_acks()
        if expired:
            apply_alarm_changes(self.app, expired)
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
        self.app.refresh_header()
        book = alarm_book(self.app)
        if book is not None and await book.bell_muted() is not None:
            self.silenced += 1
            return False
        self.rings += 1
        self.app.bell()
        return True

    def seen(self) -> None:
        if self.flashing:
            self.flashing = False
            self.app.refresh_header()

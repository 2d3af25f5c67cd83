"""The console's side of the watch: a console runs the watch itself when nobody else does
(console/watch.py, the embedded default) and otherwise attaches, reading what the watch
writes (console/store_tail.py). Either way its news reaches the App as messages; nothing
here touches a widget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.message import Message

from console.recorder import CheckRecorder
from console.runtime import CheckRuntime, RuntimeEvent
from console.store_tail import StoreTail
from console.watch import Watch
from data.desk import Desk
from data.records.alarms.model import Alarm


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


class WatchRoleChanged(Message):
    """This console became the watch (``active``) or stopped being it (another took the
    lease): the App switches between its own events and the store's."""

    def __init__(self, active: bool) -> None:
        super().__init__()
        self.active = active


class Background(Protocol):
    """Something that runs beside the console, like the demo lab."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class Live:
    """The watch this console may run, and the tail of what others write."""

    def __init__(
        self, desk: Desk, post: Callable[[Message], object], *, start_checks: bool = True
    ) -> None:
        self.watch = Watch(
            desk,
            "console",
            on_event=lambda event, alarm: post(CheckEvent(event, alarm)),
            on_active=lambda active: post(WatchRoleChanged(active)),
            on_saving=lambda saving: post(SavingChanged(saving)),
            start_checks=start_checks,
        )
        self.tail = StoreTail(desk)

    @property
    def runtime(self) -> CheckRuntime | None:
        """The running checks while this console is the watch (an action's recheck goes
        through them); None while attached."""
        return self.watch.runtime

    @property
    def recorder(self) -> CheckRecorder | None:
        return self.watch.recorder

    @property
    def active(self) -> bool:
        return self.watch.active

    def dropped_datagrams(self) -> int:
        """SNMP replies and traps dropped as forged, foreign or garbage (checks.drops)."""
        return self.watch.dropped_datagrams()

    async def start(self) -> None:
        await self.watch.start()

    async def stop(self) -> None:
        await self.watch.stop()

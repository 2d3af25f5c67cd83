"""What a screen may ask of the console it runs in.

Screens and dialogs take a ``DeskContext`` in their constructor (or only the book they
need) and return what they decided through ``dismiss``; none of them imports the App.
``console.app.DutyDeskApp`` implements the context: the desk's books, who is logged in,
the live view of the checks, and the few things only the App can do (redraw the header,
tell every live view that alarms changed, hand the console over).

``LiveView`` is the one interface the App uses to tell a screen that devices changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from console.header_figures import HeaderFigures
from console.live_state import LiveState
from console.runtime import CheckRuntime
from data.accounts import User
from data.desk import Desk
from data.records.alarms.model import Alarm


class DeskContext(Protocol):
    @property
    def desk(self) -> Desk:
        """Every record book of the console's database, with the site and the clock."""
        ...

    @property
    def user(self) -> User | None:
        """Who is logged in at this console (None before the first login)."""
        ...

    @property
    def live_state(self) -> LiveState | None:
        """The live checks as this console knows them; None when it runs no checks."""
        ...

    @property
    def check_runtime(self) -> CheckRuntime | None:
        """The running checks (their probe context and scheduler), if this console runs
        them: an action's recheck goes through it."""
        ...

    @property
    def figures(self) -> HeaderFigures:
        """The header's figures read from the store (incidents, inspections, the room):
        a change made at this console invalidates its figure."""
        ...

    def refresh_header(self) -> None: ...

    async def refresh_duty(self) -> None:
        """Read again who holds the watch (the header names the duty operator)."""
        ...

    async def took_over(self, incoming: User) -> None:
        """A handover signed here by both: ``incoming`` now holds this console."""
        ...

    def alarms_changed(self, alarms: Iterable[Alarm]) -> None:
        """Alarms were acknowledged, withdrawn or expired here: put them into the live
        state and redraw every live view that shows them."""
        ...

    def alarms_seen(self) -> None:
        """The operator is looking at the alarms: the ringing header stops flashing."""
        ...

    async def show_incident(self, incident_id: int) -> None:
        """Switch to the incidents section with ``incident_id`` selected."""
        ...

    def take_wanted_incident(self) -> int | None:
        """The incident the incidents section was asked to show (asked once)."""
        ...


class LiveView:
    """A screen that shows live check state. The App calls ``refresh_live`` with the ids
    of the devices whose checks changed (None: all) after each batch of check events and
    after alarms changed at this console."""

    def refresh_live(self, changed: set[str] | None) -> None:
        raise NotImplementedError

"""Figures the header shows that live in the store: open incidents, today's inspections,
people in the machine room.

The header is redrawn every second and must not query the store each time: each figure
is read in a worker at most every ``max_age`` seconds and the last text is shown
meanwhile. A change made at this console calls ``invalidate`` to count again at once (or
``put`` when it has just counted, like the visitors screen).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from data.calendar import ResponseStatus
from data.desk import Desk
from data.errors import DutyDeskError
from data.i18n import t
from data.records.inspections.model import DueStatus
from data.records.roster.model import OnRoster
from data.records.roster.names import PeopleNames

log = logging.getLogger(__name__)

INCIDENTS_MAX_AGE = 30.0  # seconds: another desk may open or answer incidents
INSPECTIONS_MAX_AGE = 60.0
ROOM_MAX_AGE = 15.0  # another desk may register people too
FOLLOWUPS_MAX_AGE = 60.0  # another desk may close incidents or follow up
WARRANTIES_MAX_AGE = 600.0  # a warranty's 60 days change by the day
ROSTER_MAX_AGE = 60.0  # the shift changes, another desk may edit the roster

Read = Callable[[], Awaitable[str]]
StartWorker = Callable[[Coroutine[Any, Any, None], str], object]


class HeaderFigure:
    def __init__(
        self,
        name: str,
        read: Read,
        max_age: float,
        *,
        monotonic: Callable[[], float],
        start: StartWorker,
        changed: Callable[[], None],
    ) -> None:
        """``start(coroutine, group)`` runs a reading in a worker; ``changed()`` redraws
        the header."""
        self.name = name
        self.read = read
        self.max_age = max_age
        self._monotonic = monotonic
        self._start = start
        self._changed = changed
        self._text = ""
        self._fetched: float | None = None  # monotonic() of the last reading
        self._busy = False
        self._again = False  # changed while a reading ran: that reading may be too old

    def text(self) -> str:
        """The last text; starts a new reading in a worker when it is too old."""
        now = self._monotonic()
        stale = self._fetched is None or now - self._fetched >= self.max_age
        if stale and not self._busy:
            self._busy = True
            self._start(self._refresh(), f"header-{self.name}")
        return self._text

    def invalidate(self) -> None:
        """Something changed at this console: read again now, not in up to max_age."""
        self._fetched = None
        self._again = self._busy
        self._changed()

    def put(self, text: str) -> None:
        """A reading made elsewhere just now (e.g. the visitors screen counted the room)."""
        self._fetched = self._monotonic()
        if text != self._text:
            self._text = text
            self._changed()

    async def _refresh(self) -> None:
        try:
            text = await self.read()
        except (DutyDeskError, sqlite3.Error, ValueError, RuntimeError) as error:
            # e.g. the store closing at exit: keep the old text
            log.warning("header figure %s: %s", self.name, error)
            return
        finally:
            self._busy = False
            # a change during the reading: it may not have seen it, so the next redraw
            # reads again instead of trusting this for max_age
            self._fetched = None if self._again else self._monotonic()
            self._again = False
        if text != self._text or self._fetched is None:
            self._text = text
            self._changed()


@dataclass(frozen=True)
class HeaderFigures:
    incidents: HeaderFigure
    inspections: HeaderFigure
    room: HeaderFigure
    followups: HeaderFigure
    warranties: HeaderFigure
    roster: HeaderFigure

    def invalidate_all(self) -> None:
        """Records changed at another console: every figure is read again."""
        for item in dataclasses.fields(self):
            figure = getattr(self, item.name)
            if isinstance(figure, HeaderFigure):
                figure.invalidate()


def header_figures(
    desk: Desk, *, monotonic: Callable[[], float], start: StartWorker, changed: Callable[[], None]
) -> HeaderFigures:
    """The three figures over ``desk``, read through ``start`` and redrawn by ``changed``."""

    def figure(name: str, read: Read, max_age: float) -> HeaderFigure:
        return HeaderFigure(name, read, max_age, monotonic=monotonic, start=start, changed=changed)

    async def incidents() -> str:
        not_closed = await desk.incidents.not_closed()
        alerts = await desk.incidents.response_alerts(desk.clock())
        states = [clock.status for _, clock in alerts]
        at_risk = states.count(ResponseStatus.AT_RISK)
        return incidents_text(len(not_closed), at_risk, states.count(ResponseStatus.BREACHED))

    async def inspections() -> str:
        return inspections_text(await desk.inspections.status(desk.clock()))

    async def room() -> str:
        return room_text(len(await desk.visitors.inside_now()))

    async def followups() -> str:
        return followups_text(await desk.hotline.count_due())

    async def warranties() -> str:
        return warranties_text(len(await desk.assets.expiring()))

    async def roster() -> str:
        on_roster = await desk.roster.on_shift()
        names = await desk.roster.people_names() if on_roster is not None else PeopleNames()
        return roster_text(on_roster, names)

    return HeaderFigures(
        incidents=figure("incidents", incidents, INCIDENTS_MAX_AGE),
        inspections=figure("inspections", inspections, INSPECTIONS_MAX_AGE),
        room=figure("room", room, ROOM_MAX_AGE),
        followups=figure("followups", followups, FOLLOWUPS_MAX_AGE),
        warranties=figure("warranties", warranties, WARRANTIES_MAX_AGE),
        roster=figure("roster", roster, ROSTER_MAX_AGE),
    )


def incidents_text(not_closed: int, at_risk: int, breached: int) -> str:
    """``故障 3 ⚠1 临近超时 ✖1 响应超时``: open, near or past the response deadline."""
    if not not_closed:
        return ""
    parts = [t("header.incidents", n=not_closed)]
    if at_risk:
        parts.append(t("header.incidents_at_risk", n=at_risk))
    if breached:
        parts.append(t("header.incidents_breached", n=breached))
    return " ".join(parts)


def inspections_text(statuses: Sequence[DueStatus]) -> str:
    """``巡检 待做 1/2``: scheduled inspections of the current period not yet done."""
    if not statuses:
        return ""
    due = [s for s in statuses if not s.done]
    if not due:
        return t("header.inspections_done")
    return t("header.inspections_due", due=len(due), total=len(statuses))


def room_text(inside: int) -> str:
    """People in the machine room now; nothing when it is empty."""
    return t("header.room", n=inside) if inside else ""


def followups_text(due: int) -> str:
    """``待回访 2``: closed incidents whose caller has not been followed up yet."""
    return t("header.followups", n=due) if due else ""


def warranties_text(ending: int) -> str:
    """``保修到期 2``: devices whose warranty (or contract) ends within 60 days."""
    return t("header.warranty", n=ending) if ending else ""


def roster_text(on_roster: OnRoster | None, names: PeopleNames) -> str:
    """``排班 张三、李四 带班 韦主任 [国庆节保障]``: who the roster names for the shift now,
    by full name; nothing when the roster names nobody."""
    if on_roster is None or not (on_roster.operators or on_roster.leader):
        return ""
    parts = [t("header.roster", people="、".join(names.each(on_roster.operators)) or "—")]
    if on_roster.leader:
        parts.append(t("header.roster_leader", name=on_roster.leader))
    if on_roster.period is not None:
        parts.append(t("header.roster_period", name=on_roster.period.name))
    return " ".join(parts)

"""Figures the header shows that live in the store (open incidents, today's inspections).

The header is redrawn every second and must not query the store each time: each figure
is read in a worker at most every ``max_age`` seconds and the last text is shown
meanwhile. A change made at this console calls ``invalidate`` to count again at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from data.errors import DutyDeskError

if TYPE_CHECKING:
    from console.app import DutyDeskApp

log = logging.getLogger(__name__)


@dataclass
class _Cached:
    text: str = ""
    fetched: float | None = None  # app.config.monotonic() of the last reading
    busy: bool = False


class HeaderFigure:
    def __init__(
        self, name: str, read: Callable[[DutyDeskApp], Awaitable[str]], max_age: float = 30.0
    ) -> None:
        self.name = name
        self.read = read
        self.max_age = max_age
        self._cache: WeakKeyDictionary[DutyDeskApp, _Cached] = WeakKeyDictionary()

    def text(self, app: DutyDeskApp) -> str:
        """The last text; starts a new reading in a worker when it is too old."""
        cached = self._cache.setdefault(app, _Cached())
        now = app.config.monotonic()
        stale = cached.fetched is None or now - cached.fetched >= self.max_age
        if stale and not cached.busy:
            cached.busy = True
            app.run_worker(self._refresh(app, cached), group=f"header-{self.name}",
                           exit_on_error=False)  # fmt: skip
        return cached.text

    def invalidate(self, app: DutyDeskApp) -> None:
        cached = self._cache.get(app)
        if cached is not None:
            cached.fetched = None
        app.refresh_header()

    async def _refresh(self, app: DutyDeskApp, cached: _Cached) -> None:
        try:
            text = await self.read(app)
        except DutyDeskError as error:  # e.g. the store closing at exit: keep the old text
            log.warning("header figure %s: %s", self.name, error)
            return
        finally:
            cached.busy = False
            cached.fetched = app.config.monotonic()
        if text != cached.text:
            cached.text = text
            app.refresh_header()

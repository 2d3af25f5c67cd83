"""Counters of dropped datagrams per source and reason, with a rate-limited log line.

Anyone can send UDP to the SNMP client's port or the trap port, from as many addresses as
they like. A dropped datagram therefore costs one counter increment, and the log gets at
most one line per source per ``interval`` (saying how many were dropped since the line
before), so a flood cannot rotate the log away. At most ``max_sources`` sources are told
apart; the rest are counted together under ``OTHER_SOURCES``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

OTHER_SOURCES = "other"


class DropCounters:
    def __init__(
        self,
        what: str,
        log: logging.Logger,
        *,
        interval: float = 60.0,
        max_sources: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``what`` names the datagrams in the log line, e.g. "SNMP replies"."""
        self.what = what
        self._log, self._interval, self._max_sources, self._clock = (
            log,
            interval,
            max_sources,
            clock,
        )
        self._counts: Counter[tuple[str, str]] = Counter()
        self._sources: Counter[str] = Counter()
        self._unlogged: dict[str, Counter[str]] = {}  # source -> reasons since its last line
        self._next_line: dict[str, float] = {}  # source -> when it may be logged again

    def note(self, source: str, reason: str) -> None:
        """Count one datagram from ``source`` (an address) dropped for ``reason``."""
        if source not in self._sources and len(self._sources) >= self._max_sources:
            source = OTHER_SOURCES
        self._counts[(source, reason)] += 1
        self._sources[source] += 1
        self._unlogged.setdefault(source, Counter())[reason] += 1
        now = self._clock()
        if now >= self._next_line.get(source, now):
            self._next_line[source] = now + self._interval
            reasons = self._unlogged.pop(source)
            why = ", ".join(f"{reason}: {n}" for reason, n in reasons.most_common())
            self._log.warning(
                "dropped %d %s from %s since the last report (%s); at most one such line "
                "per source every %gs",
                reasons.total(),
                self.what,
                source,
                why,
                self._interval,
            )

    @property
    def total(self) -> int:
        return self._sources.total()

    def by_source(self) -> dict[str, int]:
        return dict(self._sources)

    def by_reason(self) -> dict[str, int]:
        reasons: Counter[str] = Counter()
        for (_, reason), n in self._counts.items():
            reasons[reason] += n
        return dict(reasons)

    def counts(self) -> dict[tuple[str, str], int]:
        """{(source, reason): datagrams dropped}."""
        return dict(self._counts)

    def summary(self, limit: int = 3) -> str:
        """E.g. "127.0.0.3: 60, 10.0.0.9: 2" for the sources with the most drops."""
        return ", ".join(f"{source}: {n}" for source, n in self._sources.most_common(limit))

"""The hotline's figures for the monthly report: calls received, how many became or joined
incidents, follow-ups done by satisfaction, and follow-ups still due. Read straight from
the tables (no cipher needed: nothing personal is counted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data.clock import to_db
from data.records.hotline.model import SATISFACTIONS
from data.store import Store

# Closed incidents someone reported (linked to a call, or opened with a caller) with no
# follow-up since they closed: the one definition the book, the header and the report use.
DUE_SQL = """
SELECT i.id, i.title, i.closed_at, i.caller AS incident_caller, i.department
FROM incidents i
WHERE i.status = 'closed'
  AND (i.caller IS NOT NULL OR EXISTS (SELECT 1 FROM hotline_calls c WHERE c.incident_id = i.id))
  AND NOT EXISTS (SELECT 1 FROM hotline_followups f
                  WHERE f.incident_id = i.id AND f.done_at >= i.closed_at)
"""


@dataclass(frozen=True)
class HotlineStats:
    calls: int  # received in the period
    to_incidents: int  # of those, turned into or linked to an incident
    followups: dict[str, int]  # done in the period, per satisfaction (SATISFACTIONS)
    open_followups: int  # due when the report was made

    @property
    def followups_done(self) -> int:
        return sum(self.followups.values())

    @property
    def satisfaction_rate(self) -> float | None:
        """Satisfied or mostly satisfied, over the follow-ups done; None without any."""
        done = self.followups_done
        pleased = self.followups["satisfied"] + self.followups["mostly_satisfied"]
        return pleased / done if done else None


async def count_due(store: Store) -> int:
    row = await store.fetchone(f"SELECT count(*) FROM ({DUE_SQL}) AS due")
    return int(row[0]) if row is not None else 0


async def hotline_stats(store: Store, start: datetime, end: datetime) -> HotlineStats:
    span = (to_db(start), to_db(end))
    calls = await store.fetchone(
        "SELECT count(*), count(incident_id) FROM hotline_calls"
        " WHERE received_at >= ? AND received_at < ?",
        span,
    )
    rows = await store.fetchall(
        "SELECT satisfaction, count(*) FROM hotline_followups"
        " WHERE done_at >= ? AND done_at < ? GROUP BY satisfaction",
        span,
    )
    followups = dict.fromkeys(SATISFACTIONS, 0) | {str(r[0]): int(r[1]) for r in rows}
    assert calls is not None  # an aggregate always has its row
    return HotlineStats(int(calls[0]), int(calls[1]), followups, await count_due(store))

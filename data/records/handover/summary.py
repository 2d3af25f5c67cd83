"""The handover summary (交接班摘要): what happened during a watch, compiled from the records.

``compile_summary(store, since, until, ...)`` reads, for [since, until):

- hard state transitions (check_transitions) and the alarms raised, cleared and still
  open at ``until`` with their acknowledgement (alarms);
- restart actions run: audit rows with action ``action.run``;
- people still in the room at ``until``, from the access log when it exists, and
  incidents opened, closed and still open, from the incident records when they exist
  (data.records.handover.sources; None when the store has neither);
- inspections done, due and missed (from ``InspectionBook``, when one is given);
- the outgoing operator's notes and the pending items open at ``since`` or opened since.

The summary is stored as JSON with the handover the outgoing operator signed: its type,
``HandoverSummary``, is in data.records.handover.model.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from data.clock import from_db, to_db
from data.records.alarms.model import COLUMNS as ALARM_COLUMNS
from data.records.alarms.model import Alarm, alarm_from_row
from data.records.checks.model import transition_from_row
from data.records.handover.model import (
    ActionLine,
    HandoverSummary,
    InspectionLine,
    PendingItem,
    pending_from_row,
)
from data.records.handover.sources import incident_summary, people_in_room
from data.records.inspections.book import InspectionBook
from data.store import Store

MAX_ROWS = 1000  # of each kind: a summary longer than this is not read anyway


async def compile_summary(
    store: Store,
    since: datetime,
    until: datetime,
    *,
    notes: str = "",
    inspections: InspectionBook | None = None,
) -> HandoverSummary:
    window = (to_db(since), to_db(until))
    transitions = await store.fetchall(
        "SELECT id, at, device_id, check_id, from_state, to_state, hard, message, value,"
        " suppressed_reason FROM check_transitions WHERE at >= ? AND at < ? AND hard = 1"
        " ORDER BY at, id LIMIT ?",
        (*window, MAX_ROWS),
    )
    return HandoverSummary(
        since=since,
        until=until,
        transitions=[transition_from_row(row) for row in transitions],
        alarms_raised=await _alarms(store, "raised_at >= ? AND raised_at < ?", window),
        alarms_cleared=await _alarms(store, "cleared_at >= ? AND cleared_at < ?", window),
        alarms_open=await _alarms(
            store, "raised_at < ? AND (cleared_at IS NULL OR cleared_at >= ?)", (until, until)
        ),
        actions=await _actions(store, window),
        people_in_room=await people_in_room(store, until),
        incidents=await incident_summary(store, since, until),
        inspections=await _inspections(inspections, since, until),
        notes=notes,
        pending=await pending_items(store, since, until),
    )


async def pending_items(store: Store, since: datetime, until: datetime) -> list[PendingItem]:
    """Items opened before ``until`` that were still open at ``since`` (closed ones show
    who closed them and when), oldest first."""
    rows = await store.fetchall(
        "SELECT id, handover_id, text, opened_by, opened_at, closed_by, closed_at, close_note"
        " FROM handover_pending WHERE opened_at < ? AND (closed_at IS NULL OR closed_at >= ?)"
        " ORDER BY opened_at, id",
        (to_db(until), to_db(since)),
    )
    return [pending_from_row(row) for row in rows]


async def _alarms(store: Store, where: str, params: tuple[Any, ...]) -> list[Alarm]:
    values = [to_db(p) if isinstance(p, datetime) else p for p in params]
    rows = await store.fetchall(
        f"SELECT {ALARM_COLUMNS} FROM alarms WHERE {where} ORDER BY raised_at, id LIMIT ?",
        (*values, MAX_ROWS),
    )
    return [alarm_from_row(row) for row in rows]


async def _actions(store: Store, window: tuple[str, str]) -> list[ActionLine]:
    rows = await store.fetchall(
        "SELECT ts, user, object, outcome, detail FROM audit"
        " WHERE action = 'action.run' AND ts >= ? AND ts < ? ORDER BY id LIMIT ?",
        (*window, MAX_ROWS),
    )
    return [
        ActionLine(
            at=from_db(row["ts"]),
            user=row["user"],
            target=row["object"],
            outcome=row["outcome"],
            detail=json.loads(row["detail"]),
        )
        for row in rows
    ]


async def _inspections(
    book: InspectionBook | None, since: datetime, until: datetime
) -> list[InspectionLine]:
    if book is None:
        return []
    lines = [
        InspectionLine(
            template_id=r.template.id,
            template_name=r.template.name,
            period=r.period or "",
            due_by=r.submitted_at or until,
            state="done",
            record_id=r.id,
        )
        for r in await book.records(since, until)
    ]
    due = [s for s in await book.status(until) if not s.done]
    for state, statuses in (("missed", await book.missed(since, until)), ("due", due)):
        lines += [
            InspectionLine(
                template_id=s.template.id,
                template_name=s.template.name,
                period=s.period.label,
                due_by=s.due_by,
                state=state,
                record_id=None,
            )
            for s in statuses
        ]
    return lines

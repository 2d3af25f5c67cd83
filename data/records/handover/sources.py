"""The optional sources of a handover summary: records other parts of dutydesk keep.

The access log (migration 0003, data.records.visitors) and the incident records
(data.records.incidents) are read here through their tables, by the few columns named
below, so that a store without them (or an older schema) still compiles a summary: the
functions return None when a table is missing, and the summary says "not available".
"""

from __future__ import annotations

from datetime import datetime

from data.clock import from_db, to_db
from data.records.handover.model import (
    IncidentLine,
    IncidentSummary,
    PersonInRoom,
    with_times,
)
from data.store import Store

MAX_ROWS = 1000


async def people_in_room(store: Store, at: datetime) -> list[PersonInRoom] | None:
    """Who was inside at ``at``, from the access log (migration 0003, data.records.visitors).

    Expects a table ``access_records`` with at least ``id, name, entered_at, exited_at``
    (exited_at NULL while inside); ``kind`` ('visitor'/'staff'), ``organisation``,
    ``badge`` and ``escort`` are used when present. Only those columns are read: ID and
    phone numbers never enter a handover. None when the table is not there.
    """
    columns = await _columns(store, "access_records")
    if not {"id", "name", "entered_at", "exited_at"} <= columns:
        return None
    optional = {"kind": "'staff'", "organisation": "''", "badge": "NULL", "escort": "NULL"}
    picked = ", ".join(
        f"{name if name in columns else default} AS {name}" for name, default in optional.items()
    )
    moment = to_db(at)
    rows = await store.fetchall(
        f"SELECT id, name, entered_at, {picked} FROM access_records"
        " WHERE entered_at < ? AND (exited_at IS NULL OR exited_at >= ?)"
        " ORDER BY entered_at, id LIMIT ?",
        (moment, moment, MAX_ROWS),
    )
    return [
        PersonInRoom(
            record_id=int(row["id"]),
            kind=str(row["kind"]),
            name=str(row["name"]),
            organisation=str(row["organisation"] or ""),
            badge=row["badge"],
            escort=row["escort"],
            entered_at=from_db(row["entered_at"]),
        )
        for row in rows
    ]


async def incident_summary(
    store: Store, since: datetime, until: datetime
) -> IncidentSummary | None:
    """Incidents opened, closed and still open, from the incident records.

    Expects a table ``incidents`` with at least ``id, opened_at, closed_at`` (closed_at
    NULL until closed); ``title``, ``severity`` and ``status`` are used when present.
    None when the table is not there.
    """
    columns = await _columns(store, "incidents")
    if not {"id", "opened_at", "closed_at"} <= columns:
        return None
    optional = {"title": "''", "severity": "NULL", "status": "NULL"}
    picked = ", ".join(
        f"{name if name in columns else default} AS {name}" for name, default in optional.items()
    )
    select = f"SELECT id, opened_at, closed_at, {picked} FROM incidents WHERE "
    window = (to_db(since), to_db(until))

    async def lines(where: str, params: tuple[str, ...]) -> list[IncidentLine]:
        rows = await store.fetchall(
            select + where + " ORDER BY opened_at, id LIMIT ?", (*params, MAX_ROWS)
        )
        return [
            IncidentLine.model_validate(with_times(dict(row), "opened_at", "closed_at"))
            for row in rows
        ]

    return IncidentSummary(
        opened=await lines("opened_at >= ? AND opened_at < ?", window),
        closed=await lines("closed_at >= ? AND closed_at < ?", window),
        still_open=await lines(
            "opened_at < ? AND (closed_at IS NULL OR closed_at >= ?)", (window[1], window[1])
        ),
    )


async def _columns(store: Store, table: str) -> set[str]:
    """The table's column names (empty when it is not there), on either backend."""
    if getattr(store, "dialect", "sqlite") == "postgresql":
        rows = await store.fetchall(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
    else:
        rows = await store.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
    return {str(row[0]) for row in rows}

"""The search of the access log: one SQL statement built from the filters given, then the
items of the records found in one more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from data.clock import to_db
from data.records.visitors.model import COLUMNS, AccessError, AccessRecord, record_from_row
from data.store import Store

MAX_LIMIT = 5000


@dataclass
class SearchFilter:
    name: str | None = None
    organisation: str | None = None
    date_from: date | datetime | None = None
    date_to: date | datetime | None = None
    badge: str | None = None
    id_index: str | None = None
    phone_index: str | None = None
    limit: int = 200


async def search_records(store: Store, where: SearchFilter, tz: tzinfo) -> list[AccessRecord]:
    """Records matching every filter given, newest entry first."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, text in (("name", where.name), ("organisation", where.organisation)):
        if text and text.strip():
            clauses.append(f"{column} LIKE ? ESCAPE '\\'")
            params.append(f"%{_escape_like(text.strip())}%")
    for column, value in (
        ("badge", where.badge),
        ("id_index", where.id_index),
        ("phone_index", where.phone_index),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    start = _moment(where.date_from, tz, end=False)
    end = _moment(where.date_to, tz, end=True)
    if start is not None and end is not None and start >= end:
        raise AccessError("the start of the range is after its end", code="bad_date_range")
    if end is not None:  # entered before the range ended ...
        clauses.append("entered_at < ?")
        params.append(to_db(end))
    if start is not None:  # ... and still inside, or left after it began
        clauses.append("(exited_at IS NULL OR exited_at >= ?)")
        params.append(to_db(start))
    sql = f"SELECT {COLUMNS} FROM access_records"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    limit = max(1, min(int(where.limit), MAX_LIMIT))
    rows = await store.fetchall(
        f"{sql} ORDER BY entered_at DESC, id DESC LIMIT ?", (*params, limit)
    )
    if not rows:
        return []
    ids = [int(row["id"]) for row in rows]
    marks = ", ".join("?" * len(ids))
    items = await store.fetchall(
        "SELECT record_id, direction, description, serial, count FROM access_items"
        f" WHERE record_id IN ({marks}) ORDER BY record_id, direction, position",
        ids,
    )
    by_record: dict[int, list[Any]] = {}
    for item in items:
        by_record.setdefault(int(item["record_id"]), []).append(item)
    return [record_from_row(row, by_record.get(int(row["id"]), [])) for row in rows]


def _moment(value: date | datetime | None, tz: tzinfo, *, end: bool) -> datetime | None:
    """A datetime as given (it must be aware); a date as the start of that day, or for
    the end of a range the start of the next day (the whole day is included)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("search times must be timezone-aware")
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(), tzinfo=tz)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

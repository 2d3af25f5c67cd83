"""Finding past incidents: full-text search and "past fixes" for a new alarm.

The index is SQLite FTS5 with the trigram tokenizer (migration 0005): a query term
matches any text that contains it, which is what Chinese needs (no spaces between
words: "数据库连接" finds "数据库连接池耗尽"). A trigram index cannot look up a term shorter
than three characters, so a query with such a term is answered with LIKE instead (a
scan, fine for the thousands of incidents a machine room collects in years).

On PostgreSQL the index is pg_trgm's GIN index over the four text columns joined by spaces
(``PG_TEXT``, the expression of the PostgreSQL migration 0005), which serves ``ILIKE
'%term%'`` for any term: a search is every term ILIKE the text, best trigram similarity
first; past fixes rank by how many of the alarm message's trigrams they contain. Terms hold
no white space, so none matches across two columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from data.records.incidents.model import COLUMNS, Incident, incident_from_row
from data.store import Store

TRIGRAM = 3
MAX_SIMILAR_TERMS = 64  # trigrams of an alarm message OR'd together; more only adds noise
_FIXED = "status IN ('resolved', 'closed')"  # those that carry a cause and a solution
_TEXT_COLUMNS = ("title", "description", "cause", "solution")
# The expression pg_trgm's index is built on (PostgreSQL migration 0005): keep them equal.
PG_TEXT = (
    "(coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || coalesce(cause, '')"
    " || ' ' || coalesce(solution, ''))"
)


@dataclass(frozen=True)
class SimilarIncident:
    """A past incident offered when an alarm fires; ``reason`` is why it was picked:
    ``same_check``, ``same_device``, ``same_kind`` (the same check on another device of
    the same kind) or ``text``."""

    incident: Incident
    reason: str


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _prefixed(columns: str, alias: str) -> str:
    return ", ".join(f"{alias}.{name.strip()}" for name in columns.split(","))


def _on_postgres(store: Store) -> bool:
    return getattr(store, "dialect", "sqlite") == "postgresql"


async def search(store: Store, text: str, limit: int = 50) -> list[Incident]:
    """Incidents whose title, description, cause or solution contain every word of
    ``text`` (split on white space), best matches first (newest first under LIKE)."""
    terms = text.split()
    if not terms:
        return []
    if _on_postgres(store):
        where = " AND ".join(f"{PG_TEXT} ILIKE ? ESCAPE '\\'" for _ in terms)
        rows = await store.fetchall(
            f"SELECT {COLUMNS} FROM incidents WHERE {where}"
            f" ORDER BY similarity({PG_TEXT}, ?) DESC, reported_at DESC, id DESC LIMIT ?",
            (*(_like_pattern(term) for term in terms), " ".join(terms), limit),
        )
        return [incident_from_row(row) for row in rows]
    if all(len(term) >= TRIGRAM for term in terms):
        match = " AND ".join(_quoted(term) for term in terms)
        rows = await store.fetchall(
            f"SELECT {_prefixed(COLUMNS, 'i')} FROM incidents_fts"
            " JOIN incidents AS i ON i.id = incidents_fts.rowid"
            " WHERE incidents_fts MATCH ? ORDER BY incidents_fts.rank, i.reported_at DESC"
            " LIMIT ?",
            (match, limit),
        )
        return [incident_from_row(row) for row in rows]
    any_column = " OR ".join(f"{name} LIKE ? ESCAPE '\\'" for name in _TEXT_COLUMNS)
    where = " AND ".join(f"({any_column})" for _ in terms)
    params: list[Any] = [_like_pattern(term) for term in terms for _ in _TEXT_COLUMNS]
    rows = await store.fetchall(
        f"SELECT {COLUMNS} FROM incidents WHERE {where} ORDER BY reported_at DESC, id DESC LIMIT ?",
        (*params, limit),
    )
    return [incident_from_row(row) for row in rows]


def trigrams(text: str) -> list[str]:
    """The distinct three-character pieces of each word of ``text``, in order."""
    found: dict[str, None] = {}
    for word in text.split():
        for start in range(len(word) - TRIGRAM + 1):
            found.setdefault(word[start : start + TRIGRAM].lower())
    return list(found)[:MAX_SIMILAR_TERMS]


async def similar(
    store: Store,
    device_id: str | None,
    check_id: str | None,
    text: str,
    limit: int = 10,
    exclude_id: int | None = None,
    same_kind: Sequence[str] = (),
) -> list[SimilarIncident]:
    """Past fixes (resolved or closed incidents) for a new fault, best first: those of the
    same device and check, then of the same device, then of the same check on the devices
    ``same_kind`` (the other devices of its kind: a UPS's fix for a UPS), then those whose
    text shares the most trigrams with ``text`` (e.g. the alarm's message), the devices
    of its kind first. Text alone would offer a switch reboot for a UPS alarm."""
    found: list[SimilarIncident] = []
    seen: set[int] = set() if exclude_id is None else {exclude_id}

    def take(rows: list[Any], reason: str) -> None:
        for row in rows:
            if len(found) < limit and int(row["id"]) not in seen:
                seen.add(int(row["id"]))
                found.append(SimilarIncident(incident_from_row(row), reason))

    newest = "ORDER BY reported_at DESC, id DESC LIMIT ?"
    if device_id is not None and check_id is not None:
        sql = f"SELECT {COLUMNS} FROM incidents WHERE {_FIXED} AND device_id = ? AND check_id = ?"
        take(
            await store.fetchall(f"{sql} {newest}", (device_id, check_id, limit + 1)), "same_check"
        )
    if device_id is not None and len(found) < limit:
        sql = f"SELECT {COLUMNS} FROM incidents WHERE {_FIXED} AND device_id = ?"
        take(await store.fetchall(f"{sql} {newest}", (device_id, limit + len(seen))), "same_device")
    if check_id is not None and same_kind and len(found) < limit:
        marks = ", ".join("?" * len(same_kind))
        sql = (
            f"SELECT {COLUMNS} FROM incidents WHERE {_FIXED} AND check_id = ?"
            f" AND device_id IN ({marks})"
        )
        params = (check_id, *same_kind, limit + len(seen))
        take(await store.fetchall(f"{sql} {newest}", params), "same_kind")
    pieces = trigrams(text)
    if pieces and len(found) < limit and _on_postgres(store):
        hits = " + ".join(f"({PG_TEXT} ILIKE ? ESCAPE '\\')::int" for _ in pieces)
        any_piece = " OR ".join(f"{PG_TEXT} ILIKE ? ESCAPE '\\'" for _ in pieces)
        patterns = [_like_pattern(piece) for piece in pieces]
        rows = await store.fetchall(
            f"SELECT {COLUMNS} FROM incidents WHERE {_FIXED} AND ({any_piece})"
            f" ORDER BY {hits} DESC, reported_at DESC, id DESC LIMIT ?",
            (*patterns, *patterns, limit + len(seen)),
        )
        kin = {device_id, *same_kind}
        take(sorted(rows, key=lambda row: row["device_id"] not in kin), "text")  # stable
    elif pieces and len(found) < limit:
        rows = await store.fetchall(
            f"SELECT {_prefixed(COLUMNS, 'i')} FROM incidents_fts"
            " JOIN incidents AS i ON i.id = incidents_fts.rowid"
            f" WHERE incidents_fts MATCH ? AND i.{_FIXED}"
            " ORDER BY incidents_fts.rank, i.reported_at DESC LIMIT ?",
            (" OR ".join(_quoted(piece) for piece in pieces), limit + len(seen)),
        )
        kin = {device_id, *same_kind}
        take(sorted(rows, key=lambda row: row["device_id"] not in kin), "text")  # stable
    return found

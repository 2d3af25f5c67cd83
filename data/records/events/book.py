"""The event log: what happened that is not a check result. SNMP traps (from unknown
senders too), system events (start, stop, configuration reloaded), and the like.

``detail`` is stored as JSON and must never hold a secret: a trap's variable bindings or a
sender's message may carry a community string or a key, so values under a key that names
a secret are replaced by ``REDACTED`` before anything is written, at any depth. Values
JSON cannot hold are stored as their type's name, never their text (a SecretStr's repr
is safe, but an unknown object's may not be).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from data.clock import from_db, to_db
from data.records.events.model import Event
from data.store import Store

REDACTED = "[redacted]"
# Matched anywhere in a key, ignoring case and separators: over-redacting is the safe way.
_SECRET_WORDS = re.compile(
    r"password|passwd|passphrase|secret|token|community|authkey|privkey|pwhash|privatekey"
)
_COLUMNS = "id, at, device_id, source, kind, message, detail"
_INSERT = (
    "INSERT INTO events (at, device_id, source, kind, message, detail) VALUES (?, ?, ?, ?, ?, ?)"
)


class EventLog:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(
        self,
        at: datetime,
        source: str,
        kind: str,
        message: str,
        device_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Log one event; returns its id."""
        rows = await self._store.write(
            _INSERT + " RETURNING id",
            _params(Event(at, source, kind, message, device_id, detail)),
        )
        return int(rows[0][0])

    async def add_many(self, events: Iterable[Event]) -> None:
        """Log several in one transaction (a trap storm costs one write, not hundreds)."""
        params = [_params(event) for event in events]
        if params:
            await self._store.write_many(_INSERT, params)

    async def recent(
        self,
        limit: int = 200,
        device_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
    ) -> list[Event]:
        """Events at or after ``since`` and before ``until``, newest first."""
        where, params = ["1 = 1"], list[Any]()
        for clause, value in (
            ("device_id = ?", device_id),
            ("at >= ?", to_db(since) if since else None),
            ("at < ?", to_db(until) if until else None),
            ("source = ?", source),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        rows = await self._store.fetchall(
            f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(where)}"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            Event(
                from_db(row["at"]),
                row["source"],
                row["kind"],
                row["message"],
                row["device_id"],
                json.loads(row["detail"]),
                int(row["id"]),
            )
            for row in rows
        ]


def scrub(value: Any) -> Any:
    """``value`` made JSON-safe, with the values of secret-named keys redacted."""
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if names_secret(str(key)) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return to_db(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return scrub(value.value)
    if isinstance(value, bytes):
        return value.hex()
    return f"<{type(value).__name__}>"


def names_secret(key: str) -> bool:
    """True for keys such as ``community``, ``snmpCommunity``, ``auth-key``, ``password``."""
    return _SECRET_WORDS.search(re.sub(r"[\s_.\-]", "", key.lower())) is not None


def _params(event: Event) -> tuple[Any, ...]:
    detail = json.dumps(scrub(event.detail or {}), ensure_ascii=False, sort_keys=True)
    return (to_db(event.at), event.device_id, event.source, event.kind, event.message, detail)

"""The audit trail: an append-only, hash-chained table of who did what, where and when.

Each row's ``hash`` is SHA-256 (hex) of ``prev_hash`` followed by the canonical JSON of the
row's fields (id, ts, user, terminal, action, object, outcome, detail; sorted keys, compact,
UTF-8). The first row's ``prev_hash`` is 64 zeros. Triggers refuse UPDATE and DELETE and any
INSERT that does not extend the chain; another trigger keeps the chain head (last id and
hash) in ``meta`` under ``audit.head``, moving only forward.

What ``verify()`` proves, and what it cannot: it finds a row changed or deleted after the
fact by someone who had to drop the triggers to do it (the changed row's hash no longer
matches, a deleted row leaves a gap and a broken link, a deleted tail leaves the head in
meta pointing past the last row). Someone with write access to the file who rewrites the
chain from the point of change *and* the head in meta leaves a chain that verifies; so does
a file swapped for an older copy. Only an anchor kept outside the file catches that: keep
``head()`` somewhere else (a printed or signed handover, an export) and pass it to
``verify(anchor=...)``. Nobody, admin included, can erase rows through dutydesk.

``detail`` must never hold secrets: callers pass ids, counts, reasons, never passwords,
keys or community strings. Keys that name a secret are refused as a last safety net.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

from data.clock import Clock, from_db, to_db, utc_now
from data.store import Store

GENESIS_HASH = "0" * 64
HEAD_KEY = "audit.head"
_HASH_SQL_FUNCTION = "dutydesk_audit_hash"
_VERIFY_PAGE = 2000
_SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|passphrase|secret|token|community|auth_key|priv_key|pw_hash)$",
    re.IGNORECASE,
)
_COLUMNS = "id, ts, user, terminal, action, object, outcome, detail, prev_hash, hash"

# One statement appends a row: it reads the current head, links to it and hashes the row
# (the hash function is data.audit.row_hash, registered on the connection). Being a single
# statement it is atomic on its own and also joins a caller's open transaction.
_APPEND = f"""
INSERT INTO audit (id, ts, user, terminal, action, object, outcome, detail, prev_hash, hash)
SELECT head.id + 1, :ts, :user, :terminal, :action, :object, :outcome, :detail, head.hash,
       {_HASH_SQL_FUNCTION}(head.hash, head.id + 1, :ts, :user, :terminal, :action, :object,
                            :outcome, :detail)
FROM (SELECT coalesce(max(id), 0) AS id,
             coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '{GENESIS_HASH}')
               AS hash
      FROM audit) AS head
"""


class AuditEvent(NamedTuple):
    """One row to append with ``record_many``."""

    user: str | None
    action: str
    obj: str
    outcome: str = "ok"
    detail: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    ts: datetime
    user: str | None
    terminal: str
    action: str
    object: str
    outcome: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainHead:
    id: int
    hash: str


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    rows_checked: int
    first_bad_id: int | None = None
    reason: str = ""


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_jsonable
    )


def row_hash(
    prev_hash: str,
    row_id: int,
    ts: str,
    user: str | None,
    terminal: str,
    action: str,
    obj: str,
    outcome: str,
    detail: str,
) -> str:
    """The chain hash of a row from its stored values (``detail`` is the stored JSON text)."""
    fields = {
        "id": row_id,
        "ts": ts,
        "user": user,
        "terminal": terminal,
        "action": action,
        "object": obj,
        "outcome": outcome,
        "detail": detail,
    }
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


def default_terminal() -> str:
    """Where the operator sits: ``host:pts/3`` on a terminal, else ``host/pid``."""
    host = platform.node() or "localhost"
    try:
        return f"{host}:{os.ttyname(0).removeprefix('/dev/')}"
    except OSError:
        return f"{host}/{os.getpid()}"


class AuditTrail:
    """Appends to and reads the audit trail of one store, as seen from one terminal."""

    def __init__(self, store: Store, terminal: str | None = None, clock: Clock = utc_now) -> None:
        self._store = store
        self.terminal = terminal or default_terminal()
        self._clock = clock

    async def record(
        self,
        user: str | None,
        action: str,
        obj: str,
        outcome: str = "ok",
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one row and return its id. Inside ``store.transaction()`` it commits or
        rolls back with the caller's changes; outside, it is committed at once."""
        await self._store.ensure_function(_HASH_SQL_FUNCTION, 9, row_hash)
        params = self._params(AuditEvent(user, action, obj, outcome, detail))
        rows = await self._store.write(_APPEND + " RETURNING id", params)
        return int(rows[0][0])

    async def record_many(self, events: Iterable[AuditEvent]) -> list[int]:
        """Append several rows in one transaction (e.g. a mass acknowledge); their ids."""
        params = [self._params(event) for event in events]
        if not params:
            return []
        await self._store.ensure_function(_HASH_SQL_FUNCTION, 9, row_hash)
        async with self._store.transaction() as db:
            await db.executemany(_APPEND, params)
            last = int(next(iter(await db.execute_fetchall("SELECT max(id) FROM audit")))[0])
        return list(range(last - len(params) + 1, last + 1))

    def _params(self, event: AuditEvent) -> dict[str, Any]:
        detail = dict(event.detail or {})
        _refuse_secrets(detail)
        return {
            "ts": to_db(self._clock()),
            "user": event.user,
            "terminal": self.terminal,
            "action": event.action,
            "object": event.obj,
            "outcome": event.outcome,
            "detail": canonical_json(detail),
        }

    async def head(self) -> ChainHead | None:
        """The last row's id and hash: keep it outside the file as an anchor."""
        row = await self._store.fetchone("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
        return None if row is None else ChainHead(int(row[0]), str(row[1]))

    async def query(
        self,
        since: datetime | None = None,
        user: str | None = None,
        limit: int = 200,
        action: str | None = None,
    ) -> list[AuditEntry]:
        """Rows newest first, filtered by time (``ts >= since``), user and action."""
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (("ts >= ?", since), ("user = ?", user), ("action = ?", action)):
            if value is not None:
                where.append(clause)
                params.append(to_db(value) if isinstance(value, datetime) else value)
        sql = f"SELECT {_COLUMNS} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = await self._store.fetchall(f"{sql} ORDER BY id DESC LIMIT ?", (*params, limit))
        return [_entry(row) for row in rows]

    async def verify(self, anchor: ChainHead | None = None) -> AuditVerdict:
        """Walk the whole chain; the verdict names the first bad row and why."""
        # One statement, one snapshot: rows appended while we walk are not judged.
        snapshot = await self._store.fetchone(
            "SELECT (SELECT value FROM meta WHERE key = ?), (SELECT max(id) FROM audit)",
            (HEAD_KEY,),
        )
        assert snapshot is not None
        recorded = _parse_head(snapshot[0])
        last_id = int(snapshot[1] or 0)
        prev_hash, expected, anchor_hash = GENESIS_HASH, 1, None
        while expected <= last_id:
            rows = await self._store.fetchall(
                f"SELECT {_COLUMNS} FROM audit WHERE id >= ? AND id <= ? ORDER BY id LIMIT ?",
                (expected, last_id, _VERIFY_PAGE),
            )
            if not rows:
                break
            for row in rows:
                row_id = int(row["id"])
                if row_id != expected:
                    gap = f"{expected}" if row_id == expected + 1 else f"{expected}..{row_id - 1}"
                    return _bad(expected - 1, expected, f"row {gap} is missing (deleted)")
                if row["prev_hash"] != prev_hash:
                    return _bad(
                        expected - 1,
                        row_id,
                        f"row {row_id} does not link to row {row_id - 1}: "
                        "a row before it was changed, removed or replaced",
                    )
                if _rehash(row) != row["hash"]:
                    return _bad(
                        expected - 1, row_id, f"row {row_id} was changed after it was written"
                    )
                if anchor is not None and row_id == anchor.id:
                    anchor_hash = row["hash"]
                prev_hash, expected = row["hash"], expected + 1
        return _check_head(last_id, prev_hash, recorded, anchor, anchor_hash)


def _check_head(
    last_id: int,
    last_hash: str,
    recorded: ChainHead | None,
    anchor: ChainHead | None,
    anchor_hash: str | None,
) -> AuditVerdict:
    if recorded is None:
        if last_id:
            return _bad(last_id, None, "the chain head record (meta audit.head) is missing")
    elif recorded.id > last_id:
        return _bad(
            last_id,
            last_id + 1,
            f"rows {last_id + 1}..{recorded.id} were deleted from the end of the trail",
        )
    elif recorded.id < last_id or recorded.hash != last_hash:
        return _bad(last_id, last_id, "the last rows do not match the recorded chain head")
    if anchor is not None:
        if anchor.id > last_id:
            return _bad(last_id, last_id + 1, f"the trail ends before the anchor row {anchor.id}")
        if anchor_hash != anchor.hash:
            return _bad(last_id, anchor.id, f"row {anchor.id} differs from the anchored head")
    return AuditVerdict(True, last_id)


def _bad(rows_checked: int, first_bad_id: int | None, reason: str) -> AuditVerdict:
    return AuditVerdict(False, rows_checked, first_bad_id, reason)


def _parse_head(value: str | None) -> ChainHead | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
        return ChainHead(int(parsed["id"]), str(parsed["hash"]))
    except (ValueError, TypeError, KeyError):
        return ChainHead(-1, "")  # unreadable: never matches the chain


def _rehash(row: Any) -> str:
    return row_hash(
        row["prev_hash"],
        row["id"],
        row["ts"],
        row["user"],
        row["terminal"],
        row["action"],
        row["object"],
        row["outcome"],
        row["detail"],
    )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        ts=from_db(row["ts"]),
        user=row["user"],
        terminal=row["terminal"],
        action=row["action"],
        object=row["object"],
        outcome=row["outcome"],
        detail=json.loads(row["detail"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _refuse_secrets(value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _SECRET_KEY.search(str(key)):
                raise ValueError(f"audit detail key {key!r} names a secret: leave it out")
            _refuse_secrets(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_secrets(item)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_db(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    # SecretStr and anything else unknown: refuse rather than print it.
    raise TypeError(f"audit detail cannot hold a {type(value).__name__}")

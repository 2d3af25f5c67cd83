"""The audit trail: an append-only, hash-chained table of who did what, where and when.

The chain. Each row's ``hash`` covers ``prev_hash`` followed by the canonical JSON of the
row's fields (id, ts, user, terminal, action, object, outcome, detail; sorted keys,
compact, UTF-8), and row 1 links to 64 zeros. From the *genesis row* on (action
``audit.genesis``) the hash is HMAC-SHA256 under the audit key, a 32-byte file beside the
database (``<db>.audit-key``, mode 0600, see data.crypto), so appending a row that verifies
needs that key, not just the file. Migration 0007 marks every store ``audit.genesis =
pending`` in meta; the first append writes the genesis row, keyed, and meta then names its
id for good. A new store's genesis row is row 1. A store from before the keyed chain keeps
its rows, verified the old way (plain SHA-256); its genesis row links to the last of them
(its detail counts them), so the key re-anchors the whole earlier chain from there on.

Triggers refuse UPDATE and DELETE, any INSERT that does not extend the chain, an id below
1, any row before the genesis row and a second genesis row; another trigger keeps the
chain head (last id and hash) in ``meta`` under ``audit.head``, moving only forward.

What ``verify()`` proves: every row from id 1 to the last is there, in order, linked and
unchanged; no row sits at id 0 or below; the genesis row exists; every row from it on was
written by someone holding the audit key. What it cannot prove: whoever holds the key
(the console's OS account, root) can rewrite the chain; a trail cut back to an earlier
row, or a file swapped for an older copy, verifies if meta is set back too; and a file
set back to ``pending`` with its keyed rows removed looks like a store never written since
its upgrade. Only an anchor kept outside the file catches those: ``head()`` (``dutydesk
audit head``; every sealed record prints the one of its seal) passed back as
``verify(anchor=...)``. Nobody, admin included, can erase rows through dutydesk.

``detail`` must never hold secrets: callers pass ids, counts, reasons, never passwords,
keys or community strings. Keys that name a secret are refused as a last safety net.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple, Self

from data.clock import Clock, from_db, to_db, utc_now
from data.crypto import KeyFileError, audit_key_path_for, ensure_audit_key, load_key
from data.store import Store

GENESIS_HASH = "0" * 64  # what row 1 links to
GENESIS_ACTION = "audit.genesis"
GENESIS_KEY = "audit.genesis"  # meta: "pending" until the genesis row exists, then its id
GENESIS_PENDING = "pending"
HEAD_KEY = "audit.head"
_VERIFY_PAGE = 2000
_HEX_HASH = re.compile(r"^[0-9a-f]{64}$")
_SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|passphrase|secret|token|community|auth_key|priv_key|pw_hash)$",
    re.IGNORECASE,
)
_COLUMNS = "id, ts, user, terminal, action, object, outcome, detail, prev_hash, hash"

# The chain head as one row: the last id (0 when empty) and the hash the next row links to.
_HEAD = f"""
SELECT coalesce(max(id), 0) AS id,
       coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '{GENESIS_HASH}') AS hash
FROM audit
"""

# Rows are appended inside one writing transaction (BEGIN IMMEDIATE on SQLite, the store's
# writer lock on PostgreSQL) that reads the head, then inserts rows whose ids, links and
# MACs are computed here, in Python, the same on both backends.
_INSERT = f"""
INSERT INTO audit ({_COLUMNS})
VALUES (:id, :ts, :user, :terminal, :action, :object, :outcome, :detail, :prev_hash, :hash)
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
    """A row of the chain by id and hash: an anchor, written ``ID:HASH``."""

    id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.id}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Self:
        """``ID:HASH`` (id from 1, 64 hex digits); ValueError otherwise."""
        row_id, sep, row_hash_text = text.strip().partition(":")
        digest = row_hash_text.lower()
        if not sep or not row_id.isdigit() or int(row_id) < 1 or not _HEX_HASH.match(digest):
            raise ValueError(f"not an anchor (ID:HASH, 64 hex digits): {text!r}")
        return cls(int(row_id), digest)


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    rows_checked: int
    first_bad_id: int | None = None
    reason: str = ""
    genesis_id: int | None = None  # the first keyed row; None while the chain is pending


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_jsonable
    )


def _row_message(
    prev_hash: str,
    row_id: int,
    ts: str,
    user: str | None,
    terminal: str,
    action: str,
    obj: str,
    outcome: str,
    detail: str,
) -> bytes:
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
    return (prev_hash + canonical_json(fields)).encode("utf-8")


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
    """The unkeyed hash of a row before the genesis row (``detail``: the stored JSON)."""
    message = _row_message(prev_hash, row_id, ts, user, terminal, action, obj, outcome, detail)
    return hashlib.sha256(message).hexdigest()


def keyed_row_hash(
    key: bytes,
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
    """The HMAC-SHA256 of a row from the genesis row on, under the audit key."""
    message = _row_message(prev_hash, row_id, ts, user, terminal, action, obj, outcome, detail)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def default_terminal() -> str:
    """Where the operator sits: ``host:pts/3`` on a terminal, else ``host/pid``."""
    host = platform.node() or "localhost"
    try:
        return f"{host}:{os.ttyname(0).removeprefix('/dev/')}"
    except OSError:
        return f"{host}/{os.getpid()}"


def load_chain_key(db_path: Path, *, create: bool = False) -> bytes:
    """The audit key of a database; ``create`` makes it when missing (a chain not started
    yet). ``KeyFileError`` (code audit_key_missing, ...) when it cannot be used."""
    path = audit_key_path_for(db_path)
    try:
        return load_key(ensure_audit_key(db_path) if create else path)
    except KeyFileError as error:
        if error.code != "key_missing":
            raise
        raise KeyFileError(
            f"the audit key {path} is missing: without it the audit trail can neither be"
            " verified nor extended. Restore the key that belongs to this database.",
            code="audit_key_missing",
            path=str(path),
        ) from None


class AuditTrail:
    """Appends to and reads the audit trail of one store, as seen from one terminal."""

    def __init__(
        self,
        store: Store,
        terminal: str | None = None,
        clock: Clock = utc_now,
        *,
        key: bytes | None = None,
    ) -> None:
        """``key``: the audit key to use instead of the one beside the store's file (a
        restore proves a backup's trail, opened elsewhere, with the key of the site)."""
        self._store = store
        self.terminal = terminal or default_terminal()
        self._clock = clock
        self._key = key
        self._chain_started = False

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
        ids = await self._append([self._params(AuditEvent(user, action, obj, outcome, detail))])
        return ids[0]

    async def record_many(self, events: Iterable[AuditEvent]) -> list[int]:
        """Append several rows in one transaction (e.g. a mass acknowledge); their ids."""
        params = [self._params(event) for event in events]
        if not params:
            return []
        return await self._append(params)

    async def check_key(self) -> None:
        """``KeyFileError`` now, when the chain has started but its key cannot be used: a
        console that could not audit its first login must not start at all."""
        if await self._store.get_meta(GENESIS_KEY) != GENESIS_PENDING:
            await self._use_key(create=False)

    async def _append(self, rows: list[dict[str, Any]]) -> list[int]:
        """Link and MAC ``rows`` after the current head and insert them, in the caller's
        transaction or in one of their own; on a store whose chain is pending the genesis
        row (creating the key if this store never had one) goes first."""
        if self._store.owns_transaction():
            return await self._append_in_transaction(rows)
        async with self._store.transaction():
            ids = await self._append_in_transaction(rows)
        self._chain_started = True  # committed: it cannot roll back on us
        return ids

    async def _append_in_transaction(self, rows: list[dict[str, Any]]) -> list[int]:
        pending = False
        if not self._chain_started:
            pending = await self._store.get_meta(GENESIS_KEY) == GENESIS_PENDING
        key = await self._use_key(create=pending)
        head = await self._store.fetchone(_HEAD)
        assert head is not None
        last_id, last_hash = int(head["id"]), str(head["hash"])
        if pending:
            detail = canonical_json({"keyed": "hmac-sha256", "unkeyed_rows": last_id})
            genesis = {
                "ts": to_db(self._clock()),
                "user": None,
                "terminal": self.terminal,
                "action": GENESIS_ACTION,
                "object": "audit",
                "outcome": "ok",
                "detail": detail,
            }
            rows = [genesis, *rows]
        linked: list[dict[str, Any]] = []
        for row in rows:
            last_id += 1
            digest = keyed_row_hash(
                key,
                last_hash,
                last_id,
                row["ts"],
                row["user"],
                row["terminal"],
                row["action"],
                row["object"],
                row["outcome"],
                row["detail"],
            )
            linked.append({**row, "id": last_id, "prev_hash": last_hash, "hash": digest})
            last_hash = digest
        if len(linked) == 1:
            await self._store.write(_INSERT, linked[0])
        else:
            await self._store.db.executemany(_INSERT, linked)
        first = last_id - len(rows) + 1 + (1 if pending else 0)
        return list(range(first, last_id + 1))

    async def _use_key(self, *, create: bool) -> bytes:
        if self._key is None:
            self._key = load_chain_key(self._store.path, create=create)
        return self._key

    def _params(self, event: AuditEvent) -> dict[str, Any]:
        if event.action == GENESIS_ACTION:
            raise ValueError("the genesis row is written by the audit trail itself")
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
        """Walk every row in id order from row 1; the verdict names the first bad row and
        why. ``KeyFileError`` when the chain is keyed and the audit key cannot be read."""
        # One statement, one snapshot: rows appended while we walk are not judged.
        snapshot = await self._store.fetchone(
            "SELECT (SELECT value FROM meta WHERE key = ?), (SELECT value FROM meta WHERE key = ?),"
            " (SELECT min(id) FROM audit), (SELECT max(id) FROM audit)",
            (HEAD_KEY, GENESIS_KEY),
        )
        assert snapshot is not None
        recorded, marker = _parse_head(snapshot[0]), snapshot[1]
        first_id, last_id = snapshot[2], int(snapshot[3] or 0)
        if first_id is not None and int(first_id) < 1:
            reason = f"row {first_id} has an id below 1: it was put there behind the triggers"
            return _bad(0, int(first_id), reason)
        if marker is None:
            return _bad(0, 1, "the trail has no genesis record (meta audit.genesis is gone)")
        genesis_id, key = None, None
        if marker != GENESIS_PENDING:
            genesis_id = _positive_int(marker)
            if genesis_id is None or genesis_id > last_id:
                reason = f"the genesis row {marker} is missing: the trail was emptied or cut"
                return _bad(last_id, genesis_id, reason)
            key = await self._use_key(create=False)
        walk = _ChainWalk(genesis_id, key, anchor)
        expected = 1
        while expected <= last_id:
            rows = await self._store.fetchall(
                f"SELECT {_COLUMNS} FROM audit WHERE id >= ? AND id <= ? ORDER BY id LIMIT ?",
                (expected, last_id, _VERIFY_PAGE),
            )
            if not rows:
                break
            for row in rows:
                verdict = walk.step(row)
                if verdict is not None:
                    return verdict
            expected = walk.next_id
        if walk.next_id <= last_id:
            return _bad(walk.next_id - 1, walk.next_id, f"row {walk.next_id} is missing")
        verdict = _check_head(last_id, walk.prev_hash, recorded, anchor, walk.anchor_hash)
        return AuditVerdict(
            verdict.ok, verdict.rows_checked, verdict.first_bad_id, verdict.reason, genesis_id
        )


class _ChainWalk:
    """Checks rows one by one, in id order from row 1."""

    def __init__(self, genesis_id: int | None, key: bytes | None, anchor: ChainHead | None):
        self.genesis_id = genesis_id
        self.key = key
        self.anchor = anchor
        self.prev_hash = GENESIS_HASH
        self.next_id = 1
        self.anchor_hash: str | None = None

    def step(self, row: Any) -> AuditVerdict | None:
        row_id, expected = int(row["id"]), self.next_id
        if row_id != expected:
            gap = f"{expected}" if row_id == expected + 1 else f"{expected}..{row_id - 1}"
            return _bad(expected - 1, expected, f"row {gap} is missing (deleted)")
        if row["prev_hash"] != self.prev_hash:
            return _bad(
                expected - 1,
                row_id,
                f"row {row_id} does not link to row {row_id - 1}: "
                "a row before it was changed, removed or replaced",
            )
        if row_id == self.genesis_id and row["action"] != GENESIS_ACTION:
            return _bad(expected - 1, row_id, f"row {row_id} should be the genesis row")
        keyed = self.genesis_id is not None and row_id >= self.genesis_id
        if _rehash(row, self.key if keyed else None) != row["hash"]:
            how = ", or written without the audit key" if keyed else ""
            return _bad(expected - 1, row_id, f"row {row_id} was changed after it was written{how}")
        if self.anchor is not None and row_id == self.anchor.id:
            self.anchor_hash = row["hash"]
        self.prev_hash, self.next_id = row["hash"], expected + 1
        return None


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


def _positive_int(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) > 0 else None


def _parse_head(value: str | None) -> ChainHead | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
        return ChainHead(int(parsed["id"]), str(parsed["hash"]))
    except (ValueError, TypeError, KeyError):
        return ChainHead(-1, "")  # unreadable: never matches the chain


def _rehash(row: Any, key: bytes | None = None) -> str:
    fields = (
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
    return row_hash(*fields) if key is None else keyed_row_hash(key, *fields)


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

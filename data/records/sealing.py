"""Sealed records: what makes a signed handover or inspection as trustworthy as paper.

A record is sealed by hashing its content, the canonical JSON (sorted keys, UTF-8 text,
``ensure_ascii=False``) of everything it holds except the seal itself, with SHA-256. In
the same transaction as the signature:

- an audit row ``<kind>.seal`` on the record's object carries ``{"sha256": ...}``, so the
  hash is bound into the hash chain (``dutydesk audit verify`` proves the chain, and
  ``seal_in_chain`` proves the record still matches its row in it);
- the row gets ``seal_sha256``, ``sealed_at``, ``seal_audit_id`` and ``seal_anchor``
  (the hash of that audit row: with its id, the chain's anchor at seal time, printed on
  the record's documents so paper can later prove the trail with ``dutydesk audit verify
  --anchor``); from then on SQLite triggers (migration 0004) refuse every UPDATE and
  DELETE of it, from any client.

The Python API refuses an edit of a sealed record before it reaches the triggers:
``refuse_sealed`` audits the attempt as ``denied`` and returns the ``record_sealed`` error
to raise. A sealed record is corrected only by a new record that references it
(``amends_id``), itself sealed when signed.

The content is built from the stored row (``row_content``), never from the objects the
caller had in hand, so that ``verify_seal`` recomputes exactly what was hashed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from data.audit import AuditTrail, ChainHead, canonical_json
from data.clock import from_db, to_db
from data.errors import DutyDeskError
from data.store import Store

SEAL_COLUMNS = ("seal_sha256", "sealed_at", "seal_audit_id", "seal_anchor")
# For a reader's SELECT on a sealed table: the stored anchor, or for a record sealed before
# anchors were stored (migration 0007) the hash of its seal's audit row.
SEAL_ANCHOR_COLUMN = (
    "coalesce(seal_anchor, (SELECT audit.hash FROM audit WHERE audit.id = seal_audit_id))"
    " AS seal_anchor"
)


class SealedRecordError(DutyDeskError):
    """An edit of a sealed record: code ``record_sealed``, params ``obj``."""

    code = "record_sealed"


@dataclass(frozen=True)
class Seal:
    sha256: str
    sealed_at: datetime
    audit_id: int
    anchor_hash: str | None = None  # the hash of audit row ``audit_id``

    @property
    def anchor(self) -> ChainHead | None:
        """The audit chain's head when the record was sealed: its seal's own row."""
        return None if self.anchor_hash is None else ChainHead(self.audit_id, self.anchor_hash)


class Sealable(Protocol):
    """A record that can be sealed: its content as stored, and its seal (None: not yet)."""

    @property
    def content(self) -> Mapping[str, Any]: ...

    @property
    def seal(self) -> Seal | None: ...


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content``."""
    return hashlib.sha256(canonical_json(dict(content)).encode("utf-8")).hexdigest()


def row_content(row: sqlite3.Row, json_columns: Iterable[str] = ()) -> dict[str, Any]:
    """A stored row as sealable content: every column but the seal's, with the named JSON
    columns parsed (stored under their name without the ``_json`` suffix)."""
    parsed = set(json_columns)
    content: dict[str, Any] = {}
    for key in row.keys():  # noqa: SIM118 (iterating a Row yields its values)
        if key in SEAL_COLUMNS:
            continue
        value = row[key]
        if key in parsed:
            content[key.removesuffix("_json")] = json.loads(value) if value is not None else None
        else:
            content[key] = value
    return content


def seal_from_row(row: sqlite3.Row) -> Seal | None:
    if row["seal_sha256"] is None:
        return None
    anchor = row["seal_anchor"] if "seal_anchor" in row.keys() else None  # noqa: SIM118
    return Seal(
        str(row["seal_sha256"]), from_db(row["sealed_at"]), int(row["seal_audit_id"]), anchor
    )


async def seal_record(
    store: Store,
    audit: AuditTrail,
    *,
    table: str,
    row_id: int,
    content: Mapping[str, Any],
    action: str,
    obj: str,
    user: str,
    now: datetime,
) -> Seal:
    """Hash ``content`` (the record as stored), bind it into the audit chain and store
    the seal on the row, all in one transaction (the caller's, when one is open)."""
    if table not in ("handovers", "inspections"):
        raise ValueError(f"{table} is not a sealed table")  # never build SQL from input
    digest = content_hash(content)
    async with store.transaction():
        audit_id = await audit.record(user, action, obj, detail={"sha256": digest})
        anchor = await store.fetchone("SELECT hash FROM audit WHERE id = ?", (audit_id,))
        assert anchor is not None  # just written, in this transaction
        updated = await store.write(
            f"UPDATE {table} SET seal_sha256 = ?, sealed_at = ?, seal_audit_id = ?,"
            " seal_anchor = ? WHERE id = ? AND seal_sha256 IS NULL RETURNING id",
            (digest, to_db(now), audit_id, anchor[0], row_id),
        )
        if not updated:  # sealed meanwhile by another task: the audit row rolls back too
            raise SealedRecordError(f"{obj} is already sealed", obj=obj)
    return Seal(digest, now, audit_id, str(anchor[0]))


def verify_seal(record: Sealable) -> bool:
    """True when the record is sealed and its content still hashes to its seal."""
    return record.seal is not None and content_hash(record.content) == record.seal.sha256


async def seal_in_chain(store: Store, record: Sealable, obj: str) -> bool:
    """True when ``verify_seal`` holds and the audit row the seal names carries the same
    hash for the same object (a seal rewritten in the row alone does not pass)."""
    if record.seal is None or not verify_seal(record):
        return False
    row = await store.fetchone(
        "SELECT object, detail, hash FROM audit WHERE id = ?", (record.seal.audit_id,)
    )
    if row is None or row["object"] != obj:
        return False
    if record.seal.anchor_hash is not None and row["hash"] != record.seal.anchor_hash:
        return False  # the audit row is not the one the record was sealed with
    return bool(json.loads(row["detail"]).get("sha256") == record.seal.sha256)


async def refuse_sealed(
    audit: AuditTrail, user: str | None, action: str, obj: str
) -> SealedRecordError:
    """Audit a refused edit of a sealed record (outcome ``denied``); the error to raise."""
    await audit.record(user, action, obj, "denied", detail={"reason": "record_sealed"})
    return SealedRecordError(
        f"{obj} is sealed: it cannot be changed, only amended by a new record", obj=obj
    )

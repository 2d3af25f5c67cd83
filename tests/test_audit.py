"""The audit trail: append-only triggers, the hash chain, and what verify() catches."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from data.audit import (
    GENESIS_HASH,
    AuditEvent,
    AuditTrail,
    AuditVerdict,
    canonical_json,
    default_terminal,
    row_hash,
)
from data.clock import ManualClock, to_db
from data.store import Store


async def _trail_of(audit: AuditTrail, rows: int) -> list[int]:
    return [
        await audit.record(f"user{i % 2}", "test.step", f"thing:{i}", detail={"n": i, "名": "值"})
        for i in range(rows)
    ]


async def _verdict_after(db_path: Path, store: Store, *statements: str) -> AuditVerdict:
    """Close the store, tamper with plain sqlite3 (as an intruder would), reopen, verify."""
    await store.close()
    with sqlite3.connect(db_path) as db:
        for statement in statements:
            db.execute(statement)
    reopened = await Store.open(db_path)
    try:
        return await AuditTrail(reopened, "t").verify()
    finally:
        await reopened.close()


async def test_hash_is_sha256_over_prev_hash_and_canonical_json(audit: AuditTrail) -> None:
    first = await audit.record("alice", "login", "user:alice", detail={"b": 1, "a": "中文"})
    second = await audit.record(None, "system.start", "console")
    entries = {e.id: e for e in await audit.query()}
    assert [first, second] == [1, 2]
    row = entries[1]
    assert row.prev_hash == GENESIS_HASH
    stored_detail = '{"a":"中文","b":1}'
    fields = {
        "action": "login",
        "detail": stored_detail,
        "id": 1,
        "object": "user:alice",
        "outcome": "ok",
        "terminal": "test:pts/0",
        "ts": "2026-03-02T00:30:00.000000+00:00",
        "user": "alice",
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert row.hash == hashlib.sha256((GENESIS_HASH + canonical).encode()).hexdigest()
    assert row.detail == {"a": "中文", "b": 1}
    assert entries[2].prev_hash == row.hash
    assert entries[2].user is None


async def test_untouched_trail_verifies(audit: AuditTrail) -> None:
    await _trail_of(audit, 25)
    verdict = await audit.verify()
    assert verdict.ok and verdict.rows_checked == 25 and verdict.first_bad_id is None


async def test_empty_trail_verifies(audit: AuditTrail) -> None:
    assert (await audit.verify()).ok


async def test_update_and_delete_are_refused_by_triggers(store: Store, audit: AuditTrail) -> None:
    await _trail_of(audit, 3)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await store.write("UPDATE audit SET outcome = 'ok' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await store.write("DELETE FROM audit WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="head"):
        await store.write("DELETE FROM meta WHERE key = 'audit.head'")
    assert (await audit.verify()).ok


async def test_insert_that_does_not_extend_the_chain_is_refused(
    store: Store, audit: AuditTrail
) -> None:
    await _trail_of(audit, 2)
    forged = (9, "2026-03-02", "mallory", "t", "a", "o", "ok", "{}", "0" * 64, "f" * 64)
    with pytest.raises(sqlite3.IntegrityError, match="extend the hash chain"):
        await store.write("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", forged)


async def test_changed_row_is_named(store: Store, audit: AuditTrail, db_path: Path) -> None:
    await _trail_of(audit, 10)
    verdict = await _verdict_after(
        db_path,
        store,
        "DROP TRIGGER audit_no_update",
        "UPDATE audit SET outcome = 'ok', detail = '{}' WHERE id = 4",
    )
    assert not verdict.ok
    assert verdict.first_bad_id == 4
    assert "changed" in verdict.reason


async def test_rehashed_change_breaks_the_next_link(
    store: Store, audit: AuditTrail, db_path: Path
) -> None:
    """An intruder who also recomputes the changed row's own hash breaks the next link."""
    await _trail_of(audit, 10)
    row = (await audit.query(limit=5))[-1]  # id 6
    forged = row_hash(
        row.prev_hash, row.id, to_db(row.ts), "mallory", row.terminal, row.action,
        row.object, row.outcome, canonical_json(row.detail),
    )  # fmt: skip
    verdict = await _verdict_after(
        db_path,
        store,
        "DROP TRIGGER audit_no_update",
        f"UPDATE audit SET user = 'mallory', hash = '{forged}' WHERE id = 6",
    )
    assert not verdict.ok
    assert verdict.first_bad_id == 7
    assert "does not link to row 6" in verdict.reason


async def test_deleted_middle_row_is_found(store: Store, audit: AuditTrail, db_path: Path) -> None:
    await _trail_of(audit, 10)
    verdict = await _verdict_after(
        db_path, store, "DROP TRIGGER audit_no_delete", "DELETE FROM audit WHERE id = 5"
    )
    assert not verdict.ok
    assert verdict.first_bad_id == 5
    assert "missing" in verdict.reason


async def test_deleted_tail_is_found_through_the_recorded_head(
    store: Store, audit: AuditTrail, db_path: Path
) -> None:
    await _trail_of(audit, 10)
    verdict = await _verdict_after(
        db_path, store, "DROP TRIGGER audit_no_delete", "DELETE FROM audit WHERE id > 8"
    )
    assert not verdict.ok
    assert verdict.first_bad_id == 9
    assert "9..10" in verdict.reason


async def test_tail_cut_with_head_rewritten_needs_an_outside_anchor(
    store: Store, audit: AuditTrail, db_path: Path
) -> None:
    """The documented limit: a thorough intruder also fixes meta; an anchor still sees it."""
    await _trail_of(audit, 10)
    anchor = await audit.head()
    assert anchor is not None and anchor.id == 10
    await store.close()
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DROP TRIGGER audit_head_forward_only")
        db.execute("DELETE FROM audit WHERE id > 8")
        (head_hash,) = db.execute("SELECT hash FROM audit WHERE id = 8").fetchone()
        db.execute(
            "UPDATE meta SET value = json_object('id', 8, 'hash', ?) WHERE key = 'audit.head'",
            (head_hash,),
        )
    reopened = await Store.open(db_path)
    try:
        trail = AuditTrail(reopened, "t")
        assert (await trail.verify()).ok
        verdict = await trail.verify(anchor=anchor)
        assert not verdict.ok and verdict.first_bad_id == 9
    finally:
        await reopened.close()


async def test_record_joins_an_open_transaction(store: Store, audit: AuditTrail) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as db:
            await db.execute("INSERT INTO meta VALUES ('change', '1')")
            await audit.record("alice", "record.change", "meta:change")
            raise RuntimeError("the change fails")
    assert await audit.query() == []  # the audit row went with the change
    async with store.transaction() as db:
        await db.execute("INSERT INTO meta VALUES ('change', '1')")
        row_id = await audit.record("alice", "record.change", "meta:change")
    assert row_id == 1
    assert (await audit.verify()).ok


async def test_record_many_appends_contiguous_ids(audit: AuditTrail) -> None:
    await audit.record("alice", "alarm.raise", "alarm:1")
    ids = await audit.record_many(
        AuditEvent("alice", "alarm.ack", f"alarm:{n}", detail={"comment": "seen"})
        for n in range(50)
    )
    assert ids == list(range(2, 52))
    assert await audit.record_many([]) == []
    assert (await audit.verify()).rows_checked == 51


async def test_query_filters_newest_first(audit: AuditTrail, clock: ManualClock) -> None:
    await audit.record("alice", "login", "user:alice")
    clock.advance(timedelta(hours=1))
    cutoff = clock()
    await audit.record("bob", "login", "user:bob")
    await audit.record("alice", "alarm.ack", "alarm:7")
    assert [e.id for e in await audit.query()] == [3, 2, 1]
    assert [e.id for e in await audit.query(user="alice")] == [3, 1]
    assert [e.id for e in await audit.query(since=cutoff)] == [3, 2]
    assert [e.id for e in await audit.query(action="login", limit=1)] == [2]
    assert (await audit.query(limit=1))[0].ts == cutoff


async def test_secrets_are_refused_in_detail(audit: AuditTrail) -> None:
    with pytest.raises(ValueError, match="secret"):
        await audit.record("alice", "x", "y", detail={"old_password": "hunter2"})
    with pytest.raises(ValueError, match="secret"):
        await audit.record("alice", "x", "y", detail={"nested": [{"community": "public"}]})
    with pytest.raises(TypeError):
        await audit.record("alice", "x", "y", detail={"key": SecretStr("s3cret")})
    assert await audit.query() == []


def test_default_terminal_names_the_host() -> None:
    terminal = default_terminal()
    assert terminal and (":" in terminal or "/" in terminal)

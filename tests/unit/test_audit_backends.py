"""The audit trail over both backends (``any_store``): the keyed chain from its genesis row,
append-only enforced by the triggers (SQLite's, PostgreSQL's PL/pgSQL), tampering behind
the triggers found by ``verify()``, and appends from several connections at once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from data.audit import GENESIS_ACTION, GENESIS_HASH, AuditEvent, AuditTrail
from data.clock import ManualClock
from data.crypto import audit_key_path_for
from data.stores import open_store


@pytest.fixture
def trail(any_store: Any, clock: ManualClock) -> AuditTrail:
    return AuditTrail(any_store, terminal="test:pts/0", clock=clock)


async def _fill(trail: AuditTrail, rows: int) -> list[int]:
    return [
        await trail.record(f"user{i % 2}", "test.step", f"thing:{i}", detail={"n": i, "名": "值"})
        for i in range(rows)
    ]


async def _behind_the_triggers(backend: str, store_target: str, *statements: str) -> None:
    """What an intruder with the database's owner rights does: switch the triggers off,
    change rows, switch them back on (SQLite: drop them, through a plain connection)."""
    if backend == "sqlite":
        with sqlite3.connect(store_target) as db:
            db.execute("DROP TRIGGER IF EXISTS audit_no_update")
            db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
            for statement in statements:
                db.execute(statement)
        return
    conn = await asyncpg.connect(store_target)
    try:
        await conn.execute("ALTER TABLE audit DISABLE TRIGGER ALL")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("ALTER TABLE audit ENABLE TRIGGER ALL")
    finally:
        await conn.close()


async def test_the_chain_starts_with_a_keyed_genesis_row(trail: AuditTrail, any_store: Any) -> None:
    first = await trail.record("alice", "login", "user:alice", detail={"b": 1, "a": "中文"})
    assert first == 2
    entries = {entry.id: entry for entry in await trail.query()}
    genesis, row = entries[1], entries[2]
    assert (genesis.action, genesis.user, genesis.prev_hash) == (GENESIS_ACTION, None, GENESIS_HASH)
    assert genesis.detail == {"keyed": "hmac-sha256", "unkeyed_rows": 0}
    key_file = audit_key_path_for(any_store.path)
    assert key_file.stat().st_mode & 0o777 == 0o600
    fields = {
        "action": "login",
        "detail": '{"a":"中文","b":1}',
        "id": 2,
        "object": "user:alice",
        "outcome": "ok",
        "terminal": "test:pts/0",
        "ts": "2026-03-02T00:30:00.000000+00:00",
        "user": "alice",
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    message = (genesis.hash + canonical).encode()
    assert row.prev_hash == genesis.hash
    assert row.hash == hmac.new(key_file.read_bytes(), message, hashlib.sha256).hexdigest()
    assert await any_store.get_meta("audit.genesis") == "1"
    head = json.loads(await any_store.get_meta("audit.head") or "{}")
    assert head == {"id": 2, "hash": row.hash}


async def test_rows_and_batches_verify(trail: AuditTrail) -> None:
    await _fill(trail, 5)
    ids = await trail.record_many(
        AuditEvent("bob", "alarm.ack", f"alarm:{i}", detail={"i": i}) for i in range(4)
    )
    assert ids == [7, 8, 9, 10]
    assert await trail.record_many([]) == []
    verdict = await trail.verify()
    assert verdict.ok and verdict.rows_checked == 10 and verdict.genesis_id == 1
    by_user = await trail.query(user="bob")
    assert [entry.id for entry in by_user] == [10, 9, 8, 7]
    head = await trail.head()
    assert head is not None and head.id == 10
    assert (await trail.verify(anchor=head)).ok


async def test_a_row_recorded_in_a_rolled_back_transaction_is_gone(
    trail: AuditTrail, any_store: Any
) -> None:
    await _fill(trail, 2)
    with pytest.raises(RuntimeError):
        async with any_store.transaction():
            await trail.record("alice", "doomed", "x")
            raise RuntimeError("roll back")
    assert await trail.record("alice", "kept", "x") == 4
    assert (await trail.verify()).ok


async def test_update_delete_and_forged_rows_are_refused_by_the_triggers(
    trail: AuditTrail, any_store: Any
) -> None:
    await _fill(trail, 3)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await any_store.write("UPDATE audit SET outcome = 'ok' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await any_store.write("DELETE FROM audit WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="head"):
        await any_store.write("DELETE FROM meta WHERE key = 'audit.head'")
    with pytest.raises(sqlite3.IntegrityError, match="head only moves forward"):
        await any_store.write(
            "UPDATE meta SET value = ? WHERE key = 'audit.head'", ('{"id": 1, "hash": "x"}',)
        )
    with pytest.raises(sqlite3.IntegrityError, match="genesis"):
        await any_store.write("UPDATE meta SET value = '7' WHERE key = 'audit.genesis'")
    forged = (9, "2026-03-02", "mallory", "t", "a", "o", "ok", "{}", "0" * 64, "f" * 64)
    with pytest.raises(sqlite3.IntegrityError, match="extend the hash chain"):
        await any_store.write("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", forged)
    head = await trail.head()
    assert head is not None
    second_genesis = (head.id + 1, "t", None, "t", GENESIS_ACTION, "audit", "ok", "{}", head.hash)
    with pytest.raises(sqlite3.IntegrityError, match="one genesis row"):
        await any_store.write(
            "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'x')", second_genesis
        )
    assert (await trail.verify()).ok


async def test_postgres_refuses_truncate(pg_dsn: str, tmp_path: Path, clock: ManualClock) -> None:
    store = await open_store(pg_dsn, key_dir=tmp_path)
    try:
        await _fill(AuditTrail(store, "t", clock), 2)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await store.write("TRUNCATE audit")
        with pytest.raises(sqlite3.IntegrityError, match="emptied"):
            await store.write("TRUNCATE meta")
    finally:
        await store.close()


async def test_a_row_changed_behind_the_triggers_is_named(
    trail: AuditTrail, backend: str, store_target: str
) -> None:
    await _fill(trail, 10)
    await _behind_the_triggers(
        backend, store_target, "UPDATE audit SET outcome = 'ok', detail = '{}' WHERE id = 4"
    )
    verdict = await trail.verify()
    assert not verdict.ok and verdict.first_bad_id == 4 and "changed" in verdict.reason


async def test_deleted_rows_are_found(trail: AuditTrail, backend: str, store_target: str) -> None:
    await _fill(trail, 10)
    await _behind_the_triggers(backend, store_target, "DELETE FROM audit WHERE id = 5")
    verdict = await trail.verify()
    assert not verdict.ok and verdict.first_bad_id == 5 and "missing" in verdict.reason


async def test_a_cut_tail_is_found_through_the_recorded_head(
    trail: AuditTrail, backend: str, store_target: str
) -> None:
    await _fill(trail, 10)
    await _behind_the_triggers(backend, store_target, "DELETE FROM audit WHERE id > 8")
    verdict = await trail.verify()
    assert not verdict.ok and verdict.first_bad_id == 9 and "9..11" in verdict.reason


async def test_appends_from_several_connections_keep_one_chain(
    store_target: str, any_store: Any, tmp_path: Path, clock: ManualClock
) -> None:
    """Consoles on several machines audit at once: every row lands, in one verified chain."""
    others = [await open_store(store_target, key_dir=tmp_path / "keys") for _ in range(2)]
    trails = [AuditTrail(store, f"term{i}", clock) for i, store in enumerate([any_store, *others])]

    async def burst(trail: AuditTrail, who: str) -> None:
        for i in range(8):
            if i % 4 == 3:
                await trail.record_many(AuditEvent(who, "batch", f"x:{i}:{j}") for j in range(3))
            else:
                await trail.record(who, "step", f"x:{i}")

    try:
        await asyncio.gather(*(burst(trail, f"u{i}") for i, trail in enumerate(trails)))
    finally:
        for store in others:
            await store.close()
    verdict = await trails[0].verify()
    assert verdict.ok, verdict.reason
    assert verdict.rows_checked == 1 + 3 * (6 + 2 * 3)
    genesis_rows = await trails[0].query(action=GENESIS_ACTION)
    assert len(genesis_rows) == 1

"""The audit trail: append-only triggers, the hash chain, and what verify() catches."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from data.audit import (
    GENESIS_ACTION,
    GENESIS_HASH,
    AuditEvent,
    AuditTrail,
    AuditVerdict,
    ChainHead,
    canonical_json,
    default_terminal,
    keyed_row_hash,
    row_hash,
)
from data.clock import ManualClock, to_db
from data.crypto import KeyFileError, audit_key_path_for
from data.migrations import load_migrations
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


async def test_chain_starts_with_a_genesis_row_then_rows_are_hmac_keyed(
    audit: AuditTrail, db_path: Path
) -> None:
    first = await audit.record("alice", "login", "user:alice", detail={"b": 1, "a": "中文"})
    second = await audit.record(None, "system.start", "console")
    entries = {e.id: e for e in await audit.query()}
    assert [first, second] == [2, 3]
    genesis = entries[1]
    assert (genesis.action, genesis.user, genesis.prev_hash) == (GENESIS_ACTION, None, GENESIS_HASH)
    assert genesis.detail == {"keyed": "hmac-sha256", "unkeyed_rows": 0}
    key_file = audit_key_path_for(db_path)
    assert key_file.stat().st_mode & 0o777 == 0o600
    row = entries[2]
    assert row.prev_hash == genesis.hash
    stored_detail = '{"a":"中文","b":1}'
    fields = {
        "action": "login",
        "detail": stored_detail,
        "id": 2,
        "object": "user:alice",
        "outcome": "ok",
        "terminal": "test:pts/0",
        "ts": "2026-03-02T00:30:00.000000+00:00",
        "user": "alice",
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    message = (genesis.hash + canonical).encode()
    assert row.hash == hmac.new(key_file.read_bytes(), message, hashlib.sha256).hexdigest()
    assert row.hash != hashlib.sha256(message).hexdigest()
    assert row.detail == {"a": "中文", "b": 1}
    assert entries[3].prev_hash == row.hash
    assert entries[3].user is None


async def test_untouched_trail_verifies(audit: AuditTrail) -> None:
    await _trail_of(audit, 25)
    verdict = await audit.verify()
    assert verdict.ok and verdict.rows_checked == 26 and verdict.first_bad_id is None
    assert verdict.genesis_id == 1


async def test_a_new_store_verifies_before_its_chain_starts(audit: AuditTrail) -> None:
    verdict = await audit.verify()
    assert verdict.ok and verdict.rows_checked == 0 and verdict.genesis_id is None


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
    """An insider who holds the key and recomputes the changed row's MAC breaks the next
    link; without the key the recomputed hash does not even match the row."""
    await _trail_of(audit, 10)
    row = (await audit.query(limit=5))[-1]  # id 7
    fields = (
        row.prev_hash,
        row.id,
        to_db(row.ts),
        "mallory",
        row.terminal,
        row.action,
        row.object,
        row.outcome,
        canonical_json(row.detail),
    )
    key = audit_key_path_for(db_path).read_bytes()
    verdict = await _verdict_after(
        db_path,
        store,
        "DROP TRIGGER audit_no_update",
        f"UPDATE audit SET user = 'mallory', hash = '{keyed_row_hash(key, *fields)}' WHERE id = 7",
    )
    assert not verdict.ok
    assert verdict.first_bad_id == 8
    assert "does not link to row 7" in verdict.reason
    reopened = await Store.open(db_path)
    async with reopened:
        # the update trigger is already gone; now the plain SHA-256 of the changed row
        await reopened.write("UPDATE audit SET hash = ? WHERE id = 7", (row_hash(*fields),))
        verdict = await AuditTrail(reopened, "t").verify()
    assert not verdict.ok and verdict.first_bad_id == 7
    assert "without the audit key" in verdict.reason


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
    assert "9..11" in verdict.reason


async def test_tail_cut_with_head_rewritten_needs_an_outside_anchor(
    store: Store, audit: AuditTrail, db_path: Path
) -> None:
    """The documented limit: a thorough intruder also fixes meta; an anchor still sees it."""
    await _trail_of(audit, 10)
    anchor = await audit.head()
    assert anchor is not None and anchor.id == 11
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
    assert row_id == 2  # the genesis row went with the rolled-back change, and came back
    assert (await audit.verify()).ok


async def test_record_many_appends_contiguous_ids(audit: AuditTrail) -> None:
    await audit.record("alice", "alarm.raise", "alarm:1")
    ids = await audit.record_many(
        AuditEvent("alice", "alarm.ack", f"alarm:{n}", detail={"comment": "seen"})
        for n in range(50)
    )
    assert ids == list(range(3, 53))
    assert await audit.record_many([]) == []
    assert (await audit.verify()).rows_checked == 52


async def test_query_filters_newest_first(audit: AuditTrail, clock: ManualClock) -> None:
    await audit.record("alice", "login", "user:alice")
    clock.advance(timedelta(hours=1))
    cutoff = clock()
    await audit.record("bob", "login", "user:bob")
    await audit.record("alice", "alarm.ack", "alarm:7")
    assert [e.id for e in await audit.query()] == [4, 3, 2, 1]  # 1: the genesis row
    assert [e.id for e in await audit.query(user="alice")] == [4, 2]
    assert [e.id for e in await audit.query(since=cutoff)] == [4, 3]
    assert [e.id for e in await audit.query(action="login", limit=1)] == [3]
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


async def test_a_row_below_id_1_fails_verify(
    store: Store, audit: AuditTrail, db_path: Path
) -> None:
    """Issue 10 (a): verify used to start at id 1 and never saw a row at id 0 or below."""
    await _trail_of(audit, 3)
    verdict = await _verdict_after(
        db_path,
        store,
        "DROP TRIGGER audit_extends_chain",
        "DROP TRIGGER audit_tracks_head",
        "DROP TRIGGER IF EXISTS audit_ids_from_one",
        "INSERT INTO audit VALUES (0, '2026-03-01', 'mallory', 't', 'door.open', 'door:1',"
        " 'ok', '{}', '', '')",
    )
    assert not verdict.ok and verdict.first_bad_id == 0
    assert "below 1" in verdict.reason


async def test_an_emptied_trail_fails_verify(
    store: Store, audit: AuditTrail, db_path: Path
) -> None:
    """Issue 10 (b): rows and head deleted, triggers put back: it used to say OK: 0 rows."""
    await _trail_of(audit, 5)
    await store.close()
    with sqlite3.connect(db_path) as db:
        triggers = dict(
            db.execute(
                "SELECT name, sql FROM sqlite_schema WHERE name IN"
                " ('audit_no_delete', 'audit_head_no_delete')"
            ).fetchall()
        )
        for name in triggers:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DELETE FROM audit")
        db.execute("DELETE FROM meta WHERE key = 'audit.head'")
        for sql in triggers.values():
            db.execute(sql)
    reopened = await Store.open(db_path)
    async with reopened:
        trail = AuditTrail(reopened, "t")
        verdict = await trail.verify()
        assert not verdict.ok and "genesis row 1 is missing" in verdict.reason
        await trail.record("mallory", "login", "user:mallory")  # no fresh start either
        verdict = await trail.verify()
        assert not verdict.ok and "row 1 should be the genesis row" in verdict.reason


async def test_a_row_appended_with_plain_sha256_fails_verify(
    store: Store, audit: AuditTrail, db_path: Path
) -> None:
    """Issue 10 (c): an append that satisfies every trigger, hashed as the old chain was,
    without the audit key."""
    await _trail_of(audit, 3)
    head = await audit.head()
    assert head is not None
    fields = (
        head.hash,
        head.id + 1,
        "2026-03-02T01:00:00.000000+00:00",
        "admin",
        "t",
        "account.add",
        "user:mallory",
        "ok",
        "{}",
    )
    await store.close()
    with sqlite3.connect(db_path) as db:  # every trigger in place
        db.execute(
            "INSERT INTO audit (prev_hash, id, ts, user, terminal, action, object, outcome,"
            " detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, row_hash(*fields)),
        )
    reopened = await Store.open(db_path)
    async with reopened:
        verdict = await AuditTrail(reopened, "t").verify()
    assert not verdict.ok and verdict.first_bad_id == head.id + 1
    assert "without the audit key" in verdict.reason


async def test_the_genesis_row_is_the_chain_s_first_and_only(
    store: Store, audit: AuditTrail
) -> None:
    with pytest.raises(ValueError, match="genesis"):
        await audit.record("mallory", GENESIS_ACTION, "audit")
    await audit.record("alice", "login", "user:alice")
    forged = (3, "2026-03-02", None, "t", GENESIS_ACTION, "audit", "ok", "{}", "x", "y")
    with pytest.raises(sqlite3.IntegrityError):
        await store.write("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", forged)
    for statement in (
        "UPDATE meta SET value = 'pending' WHERE key = 'audit.genesis'",
        "DELETE FROM meta WHERE key = 'audit.genesis'",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="genesis record"):
            await store.write(statement)


async def test_an_older_store_is_re_anchored_by_its_genesis_row(db_path: Path) -> None:
    """Rows from before the keyed chain keep their plain SHA-256 hashes and verify that
    way; the genesis row links to the last of them and everything after it is keyed."""
    before_keyed = await Store.open(db_path, migrations=load_migrations()[:6])
    await before_keyed.close()
    prev = GENESIS_HASH
    with sqlite3.connect(db_path) as db:
        for row_id in (1, 2, 3):
            fields = (
                prev,
                row_id,
                f"2026-01-0{row_id}T00:00:00.000000+00:00",
                "admin",
                "t",
                "login",
                "user:admin",
                "ok",
                "{}",
            )
            prev = row_hash(*fields)
            db.execute(
                "INSERT INTO audit (prev_hash, id, ts, user, terminal, action, object,"
                " outcome, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*fields, prev),
            )
    store = await Store.open(db_path)  # migrates to the keyed chain
    async with store:
        trail = AuditTrail(store, "t")
        pending = await trail.verify()
        assert pending.ok and pending.rows_checked == 3 and pending.genesis_id is None
        assert await trail.record("admin", "login", "user:admin") == 5
        genesis = (await trail.query(action=GENESIS_ACTION))[0]
        assert genesis.id == 4 and genesis.prev_hash == prev
        assert genesis.detail == {"keyed": "hmac-sha256", "unkeyed_rows": 3}
        verdict = await trail.verify()
        assert verdict.ok and verdict.rows_checked == 5 and verdict.genesis_id == 4
    verdict = await _verdict_after(
        db_path,
        await Store.open(db_path),
        "DROP TRIGGER audit_no_update",
        "UPDATE audit SET user = 'mallory' WHERE id = 2",
    )
    assert not verdict.ok and verdict.first_bad_id == 2


async def test_a_keyed_trail_without_its_key_is_refused(audit: AuditTrail, db_path: Path) -> None:
    await audit.record("alice", "login", "user:alice")
    audit_key_path_for(db_path).unlink()
    reopened = AuditTrail(audit._store, "t")  # a fresh trail: the key is not cached
    with pytest.raises(KeyFileError) as raised:
        await reopened.verify()
    assert raised.value.code == "audit_key_missing"
    with pytest.raises(KeyFileError):
        await reopened.record("alice", "logout", "user:alice")


def test_an_anchor_reads_and_prints_as_id_colon_hash() -> None:
    anchor = ChainHead.parse(" 12:" + "AB" * 32)
    assert anchor == ChainHead(12, "ab" * 32) and str(anchor) == "12:" + "ab" * 32
    for text in (
        "12",
        "0:" + "a" * 64,
        "-1:" + "a" * 64,
        "x:" + "a" * 64,
        "3:abc",
        "3:" + "g" * 64,
    ):
        with pytest.raises(ValueError):
            ChainHead.parse(text)

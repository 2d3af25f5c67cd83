"""The store API over both backends (``any_store``: SQLite and a private PostgreSQL):
transactions, savepoints, rollback on error, rows by name, concurrent writers, meta, the
change signal; and the PostgreSQL seam's own parts (dialect, DSN masking, migrations)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from data.migrations import load_migrations
from data.pg_store import PgStore, mask_dsn, store_file_stem
from data.sql_dialect import DialectError, to_postgres
from data.store import NotDutyDeskError, SchemaTooNewError, Store
from data.stores import open_store, store_label

_NOTE = "INSERT INTO events (at, source, kind, message) VALUES (?, 'test', ?, ?)"


async def _kinds(store: Any) -> list[str]:
    rows = await store.fetchall("SELECT kind FROM events ORDER BY id")
    return [row["kind"] for row in rows]


async def test_open_store_picks_the_backend(any_store: Any, backend: str) -> None:
    assert isinstance(any_store, PgStore if backend == "postgresql" else Store)
    assert any_store.schema_version >= 8
    assert await any_store.get_meta("app") == "dutydesk"


async def test_rows_are_addressable_by_index_and_name(any_store: Any) -> None:
    rows = await any_store.write(_NOTE + " RETURNING id, kind", ("t0", "a", "first"))
    assert rows[0]["kind"] == "a" and rows[0][1] == "a"
    row = await any_store.fetchone(
        "SELECT id, kind, message FROM events WHERE kind = :kind", {"kind": "a"}
    )
    assert row is not None
    assert (row["id"], row["kind"], row["message"]) == (rows[0]["id"], "a", "first")
    assert row[2] == "first"
    assert await any_store.fetchone("SELECT id FROM events WHERE kind = ?", ("none",)) is None


async def test_a_transaction_commits_together_or_rolls_back_on_error(any_store: Any) -> None:
    async with any_store.transaction() as db:
        await db.execute(_NOTE, ("t0", "a", ""))
        await db.executemany(_NOTE, [("t1", "b", ""), ("t2", "c", "")])
        rows = await db.execute_fetchall("SELECT count(*) AS n FROM events")
        assert rows[0]["n"] == 3
    with pytest.raises(RuntimeError, match="boom"):
        async with any_store.transaction():
            await any_store.write(_NOTE, ("t3", "d", ""))
            raise RuntimeError("boom")
    assert await _kinds(any_store) == ["a", "b", "c"]


async def test_a_nested_transaction_is_a_savepoint(any_store: Any) -> None:
    async with any_store.transaction():
        await any_store.write(_NOTE, ("t0", "outer", ""))
        with pytest.raises(ValueError):
            async with any_store.transaction():
                await any_store.write(_NOTE, ("t1", "inner-undone", ""))
                raise ValueError("undo the inner part only")
        async with any_store.transaction():
            await any_store.write(_NOTE, ("t2", "inner-kept", ""))
    assert await _kinds(any_store) == ["outer", "inner-kept"]


async def test_a_constraint_is_an_integrity_error_and_the_transaction_rolls_back(
    any_store: Any,
) -> None:
    raise_alarm = (
        "INSERT INTO alarms (device_id, check_id, severity, raised_at)"
        " VALUES ('sw', 'up', 'CRITICAL', ?)"
    )
    await any_store.write(raise_alarm, ("t0",))
    with pytest.raises(sqlite3.IntegrityError):
        async with any_store.transaction():
            await any_store.write(_NOTE, ("t1", "lost", ""))
            await any_store.write(raise_alarm, ("t1",))  # one active alarm per check
    assert await _kinds(any_store) == []
    await any_store.write(_NOTE, ("t2", "after", ""))  # the store is usable after it
    assert await _kinds(any_store) == ["after"]


async def test_write_many_and_upsert_with_excluded(any_store: Any) -> None:
    upsert = (
        "INSERT INTO live_devices (device_id, state, since) VALUES (?, ?, ?)"
        " ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, since = excluded.since"
    )
    await any_store.write_many(upsert, [("a", "UP", "t0"), ("b", "DOWN", "t0")])
    await any_store.write_many(upsert, [("b", "UP", "t1")])
    rows = await any_store.fetchall("SELECT device_id, state, since FROM live_devices ORDER BY 1")
    assert [tuple(row) for row in rows] == [("a", "UP", "t0"), ("b", "UP", "t1")]


async def test_meta(any_store: Any) -> None:
    assert await any_store.get_meta("nothing") is None
    await any_store.set_meta("k", "v1")
    await any_store.set_meta("k", "v2")
    assert await any_store.get_meta("k") == "v2"


async def test_concurrent_writers_on_separate_connections_never_lose_an_increment(
    store_target: str, any_store: Any, tmp_path: Path
) -> None:
    """Read-then-write transactions from several connections: each one's read sees the
    last commit (one writer at a time, as BEGIN IMMEDIATE), so no increment is lost."""
    await any_store.set_meta("counter", "0")
    others = [await open_store(store_target, key_dir=tmp_path / "keys") for _ in range(3)]
    stores = [any_store, *others]

    async def bump(store: Any, times: int) -> None:
        for _ in range(times):
            async with store.transaction():
                value = int(await store.get_meta("counter") or 0)
                await asyncio.sleep(0)
                await store.set_meta("counter", str(value + 1))

    try:
        await asyncio.gather(*(bump(store, 10) for store in stores))
    finally:
        for store in others:
            await store.close()
    assert await any_store.get_meta("counter") == "40"


async def test_another_connections_commit_changes_data_version(
    store_target: str, any_store: Any, tmp_path: Path
) -> None:
    other = await open_store(store_target, key_dir=tmp_path / "keys")
    try:
        before = await any_store.data_version()
        await any_store.write(_NOTE, ("t0", "own", ""))  # its own write: no change
        assert await any_store.data_version() == before
        await other.write(_NOTE, ("t1", "other", ""))
        deadline = asyncio.get_running_loop().time() + 5
        while await any_store.data_version() == before:
            assert asyncio.get_running_loop().time() < deadline, "no change seen in 5 s"
            await asyncio.sleep(0.02)
    finally:
        await other.close()


# The PostgreSQL seam's own parts.


async def test_postgres_wait_changed_wakes_on_another_sessions_commit(
    pg_dsn: str, tmp_path: Path
) -> None:
    first = await PgStore.open(pg_dsn, key_dir=tmp_path)
    second = await PgStore.open(pg_dsn, key_dir=tmp_path)
    try:
        waiter = asyncio.create_task(first.wait_changed(5))
        await asyncio.sleep(0.05)
        await second.set_meta("x", "1")
        assert await waiter is True
        assert await first.wait_changed(0.1) is False  # nothing else happened
    finally:
        await first.close()
        await second.close()


async def test_postgres_a_commit_announced_before_the_wait_is_not_lost(
    pg_dsn: str, tmp_path: Path
) -> None:
    """A console reads (``data_version``), another session commits and its NOTIFY arrives,
    then the console waits: the wait must end at once, not after its timeout."""
    console = await PgStore.open(pg_dsn, key_dir=tmp_path)
    watch = await PgStore.open(pg_dsn, key_dir=tmp_path)
    try:
        seen = await console.data_version()
        await watch.set_meta("x", "1")
        deadline = asyncio.get_running_loop().time() + 5
        while console._version == seen:  # the NOTIFY has reached the console
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        assert await console.wait_changed(2) is True
        assert await console.wait_changed(0.1) is False  # and only once
    finally:
        await console.close()
        await watch.close()


async def test_postgres_reopen_keeps_the_schema_and_refuses_newer_or_foreign(
    pg_dsn: str, tmp_path: Path, postgres_server: Any
) -> None:
    store = await PgStore.open(pg_dsn, key_dir=tmp_path)
    version = store.schema_version
    await store.close()
    again = await PgStore.open(pg_dsn, key_dir=tmp_path)
    assert again.schema_version == version
    assert await again.get_meta("schema_version") == str(version)
    await again.close()
    fewer = load_migrations("data.migrations.postgresql", gaps=True)[:-1]
    with pytest.raises(SchemaTooNewError):
        await PgStore.open(pg_dsn, key_dir=tmp_path, migrations=fewer)
    import asyncpg

    foreign = postgres_server.dsn("postgres")
    conn = await asyncpg.connect(foreign)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS somebody_elses (x int)")
    finally:
        await conn.close()
    with pytest.raises(NotDutyDeskError):
        await PgStore.open(foreign, key_dir=tmp_path)


async def test_postgres_unreachable_names_the_store_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with socket_port() as port:
        dsn = f"postgresql://duty:s3cr3t-pw@127.0.0.1:{port}/dutydesk"
        with pytest.raises(Exception) as caught:
            await open_store(dsn, key_dir=tmp_path)
    assert "s3cr3t-pw" not in str(caught.value)
    assert "***" in str(caught.value) and str(port) in str(caught.value)
    assert store_label(dsn) == f"postgresql://duty:***@127.0.0.1:{port}/dutydesk"


def socket_port() -> Any:
    """A loopback port nobody listens on (bound, not listening, while in use)."""
    import contextlib
    import socket

    @contextlib.contextmanager
    def bound() -> Any:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            yield sock.getsockname()[1]

    return bound()


def test_mask_dsn_hides_passwords_in_urls_and_parameters() -> None:
    assert mask_dsn("postgresql://u:p%40ss@h:5432/d?sslmode=require") == (
        "postgresql://u:***@h:5432/d?sslmode=require"
    )
    assert mask_dsn("postgres://u@h/d?password=x&sslmode=verify-full") == (
        "postgres://u@h/d?password=***&sslmode=verify-full"
    )
    assert mask_dsn("postgresql://u@h/d") == "postgresql://u@h/d"
    assert store_file_stem("postgresql://u:pw@db.example:6432/duty") == "duty_db.example_6432.pg"


def test_dialect_translates_placeholders_and_sqlite_spellings() -> None:
    statement = to_postgres(
        "SELECT user, 'it''s ? :x' AS s FROM audit WHERE user IS :who AND ts >= :since"
        " AND detail IS NOT NULL AND id::text <> :since -- a ? in a comment"
    )
    assert statement.sql == (
        "SELECT \"user\", 'it''s ? :x' AS s FROM audit WHERE \"user\" IS NOT DISTINCT FROM $1"
        " AND ts >= $2 AND detail IS NOT NULL AND id::text <> $2 -- a ? in a comment"
    )
    assert statement.names == ("who", "since")
    named = to_postgres("SELECT * FROM t WHERE a = :a AND b = :b AND c = :a")
    assert named.sql == "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $1"
    assert named.args({"a": 1, "b": 2}) == [1, 2]
    positional = to_postgres("UPDATE t SET a = ? WHERE b IS NOT ? RETURNING id")
    assert positional.sql == "UPDATE t SET a = $1 WHERE b IS DISTINCT FROM $2 RETURNING id"
    with pytest.raises(DialectError, match="2 placeholders but 1"):
        positional.args((1,))
    like = to_postgres("SELECT id FROM t WHERE name LIKE ? ESCAPE '\\' AND note NOT like 'LIKE'")
    assert like.sql == "SELECT id FROM t WHERE name ILIKE $1 ESCAPE '\\' AND note NOT ILIKE 'LIKE'"


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        ("PRAGMA user_version", "PRAGMA"),
        ("INSERT OR IGNORE INTO t VALUES (?)", "INSERT OR"),
        ("REPLACE INTO t VALUES (?)", "REPLACE INTO"),
        ("SELECT json_extract(value, '$.id') FROM meta", "json_"),
        ("SELECT strftime('%Y', at) FROM events", "date functions"),
        ("SELECT id FROM incidents_fts WHERE incidents_fts MATCH ?", "MATCH"),
        ("SELECT name FROM sqlite_schema", "SQLite's own tables"),
        ("SELECT group_concat(kind) FROM events", "group_concat"),
        ("SELECT a FROM t WHERE a = ? AND b = :b", "mixes"),
    ],
)
def test_dialect_refuses_what_it_cannot_translate(sql: str, what: str) -> None:
    with pytest.raises(DialectError, match=what):
        to_postgres(sql)


async def test_postgres_refuses_sqlite_only_sql_before_the_server_sees_it(
    pg_dsn: str, tmp_path: Path
) -> None:
    async with await PgStore.open(pg_dsn, key_dir=tmp_path) as store:
        with pytest.raises(DialectError, match="PRAGMA"):
            await store.fetchall("PRAGMA data_version")
        with pytest.raises(DialectError, match="SQLite-only"):
            await store.ensure_function("f", 1, len)
        assert await store.get_meta("app") == "dutydesk"  # still usable


async def test_postgres_tables_have_the_columns_of_their_sqlite_twins(
    pg_dsn: str, tmp_path: Path
) -> None:
    """Each table a ported migration number creates exists on PostgreSQL with the columns
    SQLite has after every migration: a SQLite change to a ported table must reach its
    PostgreSQL file too."""
    import re

    ported = {m.version for m in load_migrations("data.migrations.postgresql", gaps=True)}
    created = {
        name
        for m in load_migrations()
        if m.version in ported
        for name in re.findall(r"CREATE TABLE (\w+)", m.sql)
    }
    lite = await Store.open(tmp_path / "twin.db")
    try:
        sqlite_columns = {
            table: {row["name"] for row in await lite.fetchall(f"PRAGMA table_info({table})")}
            for table in created
        }
    finally:
        await lite.close()
    async with await PgStore.open(pg_dsn, key_dir=tmp_path) as pg:
        rows = await pg.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
    pg_columns: dict[str, set[str]] = {}
    for row in rows:
        pg_columns.setdefault(row["table_name"], set()).add(row["column_name"])
    assert {table: pg_columns.get(table) for table in created} == sqlite_columns


async def test_postgres_a_lost_connection_is_a_fault_naming_the_store(
    pg_dsn: str, tmp_path: Path
) -> None:
    import asyncpg

    from data.store import DatabaseFault

    async def kill() -> None:
        killer = await asyncpg.connect(pg_dsn)
        try:
            await killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await killer.close()

    store = await PgStore.open(pg_dsn, key_dir=tmp_path)
    try:
        with pytest.raises(DatabaseFault) as caught:  # lost inside a transaction
            async with store.transaction() as db:
                await db.execute("SELECT 1")
                await kill()
                await db.execute("SELECT 1")
        assert caught.value.code == "db_unreachable"
        assert store.label in str(caught.value)
        # the server is still there: the connection is opened again at the next use
        row = await store.fetchone("SELECT 1")
        assert row is not None and row[0] == 1
    finally:
        await store.close()


async def test_postgres_sessions_keep_every_acknowledged_write_and_refuse_otherwise(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data import pg_store
    from data.store import StoreError

    await _behind_the_triggers(
        pg_dsn,
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off',"
        " current_database()); END $$",
    )  # a database set to off: our startup setting wins
    import asyncpg

    plain = await asyncpg.connect(pg_dsn)
    try:
        assert await plain.fetchval("SHOW synchronous_commit") == "off"
    finally:
        await plain.close()
    async with await PgStore.open(pg_dsn, key_dir=tmp_path) as store:
        assert await store.fetchall("SHOW synchronous_commit") == [("on",)]
        assert await store.fetchall("SHOW statement_timeout") == [("30s",)]
    connect = pg_store._connect

    async def pooled(dsn: str, label: str) -> Any:  # a pooler that drops the startup setting
        conn = await connect(dsn, label)
        await conn.execute("SET synchronous_commit = off")
        return conn

    monkeypatch.setattr(pg_store, "_connect", pooled)
    with pytest.raises(StoreError, match="synchronous_commit off") as caught:
        await PgStore.open(pg_dsn, key_dir=tmp_path)
    assert caught.value.code == "not_durable" and mask_dsn(pg_dsn) in str(caught.value)


async def _audited_store(dsn: str, key_dir: Path, rows: int = 3) -> None:
    from data.audit import AuditTrail

    store: Any = await PgStore.open(dsn, key_dir=key_dir)
    async with store:
        trail = AuditTrail(store, terminal="test")
        for n in range(rows):
            await trail.record("admin", "test.row", f"row {n}")


async def _behind_the_triggers(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:  # a superuser with the triggers off: what dutydesk itself can never do
        await conn.execute(f"SET session_replication_role = replica; {sql}")
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            "UPDATE audit SET object = 'changed' WHERE id = (SELECT max(id) FROM audit)",
            "was changed",
        ),
        ("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)", "deleted from the end"),
        ("DELETE FROM meta WHERE key = 'audit.head'", "head record"),
        (
            "DELETE FROM audit WHERE id = (SELECT max(id) - 1 FROM audit)",
            "row 3 is missing",
        ),
        (
            "UPDATE audit SET prev_hash = repeat('1', 64) WHERE id = (SELECT max(id) FROM audit)",
            "does not link",
        ),
        ("DELETE FROM audit", "trail is empty"),
    ],
)
async def test_postgres_open_checks_the_audit_chain_head(
    pg_dsn: str, tmp_path: Path, tamper: str, problem: str
) -> None:
    from data.store import CorruptDatabaseError

    await _audited_store(pg_dsn, tmp_path)  # the genesis row and 3 more: rows 1..4
    await _behind_the_triggers(pg_dsn, tamper)
    with pytest.raises(CorruptDatabaseError, match=problem) as caught:
        await PgStore.open(pg_dsn, key_dir=tmp_path)
    assert mask_dsn(pg_dsn) in str(caught.value) and "was not opened" in str(caught.value)


async def test_postgres_open_checks_the_head_row_under_the_audit_key(
    pg_dsn: str, tmp_path: Path
) -> None:
    from data.crypto import audit_key_path_for
    from data.store import CorruptDatabaseError

    await _audited_store(pg_dsn, tmp_path)
    key = audit_key_path_for(tmp_path / store_file_stem(pg_dsn))
    key.unlink()  # without the key only the links are checked: it opens
    await (await PgStore.open(pg_dsn, key_dir=tmp_path)).close()
    key.write_bytes(b"k" * 32)
    key.chmod(0o600)  # another database's key: the head row does not verify under it
    with pytest.raises(CorruptDatabaseError, match="without this database's audit key"):
        await PgStore.open(pg_dsn, key_dir=tmp_path)


async def test_postgres_a_statement_past_the_timeout_is_a_fault_and_the_store_goes_on(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data import pg_store
    from data.store import DatabaseFault

    monkeypatch.setattr(pg_store, "STATEMENT_TIMEOUT_S", 0.3)
    async with await PgStore.open(pg_dsn, key_dir=tmp_path) as store:
        with pytest.raises(DatabaseFault, match=r"longer than 0\.3 s") as caught:
            async with store.transaction() as db:
                await db.execute(_NOTE, ("t", "lost", "m"))
                await db.execute("SELECT pg_sleep(2)")
        assert caught.value.code == "db_unreachable" and store.label in str(caught.value)
        await store.write(_NOTE, ("t", "kept", "m"))
        assert await _kinds(store) == ["kept"]


async def test_postgres_a_hung_server_is_a_fault_not_a_hang(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import time

    from data import pg_store
    from data.store import DatabaseFault

    monkeypatch.setattr(pg_store, "COMMAND_TIMEOUT_S", 1.0)
    async with await PgStore.open(pg_dsn, key_dir=tmp_path) as store:
        pid = int((await store.fetchall("SELECT pg_backend_pid()"))[0][0])
        os.kill(pid, signal.SIGSTOP)  # connected, but it never answers
        try:
            started = time.monotonic()
            with pytest.raises(DatabaseFault, match="did not answer within 1 s") as caught:
                await store.write(_NOTE, ("t", "hung", "m"))
            assert time.monotonic() - started < 10
            assert caught.value.code == "db_unreachable" and not store.reachable
        finally:
            os.kill(pid, signal.SIGCONT)
        await store.write(_NOTE, ("t", "after", "m"))  # a new connection at the next use
        assert await _kinds(store) == ["after"]


async def test_postgres_text_with_a_nul_is_refused_as_a_dutydesk_error(
    pg_dsn: str, tmp_path: Path
) -> None:
    from data.errors import DutyDeskError
    from data.pg_store import NulInTextError

    async with await PgStore.open(pg_dsn, key_dir=tmp_path) as store:
        async with store.transaction() as db:
            with pytest.raises(NulInTextError, match="NUL") as caught:
                await db.execute(_NOTE, ("t", "nul", "a\x00b"))
            assert isinstance(caught.value, DutyDeskError) and caught.value.code == "nul_in_text"
            await db.execute(_NOTE, ("t", "same transaction", "m"))  # checked before sending
        with pytest.raises(NulInTextError):
            await store.write_many(_NOTE, [("t", "a", "m"), ("t", "b", "x\x00")])
        assert await _kinds(store) == ["same transaction"]

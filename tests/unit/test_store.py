"""The store: migrations, integrity check at open, transactions and their serialisation."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from data.audit import AuditEvent, AuditTrail
from data.backup import backup
from data.clock import from_db, to_db
from data.migrations import Migration, load_migrations
from data.store import (
    CorruptDatabaseError,
    MigrationError,
    NotDutyDeskError,
    SchemaTooNewError,
    Store,
    default_backup_dir,
)


def _pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as db:
        return db.execute(f"PRAGMA {name}").fetchone()[0]


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}


async def _filled_store(path: Path, rows: int = 3000) -> None:
    """A database several hundred KiB long, so its middle holds table pages."""
    store = await Store.open(path)
    await AuditTrail(store, "t").record_many(
        AuditEvent("filler", "fill", f"row:{i}", detail={"text": "x" * 40}) for i in range(rows)
    )
    await store.close()


def _damage_middle(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2 // 4096 * 4096)  # a whole page in the middle: header and cells
        f.write(b"\xa5" * 4096 * 3)


async def test_fresh_database_reaches_latest_version(store: Store, db_path: Path) -> None:
    latest = load_migrations()[-1].version
    assert store.schema_version == latest
    assert _pragma(db_path, "user_version") == latest
    assert {"meta", "users", "audit"} <= _tables(db_path)
    assert _pragma(db_path, "journal_mode") == "wal"
    pragmas = await store.fetchall("SELECT * FROM pragma_synchronous, pragma_foreign_keys")
    assert tuple(pragmas[0]) == (2, 1)  # synchronous=FULL, foreign_keys=ON, per connection


async def test_reopen_is_idempotent(db_path: Path) -> None:
    first = await Store.open(db_path)
    await first.set_meta("marker", "kept")
    await first.close()
    again = await Store.open(db_path)
    try:
        assert again.schema_version == load_migrations()[-1].version
        assert await again.get_meta("marker") == "kept"
        assert len(await again.fetchall("SELECT * FROM meta WHERE key = 'app'")) == 1
    finally:
        await again.close()


async def test_failing_migration_rolls_back(db_path: Path) -> None:
    base = load_migrations()
    n = len(base) + 1
    broken = Migration(n, "broken", "CREATE TABLE half_done (x);\nINSERT INTO no_such VALUES (1);")
    with pytest.raises(MigrationError, match=f"{n:04d}_broken") as caught:
        await Store.open(db_path, migrations=[*base, broken])
    assert caught.value.code == "migration_failed"
    assert _pragma(db_path, "user_version") == len(base)  # the real ones committed, not it
    assert "half_done" not in _tables(db_path)
    reopened = await Store.open(db_path)
    await reopened.close()


async def test_migration_that_breaks_a_foreign_key_rolls_back(db_path: Path) -> None:
    base = load_migrations()
    orphan = Migration(
        len(base) + 1,
        "orphan",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id));\n"
        "INSERT INTO child VALUES (7);",
    )
    with pytest.raises(MigrationError, match="foreign key"):
        await Store.open(db_path, migrations=[*base, orphan])
    assert _pragma(db_path, "user_version") == len(base)
    assert "child" not in _tables(db_path)


async def test_database_newer_than_code_is_refused(db_path: Path) -> None:
    await (await Store.open(db_path)).close()
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaTooNewError, match="schema version 99"):
        await Store.open(db_path)


async def test_someone_elses_sqlite_file_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
    with pytest.raises(NotDutyDeskError):
        await Store.open(db_path)
    assert _tables(db_path) == {"contacts"}  # nothing of ours was added


async def test_damaged_file_is_refused_naming_newest_backup(db_path: Path) -> None:
    await _filled_store(db_path)
    store = await Store.open(db_path)
    older = default_backup_dir(db_path) / "older.db"
    newer = db_path.parent / "elsewhere" / "newer.db"
    audit = AuditTrail(store, "t")
    await backup(store, older, audit, clock=lambda: datetime(2026, 3, 1, tzinfo=UTC))
    await backup(store, newer, audit, clock=lambda: datetime(2026, 3, 2, tzinfo=UTC))
    await store.close()
    _damage_middle(db_path)

    with pytest.raises(CorruptDatabaseError) as caught:
        await Store.open(db_path)
    message = str(caught.value)
    assert "damaged" in message
    assert str(newer) in message
    assert f"dutydesk restore {newer}" in message
    assert caught.value.params["newest_backup"] == str(newer)


async def test_damaged_file_without_backups_says_so(db_path: Path) -> None:
    await _filled_store(db_path)
    _damage_middle(db_path)
    with pytest.raises(CorruptDatabaseError, match="No backup of it is known"):
        await Store.open(db_path)


async def test_not_a_database_is_reported_as_damaged(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is a text file, not a database\n" * 200)
    with pytest.raises(CorruptDatabaseError) as caught:
        await Store.open(db_path)
    assert caught.value.code == "corrupt_database"
    assert "not a database" in str(caught.value)


async def test_transaction_commits_and_rolls_back(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute("INSERT INTO meta VALUES ('committed', '1')")
    with pytest.raises(RuntimeError):
        async with store.transaction() as db:
            await db.execute("INSERT INTO meta VALUES ('rolled_back', '1')")
            raise RuntimeError("boom")
    assert await store.get_meta("committed") == "1"
    assert await store.get_meta("rolled_back") is None


async def test_nested_transaction_is_a_savepoint(store: Store) -> None:
    async with store.transaction():
        await store.set_meta("outer", "1")
        with pytest.raises(ValueError):
            async with store.transaction():
                await store.set_meta("inner", "1")
                raise ValueError("inner fails alone")
        await store.set_meta("after", "1")
    assert await store.get_meta("outer") == "1"
    assert await store.get_meta("inner") is None
    assert await store.get_meta("after") == "1"


async def test_concurrent_transactions_do_not_interleave(store: Store) -> None:
    log: list[str] = []

    async def worker(name: str) -> None:
        async with store.transaction() as db:
            log.append(f"{name} in")
            for i in range(5):
                await db.execute("INSERT INTO meta VALUES (?, ?)", (f"{name}{i}", name))
            log.append(f"{name} out")

    await asyncio.gather(*(worker(n) for n in "abcd"))
    pairs = [log[i : i + 2] for i in range(0, len(log), 2)]
    assert all(p[0].split()[0] == p[1].split()[0] for p in pairs), log
    assert len(await store.fetchall("SELECT * FROM meta WHERE key GLOB '[abcd][0-4]'")) == 20


async def test_readers_never_see_another_tasks_uncommitted_rows(store: Store) -> None:
    written = asyncio.Event()

    async def writer() -> None:
        with pytest.raises(RuntimeError):
            async with store.transaction() as db:
                await db.execute("INSERT INTO meta VALUES ('draft', 'uncommitted')")
                written.set()
                reader = asyncio.ensure_future(store.get_meta("draft"))
                # The reader must be held until this transaction ends.
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(reader), 0.3)
                readers.append(reader)
                raise RuntimeError("roll it back")

    readers: list[asyncio.Future[str | None]] = []
    await writer()
    assert written.is_set()
    assert await readers[0] is None


def test_times_are_stored_as_utc_text() -> None:
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 2, 8, 30, tzinfo=shanghai)
    text = to_db(moment)
    assert text == "2026-03-02T00:30:00.000000+00:00"
    assert from_db(text) == moment
    with pytest.raises(ValueError):
        to_db(datetime(2026, 3, 2, 8, 30))

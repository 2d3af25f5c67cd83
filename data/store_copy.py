"""``dutydesk migrate``: a site's whole history copied from its SQLite file into an empty
PostgreSQL database, so a room can grow from one terminal to several.

The SQLite store is opened (and so migrated to the current schema) and the PostgreSQL one
opened and migrated to the same numbers; the target must hold no rows of ours yet. Then,
in one PostgreSQL transaction, every table is copied in the SQLite schema's creation order
(a referenced table before those that refer to it), its rows in id order with their ids
kept, and each identity sequence is advanced past the highest id copied. The audit rows go
through the PostgreSQL triggers like any append (genesis first, each extending the chain,
the head kept in ``meta``), so a chain that copies is a chain those rules accept; the other
tables' guard triggers (sealed records, append-only timelines) are off for the copy only,
inside its transaction: their rows were judged by the same rules on SQLite. The key
files (``<db>.audit-key``, ``<db>.key``) are copied beside the DSN's local name
(``data.stores.local_path``), and the audit chain is verified on PostgreSQL with that key.
Any failure rolls the copy back: the target is left empty.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from data.audit import AuditTrail, AuditVerdict
from data.crypto import audit_key_path_for, key_path_for
from data.paths import PRIVATE_FILE, private_dir
from data.pg_store import PgStore
from data.store import Store, StoreError
from data.stores import local_path

__all__ = ["CopyError", "CopyResult", "copy_sqlite_to_postgres"]

BATCH = 1000
# Kept by the PostgreSQL store itself (its migrations and the audit triggers), never copied.
_OWN_META = frozenset({"app", "schema_version", "audit.head", "audit.genesis"})
_SKIPPED = frozenset({"meta", "schema_migrations"})
# Copied through their triggers: each audit row must extend the chain, the head in meta.
_CHAINED = frozenset({"audit"})


class CopyError(StoreError):
    """The copy was refused (bad input, a target not empty, a table PostgreSQL lacks)."""

    code = "copy_refused"


@dataclass
class CopyResult:
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    verdict: AuditVerdict | None = None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _sqlite_tables(store: Store) -> list[str]:
    """Ordinary tables in creation order, without SQLite's own and full-text tables."""
    rows = await store.fetchall(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
    )
    virtual = [r["name"] for r in rows if str(r["sql"] or "").upper().startswith("CREATE VIRTUAL")]
    tables = []
    for row in rows:
        name = str(row["name"])
        if name.startswith("sqlite_") or name in _SKIPPED:
            continue
        if any(name == v or name.startswith(v + "_") for v in virtual):
            continue  # FTS5 and its shadow tables: PostgreSQL searches its own way
        tables.append(name)
    return tables


async def _pg_columns(target: PgStore) -> dict[str, dict[str, bool]]:
    """table -> {column: is identity} in the target's schema."""
    rows = await target.fetchall(
        "SELECT table_name, column_name, is_identity FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    found: dict[str, dict[str, bool]] = {}
    for row in rows:
        found.setdefault(str(row[0]), {})[str(row[1])] = row[2] == "YES"
    return found


async def _refuse_not_empty(target: PgStore, tables: Iterable[str]) -> None:
    for table in tables:
        if table in _SKIPPED:
            continue
        if await target.fetchone(f"SELECT 1 FROM {_q(table)} LIMIT 1") is not None:
            raise CopyError(
                f"The database {target.label} is not empty (table {table} has rows):"
                " migrate copies into an empty database only"
            )


def _copy_key(source: Path, dest: Path) -> None:
    """The source's key file beside the target's local name; an existing different key is
    refused (it would orphan what it encrypts)."""
    if not source.is_file():
        return
    data = source.read_bytes()
    if dest.exists():
        if dest.read_bytes() != data:
            raise CopyError(f"{dest} already holds a different key: move it away first")
        return
    private_dir(dest.parent)
    shutil.copyfile(source, dest)
    dest.chmod(PRIVATE_FILE)


async def copy_sqlite_to_postgres(
    source_path: Path, dsn: str, *, key_dir: Path | str | None = None
) -> CopyResult:
    """Copy the SQLite store at ``source_path`` into the empty PostgreSQL database at
    ``dsn``; ``CopyError`` for bad input or a target not empty, nothing copied then."""
    if not source_path.is_file():
        raise CopyError(f"{source_path} is not a dutydesk database file")
    source = await Store.open(source_path)
    try:
        target = await PgStore.open(dsn, key_dir=key_dir)
        try:
            return await _copy(source, source_path, target, dsn, key_dir)
        finally:
            await target.close()
    finally:
        await source.close()


async def _copy(
    source: Store, source_path: Path, target: PgStore, dsn: str, key_dir: Path | str | None
) -> CopyResult:
    tables = await _sqlite_tables(source)
    columns = await _pg_columns(target)
    await _refuse_not_empty(target, columns)
    plan: list[tuple[str, list[str]]] = []
    missing = []
    for table in tables:
        names = [str(r["name"]) for r in await source.fetchall(f"PRAGMA table_info({_q(table)})")]
        has_rows = await source.fetchone(f"SELECT 1 FROM {_q(table)} LIMIT 1") is not None
        if table not in columns or any(c not in columns[table] for c in names):
            if has_rows:
                missing.append(table)
            continue
        plan.append((table, names))
    if missing:
        raise CopyError(
            "These tables hold rows but are not (yet) in the PostgreSQL schema: "
            + ", ".join(missing)
        )
    base = local_path(dsn, key_dir=key_dir)
    _copy_key(audit_key_path_for(source_path), audit_key_path_for(base))
    _copy_key(key_path_for(source_path), key_path_for(base))
    result = CopyResult()
    async with target.transaction() as db:
        meta = await source.fetchall("SELECT key, value FROM meta ORDER BY key")
        for row in meta:
            if row["key"] not in _OWN_META:
                await db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (row["key"], row["value"]),
                )
        for table, names in plan:
            guards = [] if table in _CHAINED else await _guard_triggers(db, table)
            for name in guards:  # e.g. a sealed inspection refusing its answers' inserts
                await db.execute(f"ALTER TABLE {_q(table)} DISABLE TRIGGER {_q(name)}")
            result.counts[table] = await _copy_table(source, db, table, names)
            for name in guards:
                await db.execute(f"ALTER TABLE {_q(table)} ENABLE TRIGGER {_q(name)}")
            for column in names:
                if columns[table].get(column):
                    await db.execute(
                        f"SELECT setval(pg_get_serial_sequence(?, ?), max({_q(column)}))"
                        f" FROM {_q(table)} HAVING max({_q(column)}) IS NOT NULL",
                        (table, column),
                    )
    result.verdict = await AuditTrail(cast(Store, target)).verify()
    return result


async def _guard_triggers(db: Any, table: str) -> list[str]:
    """The table's own triggers (not the foreign keys'). Their rules held in the SQLite
    store the rows come from; re-judging them row by row would refuse e.g. the answers of
    an inspection copied sealed. They are off only for the copy, inside its transaction."""
    rows = await db.execute_fetchall(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal"
        " ORDER BY tgname",
        (_q(table),),
    )
    return [str(r[0]) for r in rows]


async def _copy_table(source: Store, db: Any, table: str, names: Sequence[str]) -> int:
    """The table's rows in id order (primary key order for a table without ``id``)."""
    cols = ", ".join(_q(n) for n in names)
    insert = f"INSERT INTO {_q(table)} ({cols}) VALUES ({', '.join('?' for _ in names)})"
    if "id" not in names:
        info = await source.fetchall(f"PRAGMA table_info({_q(table)})")
        keys = [str(r["name"]) for r in sorted(info, key=lambda r: r["pk"]) if r["pk"]]
        order = ", ".join(_q(k) for k in keys) or cols
        rows = await source.fetchall(f"SELECT {cols} FROM {_q(table)} ORDER BY {order}")
        await db.executemany(insert, [tuple(row) for row in rows])
        return len(rows)
    count, last = 0, None
    while True:
        where = "" if last is None else " WHERE id > ?"
        rows = await source.fetchall(
            f"SELECT {cols} FROM {_q(table)}{where} ORDER BY id LIMIT ?",
            (BATCH,) if last is None else (last, BATCH),
        )
        if not rows:
            return count
        # Row by row on the server, in id order: each audit row's triggers see the one before.
        await db.executemany(insert, [tuple(row) for row in rows])
        count += len(rows)
        last = rows[-1]["id"]

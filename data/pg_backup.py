"""Backup and restore of a PostgreSQL store with the server's own tools: ``pg_dump -Fc`` and
``pg_restore`` into a fresh database, each checked.

``backup`` dumps the database (one consistent snapshot) to a temporary file beside the
destination, checks the dump (``pg_restore --list`` reads it whole), moves it into place
(mode 0600), notes it in the store's backup log and records it in the audit trail, like the
SQLite backup (data.backup). The site's DBAs may of course keep backing the server up their
own way; this is the room's own copy.

``restore`` only fills a *fresh* database (no tables): it never drops a live one. The audit
key (``<db>.audit-key``, and the field key ``<db>.key``) must first be copied beside the
target DSN's local name (``data.stores.local_path``), as a SQLite restore onto a new place
needs. Then ``pg_restore --single-transaction --exit-on-error --no-owner`` loads the dump,
the store is opened (its schema version checked and migrated forward) and the audit chain
verified with that key; the restore row is appended by the caller once the restorer has
logged in against the restored accounts (a failed login empties the database again:
``wipe_restored``).

The password is never put on a command line: one written in the DSN (or ``${ENV}``) is
taken out and handed to the tools as ``PGPASSWORD``; otherwise they read ``PGPASSWORD`` or
``~/.pgpass`` themselves.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from data.audit import AuditTrail, load_chain_key
from data.backup import BackupError
from data.paths import PRIVATE_FILE, create_private, private_dir
from data.pg_store import PgStore, mask_dsn

__all__ = ["dump", "fresh_restore", "tool", "wipe_restored"]

PG_BIN = Path(os.environ.get("DUTYDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: from ``$DUTYDESK_PG_BIN`` (Debian's PostgreSQL 15 by
    default), else the one on PATH."""
    path = PG_BIN / name
    if path.is_file():
        return str(path)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _split_password(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN without its password, and the environment for the tools."""
    env = dict(os.environ)
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn, env
    from urllib.parse import unquote

    env["PGPASSWORD"] = unquote(parts.password)
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    clean = parts._replace(netloc=f"{user}@{netloc[1]}")
    return urlunsplit(clean), env


def _run(argv: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        detail = mask_dsn((done.stderr or done.stdout).strip())
        raise BackupError(f"{what} failed: {detail}", code="pg_tool_failed")
    return done.stdout


def _dump_checked(dsn: str, dest: Path) -> None:
    clean, env = _split_password(dsn)
    private_dir(dest.parent)
    staged = dest.with_name(f".{dest.name}.dumping-{os.getpid()}")
    create_private(staged)
    try:
        _run([tool("pg_dump"), "-Fc", "-f", str(staged), "-d", clean], env, "pg_dump")
        listing = _run([tool("pg_restore"), "--list", str(staged)], env, "pg_restore --list")
        if " TABLE DATA " not in listing or " audit " not in listing:
            raise BackupError(f"The dump of {mask_dsn(dsn)} holds no audit trail")
        os.chmod(staged, PRIVATE_FILE)
        os.replace(staged, dest)
    finally:
        staged.unlink(missing_ok=True)


async def dump(store: PgStore, dsn: str, dest: Path) -> int:
    """Dump ``dsn`` (the store open on it) to ``dest``; the schema version dumped.
    ``BackupError`` when ``dest`` exists or a tool fails; nothing is left behind then."""
    if dest.exists():
        raise BackupError(
            f"{dest} already exists: choose another name or ask to overwrite it.",
            code="backup_exists",
        )
    version = store.schema_version
    await asyncio.to_thread(_dump_checked, dsn, dest)
    return version


async def _tables(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        )
    finally:
        await conn.close()
    return int(count)


async def wipe_restored(dsn: str) -> None:
    """Undo a restore into a fresh database (the restorer could not log in): drop what the
    dump created in the current schema, its extensions included, so the database is fresh
    again. Only for a database ``fresh_restore`` filled: it held no tables before."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for (name,) in await conn.fetch(
                "SELECT e.extname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE n.nspname = current_schema()"
            ):
                await conn.execute(f'DROP EXTENSION IF EXISTS "{name}" CASCADE')
            for (name,) in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ):
                await conn.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
            for (signature,) in await conn.fetch(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
                " ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
            ):
                await conn.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    finally:
        await conn.close()


async def fresh_restore(backup_path: Path, dsn: str, local: Path) -> int:
    """Load the dump at ``backup_path`` into the fresh database ``dsn`` (whose local name
    is ``local``, the audit key beside it) and verify it; the number of audit rows."""
    if not backup_path.is_file():
        raise BackupError(f"{backup_path} does not exist", code="backup_missing")
    load_chain_key(local)  # KeyFileError before anything is written
    try:
        tables = await _tables(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"{mask_dsn(dsn)}: {mask_dsn(str(exc))}", code="restore_failed") from exc
    if tables:
        raise BackupError(
            f"{mask_dsn(dsn)} is not a fresh database ({tables} tables): restore into a new one"
            " (createdb), never over a live store",
            code="restore_not_fresh",
        )
    clean, env = _split_password(dsn)
    argv = [
        tool("pg_restore"),
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "-d",
        clean,
        str(backup_path),
    ]
    await asyncio.to_thread(_run, argv, env, "pg_restore")
    async with await PgStore.open(dsn, key_dir=local.parent) as store:
        verdict = await AuditTrail(store).verify()  # type: ignore[arg-type]
    if not verdict.ok:
        raise BackupError(
            f"The restored audit chain of {mask_dsn(dsn)} is broken at row"
            f" {verdict.first_bad_id}: {verdict.reason}",
            code="restore_chain_broken",
        )
    return verdict.rows_checked

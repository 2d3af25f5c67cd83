"""The record store: one SQLite file through aiosqlite.

``await Store.open(path)`` checks the file's integrity before anything else, switches on
WAL, ``synchronous=FULL`` and foreign keys, and applies pending migrations. All access goes
through one connection whose use is serialised by an ``asyncio.Lock``:

- ``async with store.transaction() as db:`` runs ``BEGIN IMMEDIATE`` ... ``COMMIT`` (or
  ``ROLLBACK`` on an exception); ``db`` is the aiosqlite connection. The task that holds a
  transaction may nest ``transaction()`` (a SAVEPOINT) and call ``fetchall``/``write``,
  which join it. Do not spawn other tasks that use the store from inside a transaction:
  they wait for it to end.
- ``fetchall``/``fetchone``/``write`` run one statement (one await, ~60 µs); outside a
  transaction, ``write`` is its own atomic statement-level transaction.

A fault of the file or the disk under it (read-only, full, locked by another program for
longer than ``BUSY_TIMEOUT_MS``, an I/O error, cannot be opened) is raised as a
``DatabaseFault``: one line naming the file and the cause. It is also an
``sqlite3.OperationalError``, so code that handles SQLite's errors still does.

The database is created 0600 before SQLite first opens it (SQLite gives its WAL and SHM
files the database's mode); ``exposed_store_files`` (data.paths) names files others can read.

It also keeps the small log of backups made (``<db>.backups.json``), which the
damaged-database message reads to name the newest backup.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import errno
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import aiosqlite

from data.clock import from_db, to_db
from data.errors import DutyDeskError
from data.migrations import Migration, load_migrations
from data.paths import create_private, private_dir, write_private

Params = Sequence[Any] | Mapping[str, Any]
BUSY_TIMEOUT_MS = 5000  # another process (the CLI beside the console) may hold the write lock
_BACKUP_LOG_KEEP = 100
_CORRUPTION_ERRORS = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


class StoreError(DutyDeskError):
    code = "store_error"


class CorruptDatabaseError(StoreError):
    """The file fails ``PRAGMA integrity_check`` or is not a SQLite database at all."""

    code = "corrupt_database"


class SchemaTooNewError(StoreError):
    code = "schema_too_new"


class NotDutyDeskError(StoreError):
    code = "not_dutydesk"


class MigrationError(StoreError):
    code = "migration_failed"


class InDoubtCommit(Protocol):
    """A transaction whose COMMIT was sent but whose answer never came (the connection to a
    database server dropped at that moment): it may have committed or not."""

    async def committed(self) -> bool:
        """Whether it did, asked of the server once it answers again (a ``DatabaseFault``
        while it does not). Whoever retries the write asks first, so that a write that
        did commit is not made twice."""
        ...


class DatabaseFault(StoreError, sqlite3.OperationalError):
    """The file or the disk under it failed, not dutydesk: codes ``db_read_only``,
    ``db_full``, ``db_locked``, ``db_io``, ``cannot_open``; params ``path`` and ``cause``.
    ``in_doubt`` is set when the write may have been committed all the same (only a server
    store: SQLite's COMMIT either returns or did not happen)."""

    code = "db_io"
    in_doubt: InDoubtCommit | None = None


# SQLite's primary result codes (extended codes start with these) that mean the file or the
# disk under it failed; any other error is dutydesk's own and passes unchanged.
_FAULT_CODES = (
    ("SQLITE_READONLY", "db_read_only"),
    ("SQLITE_PERM", "db_read_only"),
    ("SQLITE_FULL", "db_full"),
    ("SQLITE_BUSY", "db_locked"),
    ("SQLITE_IOERR", "db_io"),
    ("SQLITE_CANTOPEN", "cannot_open"),
)
# The English text of each fault (the catalogs' error.<code> say the same, translated).
_FAULT_TEXT = {
    "db_read_only": "The database {path} cannot be written: the file is read-only ({detail}).",
    "db_full": "The database {path} cannot be written: the disk is full ({detail}).",
    "db_locked": (
        "The database {path} is locked: another program has held its lock for more than"
        " {seconds} s ({detail})."
    ),
    "db_io": "The database {path} cannot be read or written: input/output error ({detail}).",
    "cannot_open": "The database {path} cannot be opened: {detail}",
}


def database_fault(path: Path, exc: BaseException) -> DatabaseFault | None:
    """The one-line fault for an error of SQLite or the OS on the database at ``path``;
    None for any other error (a constraint, a bug in a statement, a damaged file)."""
    if isinstance(exc, DatabaseFault):
        return exc
    if isinstance(exc, OSError):  # from creating or opening the file ourselves
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return _fault(path, "db_read_only", _os_detail(exc), exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return _fault(path, "db_full", _os_detail(exc), exc)
        return _fault(path, "cannot_open", _os_detail(exc), exc)
    name = getattr(exc, "sqlite_errorname", "") or ""
    for prefix, code in _FAULT_CODES:
        if name.startswith(prefix):
            detail = _cannot_open_cause(path) if code == "cannot_open" else str(exc)
            return _fault(path, code, detail, exc)
    return None


@contextlib.contextmanager
def faults_of(path: Path, *kinds: type[Exception]) -> Iterator[None]:
    """Errors of ``kinds`` that are faults of the file or disk at ``path`` leave as
    one-line ``DatabaseFault``s; other errors pass unchanged."""
    try:
        yield
    except kinds as exc:
        fault = database_fault(path, exc)
        if fault is None or fault is exc:
            raise
        raise fault from exc


def _fault(path: Path, code: str, detail: str, exc: BaseException) -> DatabaseFault:
    params = {"path": str(path), "detail": detail, "seconds": f"{BUSY_TIMEOUT_MS / 1000:g}"}
    fault = DatabaseFault(_FAULT_TEXT[code].format(**params), code=code, **params)
    # what code that inspects SQLite's own errors looks at
    fault.sqlite_errorcode = getattr(exc, "sqlite_errorcode", -1)
    fault.sqlite_errorname = getattr(exc, "sqlite_errorname", "")
    return fault


def _os_detail(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _check_writable(path: Path) -> None:
    """SQLite opens a file it may not write read-only without a word and fails only at the
    first write: find that out before anything is shown as saved."""
    os.close(os.open(path, os.O_RDWR))


def _cannot_open_cause(path: Path) -> str:
    """Why SQLite could not open the file (or create its WAL/SHM beside it), from the OS."""
    for target, flags in ((path, os.O_RDWR), (path.parent, os.O_RDONLY | os.O_DIRECTORY)):
        try:
            os.close(os.open(target, flags))
        except OSError as exc:
            return _os_detail(exc)
    if not os.access(path.parent, os.W_OK):
        return f"{path.parent}: the folder is not writable (SQLite keeps -wal and -shm there)"
    return "SQLite gave no reason"


@dataclass(frozen=True)
class BackupRecord:
    path: Path
    made_at: datetime
    user_version: int | None = None


class MetaRows(abc.ABC):
    """The ``meta`` table's key/value rows, the same SQL on both stores (``Store`` here,
    ``data.pg_store.PgStore``), over each store's own ``fetchone`` and ``write``."""

    @abc.abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Any: ...

    @abc.abstractmethod
    async def write(self, sql: str, params: Params = ()) -> Any: ...

    async def get_meta(self, key: str) -> str | None:
        row = await self.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        await self.write(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


class Store(MetaRows):
    """One open database. Make it with ``await Store.open(path)``; ``await close()`` it."""

    def __init__(self, path: Path, db: aiosqlite.Connection, schema_version: int) -> None:
        self.path = path
        self.schema_version = schema_version
        self._db = db
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0
        self._functions: set[str] = set()

    @classmethod
    async def open(
        cls, path: Path | str, *, migrations: Sequence[Migration] | None = None
    ) -> Store:
        """Open (creating if needed) and migrate; raises ``CorruptDatabaseError``,
        ``SchemaTooNewError``, ``NotDutyDeskError``, ``MigrationError`` or ``StoreError``."""
        path = Path(path).absolute()
        with faults_of(path, OSError, sqlite3.Error):
            private_dir(path.parent)
            create_private(path)  # 0600 before SQLite creates anything (WAL/SHM copy its mode)
            _check_writable(path)
            db = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN ourselves
        try:
            with faults_of(path, sqlite3.Error):
                version = await _prepare(db, path, migrations)
        except BaseException:
            await db.close()
            raise
        return cls(path, db, version)

    async def close(self) -> None:
        async with self._lock:  # let a running transaction finish first
            await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """The raw connection: use it only inside ``transaction()``."""
        return self._db

    def owns_transaction(self) -> bool:
        """True when the calling task is inside ``transaction()``."""
        return self._owner is not None and self._owner is asyncio.current_task()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        if self.owns_transaction():
            async with self._savepoint():
                yield self._db
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                with self._faults():
                    await self._db.execute("BEGIN IMMEDIATE")
                    try:
                        yield self._db
                        await self._db.execute("COMMIT")
                    except BaseException:
                        if self._db.in_transaction:
                            await self._db.execute("ROLLBACK")
                        raise
            finally:
                self._owner = None

    def _faults(self) -> contextlib.AbstractContextManager[None]:
        return faults_of(self.path, sqlite3.Error)

    @contextlib.asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._depth += 1
        name = f"nested_{self._depth}"
        try:
            await self._db.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await self._db.execute(f"ROLLBACK TO {name}")
                await self._db.execute(f"RELEASE {name}")
                raise
            await self._db.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        if self.owns_transaction():
            with self._faults():
                return list(await self._db.execute_fetchall(sql, params))
        async with self._lock:
            with self._faults():
                return list(await self._db.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def write(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """One statement (its ``RETURNING`` rows come back); joins the caller's transaction,
        else is atomic on its own (SQLite takes the write lock, honouring busy_timeout)."""
        return await self.fetchall(sql, params)

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as db:
            await db.executemany(sql, rows)

    async def data_version(self) -> int:
        """A number that changes when another connection commits to the database (SQLite's
        ``PRAGMA data_version``: 0.1-0.24 ms a poll, FACTS.md); this connection's own
        writes do not change it. Attached consoles poll it to learn the watch wrote."""
        row = await self.fetchone("PRAGMA data_version")
        return int(row[0]) if row is not None else 0

    async def ensure_function(self, name: str, nargs: int, func: Callable[..., Any]) -> None:
        """Register a deterministic SQL function on this connection once."""
        if name not in self._functions:
            await self._db.create_function(name, nargs, func, deterministic=True)
            self._functions.add(name)


async def _prepare(
    db: aiosqlite.Connection, path: Path, migrations: Sequence[Migration] | None
) -> int:
    """Check, configure and migrate a newly opened connection; the schema version."""
    db.row_factory = sqlite3.Row
    await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await _check_integrity(db, path)
    mode = await db.execute_fetchall("PRAGMA journal_mode = WAL")
    if next(iter(mode))[0] != "wal":
        raise StoreError(f"{path}: this filesystem cannot hold a WAL-mode database")
    await db.execute("PRAGMA synchronous = FULL")
    chosen = load_migrations() if migrations is None else list(migrations)
    # Foreign keys go on after migrating: a migration that rebuilds a table must
    # not fire cascades; each one is checked with foreign_key_check instead.
    version = await _migrate(db, path, chosen)
    await db.execute("PRAGMA foreign_keys = ON")
    return version


async def _check_integrity(db: aiosqlite.Connection, path: Path) -> None:
    try:
        rows = await db.execute_fetchall("PRAGMA integrity_check(20)")
        problems = [str(row[0]) for row in rows]
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "").startswith(_CORRUPTION_ERRORS):
            problems = [str(exc)]
        else:
            raise  # Store.open makes a DatabaseFault of it, naming the cause
    if problems != ["ok"]:
        raise corrupt_database_error(path, problems)


def corrupt_database_error(path: Path, problems: list[str]) -> CorruptDatabaseError:
    """The damaged-database error, naming the newest known backup and how to restore it."""
    backups = known_backups(path)
    what = "; ".join(problems[:3])
    if backups:
        newest = backups[0]
        advice = (
            f"The newest known backup is {newest.path} (made {newest.made_at:%Y-%m-%d %H:%M} UTC)."
            f" Restore it with: dutydesk restore {newest.path}"
        )
    else:
        advice = (
            "No backup of it is known (none recorded in "
            f"{backup_log_path(path).name}, none in {default_backup_dir(path)})."
            " Restore a backup you keep elsewhere with: dutydesk restore BACKUP_FILE"
        )
    return CorruptDatabaseError(
        f"The database {path} is damaged and was not opened ({what}). {advice}",
        path=str(path),
        problems=problems,
        newest_backup=str(backups[0].path) if backups else None,
    )


async def _migrate(db: aiosqlite.Connection, path: Path, migrations: list[Migration]) -> int:
    latest = migrations[-1].version if migrations else 0
    current = int(next(iter(await db.execute_fetchall("PRAGMA user_version")))[0])
    if current > latest:
        raise SchemaTooNewError(
            f"{path} has schema version {current}, but this dutydesk knows only up to "
            f"{latest}: run the newer dutydesk that wrote it",
            found=current,
            supported=latest,
        )
    await _check_ours(db, path, current)
    for migration in migrations:
        if migration.version <= current:
            continue
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;\nPRAGMA user_version = {migration.version};"
        try:
            await db.executescript(script)
            broken = list(await db.execute_fetchall("PRAGMA foreign_key_check"))
            if broken:
                raise sqlite3.IntegrityError(f"{len(broken)} rows break a foreign key")
            await db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise MigrationError(
                f"migration {migration.label} failed and was rolled back ({exc}); "
                f"{path} stays at schema version {current}",
                migration=migration.label,
            ) from exc
        current = migration.version
    return current


async def _check_ours(db: aiosqlite.Connection, path: Path, version: int) -> None:
    """Refuse to migrate someone else's SQLite file into ours."""
    if version == 0:
        rows = await db.execute_fetchall(
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
        )
        foreign = int(next(iter(rows))[0]) > 0
    else:
        try:
            rows = await db.execute_fetchall("SELECT value FROM meta WHERE key = 'app'")
            foreign = [str(row[0]) for row in rows] != ["dutydesk"]
        except sqlite3.OperationalError:
            foreign = True
    if foreign:
        raise NotDutyDeskError(f"{path} is a SQLite database but not a dutydesk one")


# The backup log: a JSON list next to the database, newest last.


def backup_log_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".backups.json")


def default_backup_dir(db_path: Path) -> Path:
    return db_path.parent / "backups"


def known_backups(db_path: Path) -> list[BackupRecord]:
    """Backups that still exist, newest first: the log's entries, then any other
    ``*.db`` in the default backup folder (dated by file time). Never raises."""
    found: dict[Path, BackupRecord] = {}
    try:
        entries = json.loads(backup_log_path(db_path).read_text(encoding="utf-8"))
        for entry in entries:
            record = BackupRecord(
                Path(entry["path"]), from_db(entry["made_at"]), entry.get("user_version")
            )
            if record.path.is_file():
                found[record.path] = record
    except (OSError, ValueError, TypeError, KeyError):
        pass  # no log, or a damaged one: the folder scan below still helps
    with contextlib.suppress(OSError):
        for candidate in default_backup_dir(db_path).glob("*.db"):
            candidate = candidate.absolute()
            if candidate not in found and candidate.is_file():
                mtime = datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
                found[candidate] = BackupRecord(candidate, mtime)
    return sorted(found.values(), key=lambda record: record.made_at, reverse=True)


def record_backup(db_path: Path, record: BackupRecord) -> None:
    """Append to the backup log, keeping the last entries; written atomically."""
    log = backup_log_path(db_path)
    entries: list[dict[str, Any]] = []
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(log.read_text(encoding="utf-8"))
        if isinstance(loaded, list):
            entries = loaded
    entries.append(
        {
            "path": str(record.path),
            "made_at": to_db(record.made_at),
            "user_version": record.user_version,
        }
    )
    tmp = log.with_name(log.name + ".tmp")
    write_private(tmp, json.dumps(entries[-_BACKUP_LOG_KEEP:], indent=1))
    os.replace(tmp, log)

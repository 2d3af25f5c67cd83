"""Backup and restore through SQLite's online backup API, never a file copy.

``backup`` copies the live database (committed data only, through a second connection, off
the event loop) to a temporary file beside the destination, checks the copy, then moves it
into place. The copy is a single self-contained file (rollback-journal mode), so it can sit
on read-only media. ``restore`` checks a backup completely before touching anything, keeps
the database it replaces as ``<db>.before-restore-<UTC stamp>``, swaps the file atomically
and records the restore in the restored database's audit trail. Stop the console before a
restore: a running one would keep writing to the replaced file.

Restoring a backup drops the live audit rows made since the copy (at least the backup's
own row and the restorer's login when the live database still opens): ``restore`` refuses
that unless asked (``discard_newer``), and its row in the restored trail names the live
trail's last row and the range and count of the rows dropped (they stay in the replaced
file). The keyed audit trail (data.audit) needs the audit key beside the database: a
restore onto a new place needs that key copied there first, and a backup whose trail does
not verify with the key of the site it replaces (another site's, or altered) is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from data.audit import GENESIS_KEY, GENESIS_PENDING, AuditTrail, ChainHead, load_chain_key
from data.clock import Clock, utc_now
from data.crypto import ensure_audit_key
from data.migrations import load_migrations
from data.paths import PRIVATE_FILE, create_private, private_dir
from data.roles import Actor, Permission, PermissionDenied, require
from data.store import BUSY_TIMEOUT_MS, BackupRecord, Store, StoreError, record_backup

_DB_SIDE_FILES = ("-wal", "-journal")  # hold committed or in-flight data: move with the db


class BackupError(StoreError):
    """Codes: backup_exists, backup_missing, backup_corrupt, backup_not_dutydesk, backup_too_new,
    backup_failed, restore_failed, restore_onto_itself."""

    code = "backup_failed"


@dataclass(frozen=True)
class RestoreResult:
    db_path: Path
    previous: Path | None  # the replaced database, kept beside it; None if there was none
    schema_version: int  # of the backup, before migration to the current schema
    audit_id: int
    dropped: DroppedRows | None = None  # live audit rows the backup lacks


@dataclass(frozen=True)
class DroppedRows:
    """Audit rows of the live trail that a restore drops (ids ``first_id..last_id``)."""

    first_id: int
    last_id: int
    count: int
    live_last_hash: str


@dataclass(frozen=True)
class TrailEnd:
    """Where a database's audit trail ends; ``readable`` False when it could not be read
    (a damaged live database, the usual reason to restore)."""

    last: ChainHead | None
    keyed: bool = False
    readable: bool = True


async def backup(
    store: Store,
    dest: Path | str,
    audit: AuditTrail,
    actor: Actor | None = None,
    *,
    overwrite: bool = False,
    clock: Clock = utc_now,
) -> BackupRecord:
    """Back the store up to ``dest``. ``actor`` is the logged-in user (needs BACKUP);
    ``None`` means the local OS user running the CLI. Audited either way."""
    dest = Path(dest).absolute()
    who = actor.name if actor is not None else _os_user()
    if actor is not None:
        try:
            require(actor, Permission.BACKUP)
        except PermissionDenied:
            await audit.record(who, "backup", str(dest), "denied", detail={"permission": "backup"})
            raise
    try:
        if dest.exists() and not overwrite:
            raise BackupError(
                f"{dest} already exists: choose another name or ask to overwrite it.",
                code="backup_exists",
            )
        version = await asyncio.to_thread(_copy_checked, store.path, dest)
    except (BackupError, OSError, sqlite3.Error) as exc:
        code = exc.code if isinstance(exc, BackupError) else "backup_failed"
        await audit.record(who, "backup", str(dest), "failed", detail={"error": code})
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"The backup to {dest} failed: {exc}") from exc
    record = BackupRecord(dest, clock(), version)
    record_backup(store.path, record)
    await audit.record(
        who,
        "backup",
        str(dest),
        detail={"size": dest.stat().st_size, "schema_version": version},
    )
    return record


async def restore(
    backup_path: Path | str,
    db_path: Path | str,
    *,
    user: str | None = None,
    terminal: str | None = None,
    discard_newer: bool = False,
) -> RestoreResult:
    """Replace the database at ``db_path`` with a checked copy of ``backup_path``.
    A damaged or foreign backup raises ``BackupError`` and nothing is touched; so does a
    live audit trail longer than the backup's (code ``restore_drops_rows``) unless
    ``discard_newer``. The restore row, in the restored trail, names the live trail's
    last row and the rows the restore dropped from it."""
    source, target = Path(backup_path).absolute(), Path(db_path).absolute()
    if source == target:
        raise BackupError("A database cannot be restored onto itself.", code="restore_onto_itself")
    staged = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    try:
        private_dir(target.parent)
        version = await asyncio.to_thread(_stage, source, staged)
        live, restored = await asyncio.to_thread(_trail_ends, target, staged)
        dropped = _dropped_rows(live, restored)
        if dropped is not None and not discard_newer:
            raise BackupError(
                f"The audit trail of {target} has rows {dropped.first_id}..{dropped.last_id}"
                f" ({dropped.count}) that the backup lacks: restore with --discard-newer to"
                " drop them from the live trail (the replaced file keeps them).",
                code="restore_drops_rows",
                first_id=dropped.first_id,
                last_id=dropped.last_id,
                count=dropped.count,
            )
        if restored.keyed:  # the restore row needs the key: check it before any swap
            await _prove_trail(staged, load_chain_key(target))
        previous = await asyncio.to_thread(_swap_in, staged, target)
    except (OSError, sqlite3.Error) as exc:  # e.g. a full disk while staging the copy
        raise BackupError(f"The restore of {source} failed: {exc}", code="restore_failed") from exc
    finally:
        staged.unlink(missing_ok=True)
    async with await Store.open(target) as store:  # migrates an older backup forward
        audit_id = await AuditTrail(store, terminal).record(
            user or _os_user(),
            "restore",
            str(target),
            detail={
                "from": str(source),
                "previous": str(previous) if previous else None,
                "backup_schema_version": version,
                "live_trail": _trail_detail(live),
                "dropped_rows": asdict(dropped) if dropped else None,
            },
        )
    return RestoreResult(target, previous, version, audit_id, dropped)


async def _prove_trail(staged: Path, key: bytes) -> None:
    """The backup's audit trail, checked row by row with the key of the site it replaces:
    a backup of another site (another key) or one altered behind the triggers would put a
    trail nobody can prove in place of this one. On a copy: ``staged`` is not touched."""
    async with open_backup(staged) as copy:
        verdict = await AuditTrail(copy, key=key).verify()
    if not verdict.ok:
        raise BackupError(
            f"The backup's audit trail does not verify with this site's audit key"
            f" ({verdict.reason}): it belongs to another site or was altered. Nothing was"
            " touched. To move a site, copy its audit key beside the database first.",
            code="restore_unverified_trail",
            reason=verdict.reason,
        )


@contextlib.asynccontextmanager
async def open_backup(backup_path: Path | str) -> AsyncIterator[Store]:
    """A checked backup opened as a Store on a private temporary copy (the backup file is
    never written): e.g. to authenticate the person restoring when the live database is
    too damaged to open. Whatever is written to it is thrown away."""
    source = Path(backup_path).absolute()
    with tempfile.TemporaryDirectory(prefix="dutydesk-backup-") as scratch:
        copy = Path(scratch) / source.name
        try:
            await asyncio.to_thread(_stage, source, copy)
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"{source} cannot be read: {exc}", code="backup_failed") from exc
        # What is audited here (the login) is thrown away with the copy: a throwaway audit
        # key lets it be written without reading or exposing the real one.
        ensure_audit_key(copy)
        async with await Store.open(copy) as store:
            yield store


def _copy_checked(src_path: Path, dest: Path) -> int:
    """Online-backup ``src_path`` to ``dest`` via a checked temporary file; its version."""
    private_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    try:
        with contextlib.closing(sqlite3.connect(src_path)) as src:
            src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _online_copy(src, tmp)
        version = _check_backup(tmp)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
        return version
    finally:
        tmp.unlink(missing_ok=True)


def _stage(source: Path, staged: Path) -> int:
    """Check the backup, then copy it beside the database; the copy is checked too."""
    version = _check_backup(source)
    with contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as src:
        _online_copy(src, staged)
    _check_backup(staged)
    return version


def _online_copy(src: sqlite3.Connection, dest: Path) -> None:
    dest.unlink(missing_ok=True)
    create_private(dest)  # 0600 before SQLite writes a page (its journal copies the mode)
    with contextlib.closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    _fsync(dest)


def _check_backup(path: Path) -> int:
    """Integrity, ours, and not newer than this code; returns its schema version."""
    if not path.is_file():
        raise BackupError(f"There is no backup file {path}.", code="backup_missing")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            problems = [str(row[0]) for row in db.execute("PRAGMA integrity_check(20)")]
            if problems != ["ok"]:
                raise BackupError(
                    f"{path} is damaged ({'; '.join(problems[:3])}): it was not used.",
                    code="backup_corrupt",
                )
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            app = db.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
    except sqlite3.DatabaseError as exc:
        kind = "not_dutydesk" if isinstance(exc, sqlite3.OperationalError) else "corrupt"
        raise BackupError(
            f"{path} cannot be used as a dutydesk backup ({exc}).", code=f"backup_{kind}"
        ) from exc
    if app is None or app[0] != "dutydesk" or version < 1:
        raise BackupError(f"{path} is not a dutydesk database.", code="backup_not_dutydesk")
    supported = load_migrations()[-1].version
    if version > supported:
        raise BackupError(
            f"{path} has schema version {version}; this dutydesk knows up to {supported}.",
            code="backup_too_new",
        )
    return version


def _trail_ends(live_path: Path, restored_path: Path) -> tuple[TrailEnd | None, TrailEnd]:
    """The live database's trail end (None: no database there) and the staged backup's."""
    live = _trail_end(live_path) if live_path.exists() else None
    return live, _trail_end(restored_path)


def _trail_end(path: Path) -> TrailEnd:
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            last = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            marker = db.execute("SELECT value FROM meta WHERE key = ?", (GENESIS_KEY,)).fetchone()
    except sqlite3.Error:
        return TrailEnd(None, readable=False)
    keyed = marker is not None and marker[0] != GENESIS_PENDING
    return TrailEnd(ChainHead(int(last[0]), str(last[1])) if last else None, keyed)


def _dropped_rows(live: TrailEnd | None, restored: TrailEnd) -> DroppedRows | None:
    """The live rows past the backup's last row; None when the live trail is not longer
    (or could not be read: nothing is known to be dropped)."""
    if live is None or live.last is None:
        return None
    kept = restored.last.id if restored.last else 0
    if live.last.id <= kept:
        return None
    return DroppedRows(kept + 1, live.last.id, live.last.id - kept, live.last.hash)


def _trail_detail(live: TrailEnd | None) -> dict[str, object] | str | None:
    """What the restore row says of the live trail it replaced."""
    if live is None:
        return None  # there was no live database
    if not live.readable:
        return "unreadable"
    if live.last is None:
        return "empty"
    return {"last_id": live.last.id, "last_hash": live.last.hash}


def _swap_in(staged: Path, target: Path) -> Path | None:
    """Keep the current database aside, then atomically put the staged copy in its place."""
    previous = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        previous = _free_name(target.with_name(f"{target.name}.before-restore-{stamp}"))
        try:
            os.link(target, previous)  # the old inode survives the replace below
        except OSError:
            shutil.copy2(target, previous)  # no hard links here: a raw copy of a maybe-damaged file
        previous.chmod(PRIVATE_FILE)  # kept aside, it still holds everything: the owner's only
        for suffix in _DB_SIDE_FILES:
            side = Path(f"{target}{suffix}")
            if side.exists():
                # Moved before the swap: a stale WAL replayed onto the restored file would
                # corrupt it. A crash in between leaves the old data whole in `previous`.
                os.replace(side, Path(f"{previous}{suffix}"))
                Path(f"{previous}{suffix}").chmod(PRIVATE_FILE)
    Path(f"{target}-shm").unlink(missing_ok=True)
    os.replace(staged, target)
    _fsync_dir(target.parent)
    return previous


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        _fsync(path)


def _os_user() -> str:
    try:
        return f"os:{getpass.getuser()}"
    except (OSError, KeyError):
        return "os:unknown"

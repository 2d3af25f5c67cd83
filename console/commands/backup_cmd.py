"""``dutydesk backup PATH`` and ``dutydesk restore PATH`` (admin; both audited in data/)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from console.commands import common
from data import backup as backups
from data import pg_backup
from data.accounts import User
from data.crypto import KeyFileError
from data.desk import Desk, open_desk
from data.i18n import explain, t
from data.models import Site
from data.pg_store import PgStore
from data.roles import Permission
from data.store import BackupRecord, CorruptDatabaseError, StoreError, record_backup
from data.stores import local_path, mask_dsn


def add_parsers(sub: Any, global_options: Callable[..., None]) -> None:
    b = sub.add_parser("backup", help=t("cli.backup"), description=t("cli.backup"))
    global_options(b, root=False)
    b.add_argument("path", type=Path)
    b.set_defaults(handler=run_backup)
    r = sub.add_parser("restore", help=t("cli.restore"), description=t("cli.restore"))
    global_options(r, root=False)
    r.add_argument("path", type=Path)
    r.add_argument("--discard-newer", action="store_true", help=t("cli.restore.discard_newer"))
    r.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    source = common.passwords(args)

    target = common.db_path(args)

    async def go() -> None:
        desk = await common.open_or_fail(site, target)
        try:
            user = await common.login(desk, args, source, Permission.BACKUP)
            if isinstance(target, str):  # a PostgreSQL DSN: pg_dump -Fc (data.pg_backup)
                await _pg_backup(desk, target, args.path, user)
            else:
                await backups.backup(desk.store, args.path, desk.audit, actor=user)
        except (StoreError, KeyFileError) as error:  # e.g. the audit key is missing
            raise common.CliError(explain(error)) from None
        finally:
            await desk.close()

    common.run(go)
    print(t("backup.done", path=args.path))
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """The admin logs in against the live database; when that is too damaged to open
    (the usual reason to restore), against the verified backup about to replace it."""
    site = common.load_site_or_fail(args)
    source = common.passwords(args)
    db_file = common.db_path(args)
    if isinstance(db_file, str):  # a PostgreSQL DSN: pg_restore into a fresh database
        return _pg_restore(args, site, source, db_file)

    async def authenticate() -> User:
        try:
            desk = await open_desk(site, db_file)
        except CorruptDatabaseError:
            async with backups.open_backup(args.path) as backup_store:  # closes the store
                return await common.login(
                    Desk(site, backup_store), args, source, Permission.RESTORE
                )
        try:
            return await common.login(desk, args, source, Permission.RESTORE)
        finally:
            await desk.close()

    async def go() -> backups.RestoreResult:
        try:
            user = await authenticate()
            return await backups.restore(
                args.path, db_file, user=user.name, discard_newer=args.discard_newer
            )
        except (StoreError, KeyFileError) as error:
            raise common.CliError(explain(error)) from None

    result = common.run(go)
    print(t("restore.done", path=args.path, db=db_file))
    if result.dropped is not None:
        dropped = result.dropped
        print(
            t(
                "restore.dropped",
                first=dropped.first_id,
                last=dropped.last_id,
                count=dropped.count,
                previous=result.previous,
            )
        )
    return 0


async def _pg_backup(desk: Desk, dsn: str, dest: Path, user: User) -> None:
    """``pg_dump -Fc`` of the store, checked, logged and audited like a SQLite backup."""
    dest = dest.absolute()
    try:
        version = await pg_backup.dump(cast(PgStore, desk.store), dsn, dest)
    except StoreError as error:
        await desk.audit.record(
            user.name, "backup", str(dest), "failed", detail={"error": error.code}
        )
        raise
    record_backup(desk.store.path, BackupRecord(dest, desk.clock(), version))
    await desk.audit.record(
        user.name,
        "backup",
        str(dest),
        detail={"size": dest.stat().st_size, "schema_version": version, "format": "pg_dump"},
    )


def _pg_restore(
    args: argparse.Namespace, site: Site, source: common.PasswordSource, dsn: str
) -> int:
    """Load the dump into the fresh database, verify it, then log the restorer in against
    the restored accounts and append the restore row."""
    backup_path = Path(args.path).absolute()

    async def go() -> None:
        try:
            rows = await pg_backup.fresh_restore(backup_path, dsn, local_path(dsn))
            desk = await open_desk(site, dsn)
        except (StoreError, KeyFileError) as error:
            raise common.CliError(explain(error)) from None
        try:
            try:
                user = await common.login(desk, args, source, Permission.RESTORE)
            except BaseException:  # not the restorer: the database is left fresh again
                await desk.close()
                await pg_backup.wipe_restored(dsn)
                raise
            await desk.audit.record(
                user.name,
                "restore",
                mask_dsn(dsn),
                detail={"from": str(backup_path), "format": "pg_dump", "audit_rows": rows},
            )
        finally:
            await desk.close()

    common.run(go)
    print(t("restore.done", path=args.path, db=mask_dsn(dsn)))
    return 0

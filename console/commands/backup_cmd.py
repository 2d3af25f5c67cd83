"""``dutydesk backup PATH`` and ``dutydesk restore PATH`` (admin; both audited in data/)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.commands import common
from data import backup as backups
from data.accounts import User
from data.crypto import KeyFileError
from data.desk import Desk, open_desk
from data.i18n import explain, t
from data.roles import Permission
from data.store import CorruptDatabaseError, StoreError


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

    async def go() -> None:
        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            user = await common.login(desk, args, source, Permission.BACKUP)
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

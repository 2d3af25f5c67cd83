"""``dutydesk backup PATH`` and ``dutydesk restore PATH`` (admin; both audited)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.commands import common
from data import backup as backups
from data.i18n import t
from data.roles import Permission
from data.store import StoreError


def add_parsers(sub: Any, global_options: Callable[..., None]) -> None:
    b = sub.add_parser("backup", help=t("cli.backup"), description=t("cli.backup"))
    global_options(b, root=False)
    b.add_argument("path", type=Path)
    b.set_defaults(handler=run_backup)
    r = sub.add_parser("restore", help=t("cli.restore"), description=t("cli.restore"))
    global_options(r, root=False)
    r.add_argument("path", type=Path)
    r.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    source = common.passwords(args)

    async def go() -> None:
        services = await common.open_or_fail(site, common.db_path(args))
        try:
            user = await common.login(services, args, source, Permission.BACKUP)
            await backups.backup(services.store, args.path, audit=services.audit,
                                 user=user.name)
        except (StoreError, OSError) as error:
            raise common.CliError(str(error)) from None
        finally:
            await services.close()

    common.run(go)
    print(t("backup.done", path=args.path))
    return 0


def run_restore(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    source = common.passwords(args)
    db_file = common.db_path(args)

    async def go() -> None:
        # The restoring admin authenticates against the live database before it is replaced.
        services = await common.open_or_fail(site, db_file)
        try:
            user = await common.login(services, args, source, Permission.RESTORE)
        finally:
            await services.close()
        try:
            await backups.restore(args.path, db_file, user=user.name)
        except (StoreError, OSError) as error:
            raise common.CliError(str(error)) from None

    common.run(go)
    print(t("restore.done", path=args.path, db=db_file))
    return 0

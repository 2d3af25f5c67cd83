"""``dutydesk migrate --from sqlite:PATH --to postgresql://...``: a site's whole history
copied into an empty PostgreSQL database and its audit chain verified there
(``data.store_copy``). Exit 0 copied and verified, 1 copied but the chain does not verify,
2 bad input or a target refused."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.commands import common
from data.crypto import KeyFileError
from data.i18n import explain, t
from data.store import StoreError
from data.store_copy import CopyResult, copy_sqlite_to_postgres
from data.stores import expand_dsn, is_dsn, mask_dsn

SQLITE_PREFIX = "sqlite:"


def add_parser(sub: Any, global_options: Callable[..., None]) -> None:
    m = sub.add_parser("migrate", help=t("cli.migrate"), description=t("cli.migrate"))
    global_options(m, root=False)
    m.add_argument("--from", dest="source", metavar="sqlite:PATH", required=True)
    m.add_argument("--to", dest="target", metavar="postgresql://...", required=True)
    m.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    source: str = args.source
    target: str = args.target
    if not source.startswith(SQLITE_PREFIX) or not source[len(SQLITE_PREFIX) :]:
        raise common.CliError(t("migrate.bad_source", source=source))
    if not is_dsn(target):
        raise common.CliError(t("migrate.bad_target", target=mask_dsn(target)))
    path = Path(source[len(SQLITE_PREFIX) :]).expanduser()

    async def go() -> CopyResult:
        try:
            return await copy_sqlite_to_postgres(path, expand_dsn(target))
        except (StoreError, KeyFileError) as error:
            raise common.CliError(explain(error)) from None

    result = common.run(go)
    for table, count in result.counts.items():
        print(t("migrate.count", table=table, rows=count))
    verdict = result.verdict
    if verdict is None or not verdict.ok:
        row = verdict.first_bad_id if verdict else "-"
        reason = verdict.reason if verdict else "-"
        print(t("audit.verify_bad", row=row, reason=reason))
        return 1
    print(t("audit.verify_ok", rows=verdict.rows_checked))
    print(t("migrate.done", source=path, target=mask_dsn(target)))
    return 0

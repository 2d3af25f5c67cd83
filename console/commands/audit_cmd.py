"""``dutydesk audit verify [--anchor ID:HASH]`` and ``audit head`` (no login: they prove
the file; the key file is still needed) and ``audit show`` (auditor).

Exit codes: 0 verified, 1 the trail has a problem (or no row to anchor), 2 bad input
(an anchor that is not ``ID:HASH``, a missing or unusable audit key)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any

from console.commands import common
from data.audit import ChainHead
from data.crypto import KeyFileError
from data.i18n import explain, t
from data.roles import Permission


def add_parser(sub: Any, global_options: Callable[..., None]) -> None:
    audit = sub.add_parser("audit", help=t("cli.audit"), description=t("cli.audit"))
    global_options(audit, root=False)
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help=t("cli.audit.verify"))
    global_options(verify, root=False)
    verify.add_argument(
        "--anchor", type=_anchor, metavar="ID:HASH", help=t("cli.audit.verify.anchor")
    )
    verify.set_defaults(handler=run_verify)
    head = actions.add_parser("head", help=t("cli.audit.head"))
    global_options(head, root=False)
    head.set_defaults(handler=run_head)
    show = actions.add_parser("show", help=t("cli.audit.show"))
    global_options(show, root=False)
    show.add_argument("--since", type=_date_or_time, help=t("cli.audit.since"))
    show.add_argument("--by", dest="by_user", metavar="NAME", help=t("cli.audit.by"))
    show.add_argument("--limit", type=int, default=200)
    show.add_argument("--json", action="store_true", help=t("cli.json"))
    show.set_defaults(handler=run_show)


def _date_or_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.bad_date", value=text)) from None
    return value


def _anchor(text: str) -> ChainHead:
    try:
        return ChainHead.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.audit.bad_anchor", value=text)) from None


def run_verify(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    anchor: ChainHead | None = args.anchor

    async def go() -> int:
        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            verdict = await desk.audit.verify(anchor=anchor)
        except KeyFileError as error:
            raise common.CliError(explain(error)) from None
        finally:
            await desk.close()
        if not verdict.ok:
            print(t("audit.verify_bad", row=verdict.first_bad_id, reason=verdict.reason))
            return 1
        print(t("audit.verify_ok", rows=verdict.rows_checked))
        if verdict.genesis_id is None:
            print(t("audit.verify_pending"))
        else:
            print(t("audit.verify_keyed", id=verdict.genesis_id))
        if anchor is not None:
            print(t("audit.anchor_ok", anchor=anchor))
        return 0

    return common.run(go)


def run_head(args: argparse.Namespace) -> int:
    """Print the anchor alone on stdout (``ID:HASH``), for a script or a notebook."""
    site = common.load_site_or_fail(args)

    async def go() -> ChainHead | None:
        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            return await desk.audit.head()
        finally:
            await desk.close()

    head = common.run(go)
    if head is None:
        print(t("audit.head_empty"), file=sys.stderr)
        return 1
    print(head)
    return 0


def run_show(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    source = common.passwords(args)
    tz = site.site.tz

    async def go() -> int:
        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            await common.login(desk, args, source, Permission.READ_AUDIT)
            since = args.since.replace(tzinfo=args.since.tzinfo or tz) if args.since else None
            entries = await desk.audit.query(since=since, user=args.by_user, limit=args.limit)
        finally:
            await desk.close()
        for e in entries:
            if args.json:
                print(
                    json.dumps(
                        {
                            "id": e.id,
                            "ts": e.ts.isoformat(),
                            "user": e.user,
                            "terminal": e.terminal,
                            "action": e.action,
                            "object": e.object,
                            "outcome": e.outcome,
                            "detail": e.detail,
                            "hash": e.hash,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                local = e.ts.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
                print(
                    f"{e.id:>6} {local} {e.user or '-':<12} {e.action:<22} "
                    f"{e.object:<20} {e.outcome}"
                )
        return 0

    return common.run(go)

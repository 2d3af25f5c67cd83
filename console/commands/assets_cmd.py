"""``dutydesk labels``: an A4 sheet of asset labels; and the asset register document that
``dutydesk export assets`` writes (console/commands/export_cmd.py).

Labels are printed by whoever keeps the register (Permission.MANAGE_ASSETS: supervisor,
admin); printing them is audited with the devices labelled.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.commands import common
from data.accounts import User
from data.desk import Desk
from data.exports.asset_doc import asset_register_document
from data.exports.document import Document
from data.i18n import t
from data.records.assets.model import AssetRecord
from data.roles import Permission


def add_parser(sub: Any, global_options: Callable[..., None]) -> None:
    labels = sub.add_parser("labels", help=t("cli.labels"), description=t("cli.labels"))
    global_options(labels, root=False)
    labels.add_argument("--out", type=Path, metavar="PATH", required=True, help=t("cli.export.out"))
    labels.add_argument(
        "--device", action="append", metavar="ID", default=[], help=t("cli.labels.device")
    )
    labels.set_defaults(handler=run_labels)


async def asset_register(
    desk: Desk, user: User, since: dt.datetime, until: dt.datetime
) -> Document:
    """The register now, with the devices whose support ends in [since, until)."""
    tz = desk.site.site.tz
    first, last = since.astimezone(tz).date(), (until - dt.timedelta(seconds=1)).astimezone(tz)
    assets = await desk.assets.assets(user)
    contracts = await desk.assets.contracts(user)
    return asset_register_document(assets, contracts, desk.site.site.name, (first, last.date()))


def _chosen(assets: list[AssetRecord], wanted: list[str]) -> list[AssetRecord]:
    if not wanted:
        return [asset for asset in assets if asset.asset_number]
    by_id = {asset.device_id: asset for asset in assets}
    unknown = [device for device in wanted if device not in by_id]
    if unknown:
        raise common.CliError(t("cli.labels.unknown", devices=", ".join(unknown)))
    unregistered = [device for device in wanted if not by_id[device].asset_number]
    if unregistered:
        raise common.CliError(t("cli.labels.unregistered", devices=", ".join(unregistered)))
    return [by_id[device] for device in wanted]


def run_labels(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    source = common.passwords(args)

    async def go() -> list[AssetRecord]:
        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            user = await common.login(desk, args, source, Permission.MANAGE_ASSETS)
            chosen = _chosen(await desk.assets.assets(user), args.device)
            devices = [asset.device_id for asset in chosen]
            await desk.audit.record(
                user.name, "asset.labels", "asset:*", detail={"devices": devices}
            )
            return chosen
        finally:
            await desk.close()

    chosen = common.run(go)
    if not chosen:
        raise common.CliError(t("cli.labels.none"))
    from data.exports.asset_labels import asset_labels_pdf  # loads reportlab

    asset_labels_pdf(chosen, args.out, font_path=site.site.pdf_font)
    print(t("export.written", path=args.out), file=sys.stderr)
    return 0

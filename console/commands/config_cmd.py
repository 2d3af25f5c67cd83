"""``dutydesk init`` and ``dutydesk config check``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from console.commands import common
from data.config import site_template
from data.crypto import ensure_audit_key, ensure_key
from data.i18n import t
from data.models import Site
from data.passwords import check_policy
from data.paths import exposed_store_files, private_dir, write_private
from data.stores import is_dsn, local_path, store_label


def run_config_check(args: argparse.Namespace) -> int:
    loaded = common.load_site_config_or_fail(args)
    for warning in loaded.warnings:
        print(str(warning), file=sys.stderr)
    for line in site_summary(loaded.site):
        print(line)
    return 0


def site_summary(site: Site) -> list[str]:
    """What the file defines, with credentials by name and kind only: never a value."""
    kinds = Counter(d.kind for d in site.devices)
    check_types = Counter(c.type for d in site.devices for c in d.checks)
    credentials = [
        f"{name} ({'+'.join(k for k in ('snmp', 'ssh') if getattr(c, k) is not None)})"
        for name, c in sorted(site.credentials.items())
    ]
    return [
        t("summary.ok", path=site.source or "-"),
        t("summary.site", name=site.site.name, tz=site.site.timezone),
        t(
            "summary.shifts",
            shifts=", ".join(f"{s.name} {s.start:%H:%M}-{s.end:%H:%M}" for s in site.site.shifts),
        ),
        t("summary.zones", count=len(site.zones), names=", ".join(z.name for z in site.zones)),
        t(
            "summary.devices",
            count=len(site.devices),
            kinds=", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
        ),
        t(
            "summary.checks",
            count=sum(check_types.values()),
            types=", ".join(f"{k} {n}" for k, n in sorted(check_types.items())),
        ),
        t("summary.actions", count=sum(len(d.actions) for d in site.devices)),
        t("summary.credentials", count=len(credentials), names=", ".join(credentials) or "-"),
        t("summary.inspections", count=len(site.inspections)),
    ]


def run_init(args: argparse.Namespace) -> int:
    """Write a commented site.yaml, create the database and the first admin; never overwrite."""
    site_file = common.site_path(args)
    db_file = common.db_path(args)
    key_base = local_path(db_file)  # a DSN's key files: data.stores.local_path
    warn_exposed_store(key_base)
    for existing in (site_file, *([] if is_dsn(db_file) else [key_base])):
        if existing.exists():
            raise common.CliError(t("init.exists", path=existing))
    source = common.passwords(args)
    password = source.new_password(t("init.admin_password", name=args.admin))
    check_policy(password, args.admin)  # before any file is written
    write_private(private_dir(site_file.parent) / site_file.name, site_template())  # secrets
    args.site = str(site_file)
    site = common.load_site_or_fail(args)

    async def create() -> None:
        desk = await common.open_or_fail(site, db_file)
        try:
            await desk.accounts.bootstrap_admin(args.admin, password, args.full_name)
        finally:
            await desk.close()

    ensure_audit_key(key_base)  # keys the audit chain; readable by this user only
    common.run(create)
    ensure_key(key_base)  # encrypts visitors' ID and phone numbers; readable by this user only
    print(t("init.done", site=site_file, db=store_label(db_file), admin=args.admin))
    return 0


def warn_exposed_store(db_file: Path) -> None:
    """Name each of the store's files that other users can read, with the fix."""
    for path, mode in exposed_store_files(db_file):
        common.fail(t("store.exposed", path=path, mode=f"{mode:04o}"))

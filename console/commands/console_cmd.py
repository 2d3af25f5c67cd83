"""``dutydesk`` (the console) and ``dutydesk demo`` (the console on the built-in demo site)."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.app import AppConfig, create_app
from console.commands import common
from data.i18n import resolve_language, set_language, t


def run_console(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    return _run_app(AppConfig(site=site, db_path=common.db_path(args)))


def _run_app(config: AppConfig) -> int:
    app = create_app(config)
    code = app.run()
    if app.startup_error:
        raise common.CliError(app.startup_error)
    return code or 0


def run_demo(args: argparse.Namespace) -> int:
    from console.demo import setup

    site_file = Path(args.site) if getattr(args, "site", None) else None
    db_file = Path(args.db) if getattr(args, "db", None) else None
    prepared = common.run(lambda: setup.prepare(site_file, db_file))
    set_language(resolve_language(prepared.site.site.language))
    if args.lab_only:
        print(t("demo.paths", site=prepared.site_path, db=prepared.db_path))
        return 0
    hint = (
        t("demo.accounts")
        + "\n"
        + "\n".join(
            f"  {name:<10} {password:<12} {t('role.' + role)}"
            for name, password, role in setup.DEMO_ACCOUNTS
        )
    )
    return _run_app(AppConfig(site=prepared.site, db_path=prepared.db_path, login_hint=hint))

"""``dutydesk`` (the console) and ``dutydesk demo`` (the console on the built-in demo site,
with its lab of simulated devices answering on loopback)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from console.app import AppConfig, create_app
from console.commands import common
from console.logs import log_to_file
from data.i18n import resolve_language, set_language, t
from data.stores import db_target, local_path, store_label

if TYPE_CHECKING:
    from demo.lab import Lab
    from demo.setup import DemoPaths


def run_console(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    log_to_file()
    return _run_app(AppConfig(site=site, db_path=common.db_path(args)))


def _run_app(config: AppConfig) -> int:
    app = create_app(config)
    code = app.run()
    if app.startup_error:
        raise common.CliError(app.startup_error)
    return code or 0


def run_demo(args: argparse.Namespace) -> int:
    # The demo package (fake agents, seed) is not in the runtime wheel of a duty terminal:
    # this command is the only place the console loads it, and only when asked for.
    try:
        from demo.errors import DemoRefused
        from demo.lock import DemoLock
        from demo.setup import default_db_path
    except ModuleNotFoundError as missing:
        if missing.name != "demo":  # a broken demo install says what is broken
            raise
        raise common.CliError(t("demo.not_installed")) from None

    site_file = Path(args.site) if getattr(args, "site", None) else None
    db_file = db_target(args.db) if getattr(args, "db", None) else default_db_path()
    try:
        # Held until the demo ends: a second demo on the folder refuses before wiping anything
        # (for a DSN, the folder of its local files: data.stores.local_path).
        with DemoLock(local_path(db_file).parent):
            return _run_demo(args, site_file, db_file)
    except DemoRefused as refused:
        raise common.CliError(str(refused)) from None


def _run_demo(args: argparse.Namespace, site_file: Path | None, db_file: Path | str) -> int:
    from demo import setup
    from demo.lab import Lab

    print(t("demo.preparing"), flush=True)
    prepared = common.run(lambda: setup.prepare(site_file, db_file))
    set_language(resolve_language(prepared.site.site.language))
    if args.lab_only:
        return common.run(lambda: _lab_only(Lab(prepared.site_path), prepared))
    log_to_file()
    hint = (
        t("demo.accounts")
        + "\n"
        + "\n".join(
            f"  {name:<10} {password:<12} {t('role.' + role)}"
            for name, password, role in setup.DEMO_ACCOUNTS
        )
    )
    config = AppConfig(
        site=prepared.site,
        db_path=prepared.db_path,
        login_hint=hint,
        background=[Lab(prepared.site_path)],
    )
    return _run_app(config)


async def _lab_only(lab: Lab, prepared: DemoPaths) -> int:
    """Run the lab until Ctrl-C (or SIGTERM), printing where everything is."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await lab.start()
    except OSError as error:
        raise common.CliError(str(error)) from None
    try:
        print(t("demo.paths", site=prepared.site_path, db=store_label(prepared.db_path)))
        for line in lab.describe():
            print("  " + line)
        print(t("demo.lab_running"), flush=True)
        await stop.wait()
    finally:
        await lab.stop()
    return 0

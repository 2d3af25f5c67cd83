"""``dutydesk serve`` (the watch, headless) and ``dutydesk status [--json]`` (who watches).

``serve`` holds the store's watch lease or waits for it (console/watch.py): the checks, the
trap receiver, the recorder and the duty clock run in it while it holds the lease. It logs
to the log file and to stderr and stops cleanly on SIGTERM or SIGINT: the batch in flight
is committed and the lease handed over. Exit 2 on a bad site.yaml or store.

``status`` needs no login: it reads the lease, the open consoles and the store.
Exit 0 when a watch is active and its heartbeat fresh, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.commands import common
from console.logs import MaskingFormatter, log_to_file
from console.watch import Watch
from data.desk import Desk
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.models import Site
from data.records.watch.model import LeaseRow

log = logging.getLogger(__name__)


def add_parsers(sub: Any, global_options: Callable[..., None]) -> None:
    serve = sub.add_parser("serve", help=t("cli.serve"), description=t("cli.serve"))
    global_options(serve, root=False)
    serve.set_defaults(handler=run_serve)
    status = sub.add_parser("status", help=t("cli.status"), description=t("cli.status"))
    global_options(status, root=False)
    status.add_argument("--json", action="store_true", help=t("cli.json"))
    status.set_defaults(handler=run_status)


def run_serve(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    path = common.db_path(args)
    log_file = log_to_file()
    to_stderr = logging.StreamHandler(sys.stderr)  # journald keeps it under systemd
    to_stderr.setFormatter(MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(to_stderr)
    log.info("dutydesk serve: store %s, log %s", path, log_file)
    return common.run(lambda: _serve(site, path))


async def _serve(site: Site, path: Path | str) -> int:
    desk = await common.open_or_fail(site, path)
    try:
        try:
            await desk.audit.check_key()
        except DutyDeskError as error:
            raise common.CliError(explain(error)) from None
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopped.set)
        watch = Watch(desk, "serve")
        await watch.start()
        if not watch.active:
            lease = await desk.watch.lease()
            holder = lease.holder if lease is not None else "?"
            log.info("standing by: the watch is held by %s", holder)
        await stopped.wait()
        log.info("stopping: committing what is in flight and handing the watch over")
        await watch.stop()
    finally:
        await desk.close()
    return 0


def run_status(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    path = common.db_path(args)
    report = common.run(lambda: _status(site, path))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_status_text(report))
    return 0 if report["watch"]["state"] == "active" else 1


async def _status(site: Site, path: Path | str) -> dict[str, Any]:
    desk = await common.open_or_fail(site, path)
    try:
        return await status_report(desk)
    finally:
        await desk.close()


async def status_report(desk: Desk) -> dict[str, Any]:
    lease = await desk.watch.lease()
    consoles = await desk.watch.consoles()
    return {
        "watch": watch_report(lease, desk.site.watch.failover_seconds),
        "consoles": [
            {
                "host": c.host,
                "pid": c.pid,
                "user": c.user,
                "attached_s": round(time.time() - c.attached_at),
                "watch": lease is not None and c.id == lease.holder and not lease.released_at,
            }
            for c in consoles
        ],
        "store": store_report(desk),
    }


def store_report(desk: Desk) -> dict[str, Any]:
    """The store by what names it: a SQLite file (with its size) or a PostgreSQL DSN, its
    password masked."""
    store = desk.store
    label = getattr(store, "label", None)  # PostgreSQL: the masked DSN
    if label is not None:
        return {"path": label, "schema_version": store.schema_version, "size_bytes": None}
    path = store.path
    size = path.stat().st_size if path.exists() else None
    return {"path": str(path), "schema_version": store.schema_version, "size_bytes": size}


def watch_report(lease: LeaseRow | None, failover_seconds: float) -> dict[str, Any]:
    keys = ("holder", "host", "pid", "kind", "heartbeat_age_s", "state", "epoch")
    stats = ("last_sweep", "checks_per_minute", "dropped", "unknown_traps")
    if lease is None:
        return dict.fromkeys(keys + stats) | {"state": "none"}
    age = max(0.0, time.time() - lease.beat)
    released = lease.released_at is not None
    state = "stale" if released or age >= failover_seconds else "active"
    last_sweep = lease.stats.get("last_sweep")
    return {
        "holder": lease.holder,
        "host": lease.host,
        "pid": lease.pid,
        "kind": lease.kind,
        "heartbeat_age_s": round(age, 1),
        "state": state,
        "epoch": lease.epoch,
        "last_sweep": (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(last_sweep)) if last_sweep else None
        ),
        "checks_per_minute": lease.stats.get("checks_per_minute"),
        "dropped": lease.stats.get("dropped"),
        "unknown_traps": lease.stats.get("unknown_traps"),
    }


def _status_text(report: dict[str, Any]) -> str:
    watch = report["watch"]
    lines = []
    if watch["state"] == "none":
        lines.append(t("cli.status.no_watch"))
    else:
        lines.append(t(f"cli.status.watch.{watch['state']}", **watch))
        lines.append(
            t(
                "cli.status.figures",
                last_sweep=watch["last_sweep"] or "-",
                per_minute=watch["checks_per_minute"] or 0,
                dropped=watch["dropped"] or 0,
                unknown_traps=watch["unknown_traps"] or 0,
            )
        )
    lines.append(t("cli.status.consoles", n=len(report["consoles"])))
    for console in report["consoles"]:
        lines.append(f"  {console['host']} pid {console['pid']} {console['user'] or '-'}")
    store = report["store"]
    lines.append(t("cli.status.store", path=store["path"], version=store["schema_version"]))
    return "\n".join(lines)

"""Prepare the built-in demo: a writable copy of the demo site and a fresh demo database.

The demo database is recreated on every run so the demo always starts the same way; a
marker file beside it proves it is a demo database before anything is deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

from console.commands.common import CliError
from data.accounts import Accounts
from data.audit import AuditTrail
from data.clock import ManualClock, utc_now
from data.config import load_site
from data.crypto import audit_key_path_for, ensure_audit_key, ensure_key
from data.i18n import t
from data.models import Site
from data.store import Store

# Demo only: these are printed on the demo login screen.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("zhangsan", "Duty#2026a", "operator"),
    ("lisi", "Duty#2026b", "operator"),
    ("wangwu", "Lead#2026c", "supervisor"),
    ("admin", "Root#2026e", "admin"),  # the password policy refuses one holding the name
    ("shenji", "Audit#2026", "auditor"),
]
FULL_NAMES = {
    "zhangsan": "张三",
    "lisi": "李四",
    "wangwu": "王五",
    "admin": "管理员",
    "shenji": "审计员",
}


ACCOUNTS_AGE = dt.timedelta(days=4)  # the seeded history covers about the last two days


@dataclass(frozen=True)
class DemoPaths:
    site: Site
    site_path: Path
    db_path: Path


def _demo_home() -> Path:
    return Path(platformdirs.user_data_dir("dutydesk")) / "demo"


def default_db_path() -> Path:
    return _demo_home() / "demo.db"


def copy_demo_site(target: Path) -> None:
    """Copy the packaged demo site (site.yaml and checklists/) into ``target``'s folder."""
    source = resources.files("console.demo")
    marker = target.parent / ".dutydesk-demo"
    if target.exists() and not marker.exists():
        raise CliError(t("demo.not_demo_site", path=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("dutydesk demo site: rewritten by every `dutydesk demo`\n")
    target.write_text(source.joinpath("site.yaml").read_text("utf-8"), encoding="utf-8")
    checklists = target.parent / "checklists"
    checklists.mkdir(exist_ok=True)
    for entry in source.joinpath("checklists").iterdir():
        if entry.name.endswith(".yaml"):
            (checklists / entry.name).write_text(entry.read_text("utf-8"), encoding="utf-8")


def _fresh_db(db_path: Path) -> None:
    marker = db_path.with_name(db_path.name + ".demo")
    if db_path.exists() and not marker.exists():
        raise CliError(t("demo.not_demo_db", path=db_path))
    for stale in (
        db_path,
        db_path.with_name(db_path.name + "-wal"),
        db_path.with_name(db_path.name + "-shm"),
        db_path.with_name(db_path.name + ".key"),
        audit_key_path_for(db_path),
    ):
        stale.unlink(missing_ok=True)
    db_path.with_name(db_path.name + ".backups.json").unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("dutydesk demo database: recreated by every `dutydesk demo`\n")


async def prepare(site_path: Path | None, db_path: Path | None) -> DemoPaths:
    site_path = site_path or _demo_home() / "site" / "site.yaml"
    db_path = db_path or default_db_path()
    copy_demo_site(site_path)
    site = load_site(site_path)
    _fresh_db(db_path)
    ensure_audit_key(db_path)  # keys the audit chain from its genesis row on
    # The accounts exist before the seeded history begins, so the audit trail reads in time
    # order: they are created on a clock set back before the first seeded watch.
    store = await Store.open(db_path)
    clock = ManualClock(utc_now() - ACCOUNTS_AGE)
    audit = AuditTrail(store, terminal="demo", clock=clock)
    try:
        accounts = Accounts(store, audit, clock=clock)
        admin_name, admin_pw, _ = next(a for a in DEMO_ACCOUNTS if a[2] == "admin")
        admin = await accounts.bootstrap_admin(admin_name, admin_pw, FULL_NAMES[admin_name])
        for name, password, role in DEMO_ACCOUNTS:
            if name != admin_name:
                await accounts.add(admin, name, password, role, FULL_NAMES[name])
    finally:
        await store.close()
    ensure_key(db_path)
    from console.demo.seed import seed_history  # here: the seed reads DEMO_ACCOUNTS from us

    await seed_history(site_path, db_path)
    return DemoPaths(site=site, site_path=site_path, db_path=db_path)

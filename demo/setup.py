"""Prepare the built-in demo: a writable copy of the demo site and a fresh demo database.

The demo database is recreated on every run so the demo always starts the same way; a
marker file beside it proves it is a demo database before anything is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

import platformdirs

from data import passwords
from data.clock import ManualClock, utc_now
from data.config import load_site
from data.crypto import audit_key_path_for, ensure_audit_key, ensure_key
from data.desk import open_desk
from data.i18n import t
from data.models import Site
from data.pg_backup import wipe_restored
from data.pg_store import PgStore
from data.store import Store
from data.stores import is_dsn, local_path, mask_dsn, open_store
from demo.errors import DemoRefused

# Demo only: these are printed on the demo login screen.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("zhangsan", "Duty#2026a", "operator"),
    ("lisi", "Duty#2026b", "operator"),
    ("wangwu", "Lead#2026c", "supervisor"),
    ("admin", "Root#2026e", "admin"),  # the password policy refuses one holding the name
    ("shenji", "Audit#2026", "auditor"),
]
# Full-cost scrypt hashes of the demo passwords above (data.passwords.hash_password, made
# once): a demo login costs what a real one does, and no start pays for hashing them.
DEMO_HASHES = {
    "zhangsan": (
        "scrypt$131072$8$1$xA1bzBvDCvUU5nuxurj8aw==$"
        "R/tgQMhFP+tFRuvxY9RSrEGDlkrXG5C8uBtP7actAyCChMAED2427GT3hyoaWw0e2e7xJcwKD4qvcPiwSJTjaQ=="
    ),
    "lisi": (
        "scrypt$131072$8$1$cRsNTe893Vr+UvLlYj3mwQ==$"
        "z/S7hdyQFjWWC53nJOc5SKLy3JMBMuy4fQr2EPjdbzlFaOokzdIp0tXLkCFrolD9aWFSwxbYHaGmMuM2vycvPg=="
    ),
    "wangwu": (
        "scrypt$131072$8$1$WHHWRO5DPhplelLVUJw/oQ==$"
        "IBUc8oEU5S1ERDqN88QR9nuiAwU7E1IssiPvQB74JXN3BFVmBD8c3LDDr39JliBSFa5J7huOTmZKlAso4ERueA=="
    ),
    "admin": (
        "scrypt$131072$8$1$ATHDH/aYlOhciXMRxnqimw==$"
        "5I5IpzlqQHVCnv5sqiJUN5PY0tTJTM+IRlGT2Gfd5RQyGxCmdyk0W1rw0H5xdybE9CbuBhN4W+X8UvSYOd+V5g=="
    ),
    "shenji": (
        "scrypt$131072$8$1$cPa91FOnl7Sa/gU5JoGUHA==$"
        "xTU96YIrJqJnJjyAwNalk7FuHXwBcl3jYsse5GQ/FayljmoI2ShWNs46J+AGwzZhs6LAz9f1mOJ6haRY+ITLww=="
    ),
}
# The seed creates the accounts and signs its history with their passwords (fifteen
# scrypt runs, most of a start at full cost): it does so at this cost, then the accounts
# get DEMO_HASHES.
SEED_SCRYPT_N = 2**8
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
    db_path: Path | str  # a file, or a PostgreSQL DSN (``--db postgresql://...``)


def _demo_home() -> Path:
    return Path(platformdirs.user_data_dir("dutydesk")) / "demo"


def default_db_path() -> Path:
    return _demo_home() / "demo.db"


def copy_demo_site(target: Path) -> None:
    """Copy the packaged demo site (site.yaml, checklists/ and plans/) into ``target``'s
    folder."""
    source = resources.files("demo")
    marker = target.parent / ".dutydesk-demo"
    if target.exists() and not marker.exists():
        raise DemoRefused(t("demo.not_demo_site", path=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("dutydesk demo site: rewritten by every `dutydesk demo`\n")
    target.write_text(source.joinpath("site.yaml").read_text("utf-8"), encoding="utf-8")
    for folder in ("checklists", "plans"):
        copies = target.parent / folder
        copies.mkdir(exist_ok=True)
        for entry in source.joinpath(folder).iterdir():
            if entry.name.endswith(".yaml"):
                (copies / entry.name).write_text(entry.read_text("utf-8"), encoding="utf-8")


def _fresh_db(db_path: Path) -> None:
    marker = db_path.with_name(db_path.name + ".demo")
    if db_path.exists() and not marker.exists():
        raise DemoRefused(t("demo.not_demo_db", path=db_path))
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


@contextmanager
def _seed_scrypt_cost() -> Iterator[None]:
    full = passwords.SCRYPT_N
    passwords.SCRYPT_N = SEED_SCRYPT_N
    try:
        yield
    finally:
        passwords.SCRYPT_N = full


DEMO_META = "demo"  # in meta of a PostgreSQL demo database: recreated by every demo


async def _fresh_pg(dsn: str) -> None:
    """A DSN's database made fresh for the demo: one that holds tables is emptied only when
    an earlier demo made it (its meta says so), else refused; its local keys go too."""
    store = await PgStore.open(dsn)
    try:
        users = await store.fetchone("SELECT count(*) FROM users")
        marked = await store.get_meta(DEMO_META)
    finally:
        await store.close()
    if users is not None and int(users[0]) > 0 and marked is None:
        raise DemoRefused(t("demo.not_demo_db", path=mask_dsn(dsn)))
    await wipe_restored(dsn)
    base = local_path(dsn)
    for stale in (base.with_name(base.name + ".key"), audit_key_path_for(base)):
        stale.unlink(missing_ok=True)
    base.with_name(base.name + ".backups.json").unlink(missing_ok=True)


async def _give_accounts_full_cost_hashes(db_path: Path | str) -> None:
    store = cast(Store, await open_store(db_path))
    try:
        await store.write_many(
            "UPDATE users SET pw_hash = ? WHERE name = ?",
            [(DEMO_HASHES[name], name) for name, _, _ in DEMO_ACCOUNTS],
        )
        if is_dsn(db_path):
            await store.set_meta(DEMO_META, "dutydesk demo database: recreated by every demo")
    finally:
        await store.close()


async def prepare(site_path: Path | None, db_path: Path | str | None) -> DemoPaths:
    site_path = site_path or _demo_home() / "site" / "site.yaml"
    db_path = db_path or default_db_path()
    copy_demo_site(site_path)
    site = load_site(site_path)
    if isinstance(db_path, str):
        await _fresh_pg(db_path)
    else:
        _fresh_db(db_path)
    ensure_audit_key(local_path(db_path))  # keys the audit chain from its genesis row on
    with _seed_scrypt_cost():
        await _accounts_and_history(site, site_path, db_path)
    await _give_accounts_full_cost_hashes(db_path)
    return DemoPaths(site=site, site_path=site_path, db_path=db_path)


async def _accounts_and_history(site: Site, site_path: Path, db_path: Path | str) -> None:
    # The accounts exist before the seeded history begins, so the audit trail reads in time
    # order: they are created on a clock set back before the first seeded watch.
    ensure_key(
        local_path(db_path)
    )  # encrypts visitors' numbers; the site's fingerprint reads it too
    clock = ManualClock(utc_now() - ACCOUNTS_AGE)
    async with await open_desk(site, db_path, terminal="demo", clock=clock) as desk:
        accounts = desk.accounts
        admin_name, admin_pw, _ = next(a for a in DEMO_ACCOUNTS if a[2] == "admin")
        admin = await accounts.bootstrap_admin(admin_name, admin_pw, FULL_NAMES[admin_name])
        for name, password, role in DEMO_ACCOUNTS:
            if name != admin_name:
                # Documented passwords (README): the demo logs straight in.
                await accounts.add(admin, name, password, role, FULL_NAMES[name], must_change=False)
    from demo.seed import seed_history  # here: the seed reads DEMO_ACCOUNTS from us

    await seed_history(site_path, db_path)

"""The one seeded database of the console tests: the test accounts, then what a test asks.

``seeded_db`` (tests/conftest.py) is a database under ``tmp_path`` holding ``ACCOUNTS``,
then seeded by each seeder of the nearest ``seeded_with(...)`` mark on the test, its class or
its module (``pytestmark``), in order. A seeder is ``async def seeder(db_path) -> ...``.
No Textual here: the data tests import this module too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import pytest

from data.accounts import Accounts
from data.audit import AuditTrail
from data.store import Store

Seeder = Callable[[Path], Awaitable[object]]

ACCOUNTS = {
    "admin": ("Adm1n#pass", "admin", "管理员"),
    "zhangsan": ("Duty#2026a", "operator", "张三"),
    "wangwu": ("Lead#2026c", "supervisor", "王五"),
}
SEEDED_DB_NAME = "console.db"


async def seed_accounts(db_path: Path) -> None:
    """The test accounts, made by the admin (no site: the console records its site's
    fingerprint itself when it starts, so the audit trail reads as in production)."""
    store = await Store.open(db_path)
    try:
        audit = AuditTrail(store, terminal="test")
        accounts = Accounts(store, audit)
        admin_pw, _, admin_name = ACCOUNTS["admin"]
        admin = await accounts.bootstrap_admin("admin", admin_pw, admin_name)
        for name, (password, role, full_name) in ACCOUNTS.items():
            if name != "admin":
                await accounts.add(admin, name, password, role, full_name, must_change=False)
    finally:
        await store.close()


def seeded_with(*seeders: Seeder) -> pytest.MarkDecorator:
    """The mark that has ``seeded_db`` run ``seeders`` after the accounts. (``with_args``:
    ``pytest.mark.seed(f)`` with one function would mark ``f`` instead.)"""
    return pytest.mark.seed.with_args(*seeders)


async def seed_db(db_path: Path, seeders: Iterable[Seeder] = ()) -> Path:
    """``db_path`` with the test accounts, then each of ``seeders`` in order."""
    await seed_accounts(db_path)
    for seeder in seeders:
        await seeder(db_path)
    return db_path

"""Fixtures every test group shares: a store on a temporary database, its audit trail,
accounts, an admin; ``seeded_db``, the console tests' database (tests.support.seed). What only
one group uses sits in that group's conftest.py (tests/unit, tests/cli, tests/interop).

``store`` is a fresh migrated database under ``tmp_path``; ``any_store`` is the same over
SQLite and a private PostgreSQL (tests.support.postgres), parametrized; ``clock`` is a
ManualClock that ``audit`` and ``accounts`` both read, so tests move time with
``clock.advance(...)``. ``accounts`` lowers the scrypt cost (``fast_scrypt``): tests about
the hash itself must not use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from data import masking, passwords
from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.store import Store
from tests.support.postgres import any_store, backend, pg_dsn, postgres_server, store_target
from tests.support.seed import SEEDED_DB_NAME, seed_db

# The private PostgreSQL and the store over both backends (tests.support.postgres).
__all__ = ["any_store", "backend", "pg_dsn", "postgres_server", "store_target"]

ADMIN_PASSWORD = "Adm1n-pass"
START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in Asia/Shanghai


@pytest.fixture(autouse=True)
def forget_secrets() -> None:
    """Each test starts knowing no secret: a site loaded by an earlier test would otherwise
    mask its values ("public", a test password) in this test's text."""
    masking.forget_all()


@pytest.fixture
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "SCRYPT_N", 2**8)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "dutydesk.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(db_path)
    yield opened
    await opened.close()


@pytest.fixture
def audit(store: Store, clock: ManualClock) -> AuditTrail:
    return AuditTrail(store, terminal="test:pts/0", clock=clock)


@pytest.fixture
def accounts(store: Store, audit: AuditTrail, clock: ManualClock, fast_scrypt: None) -> Accounts:
    return Accounts(store, audit, clock=clock)


@pytest.fixture
async def admin(accounts: Accounts) -> User:
    return await accounts.bootstrap_admin("admin", ADMIN_PASSWORD, "Site Admin")


@pytest.fixture
async def seeded_db(request: pytest.FixtureRequest, tmp_path: Path, fast_scrypt: None) -> Path:
    """A database under ``tmp_path`` with the test accounts (cheap password hashes), then
    seeded by each seeder of the nearest ``seeded_with(...)`` mark (test, class or module)."""
    marker = request.node.get_closest_marker("seed")
    return await seed_db(tmp_path / SEEDED_DB_NAME, marker.args if marker else ())

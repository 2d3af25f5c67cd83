"""Helpers for console tests: a seeded database, an app on it, waiting with a deadline."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from console.app import AppConfig, DutyDeskApp, create_app
from data.accounts import Accounts
from data.audit import AuditTrail
from data.config import load_site
from data.models import Site
from data.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
FIXED_NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 10:00 in Asia/Shanghai: 白班
ACCOUNTS = {
    "admin": ("Adm1n#pass", "admin", "管理员"),
    "zhangsan": ("Duty#2026a", "operator", "张三"),
    "wangwu": ("Lead#2026c", "supervisor", "王五"),
}


def minimal_site(language: str = "zh_CN") -> Site:
    site = load_site(FIXTURES / "minimal-site.yaml")
    info = site.site.model_copy(update={"language": language})
    return site.model_copy(update={"site": info})


async def seed_accounts(db_path: Path) -> None:
    store = await Store.open(db_path)
    try:
        audit = AuditTrail(store, terminal="test")
        accounts = Accounts(store, audit)
        admin_pw, _, admin_name = ACCOUNTS["admin"]
        admin = await accounts.bootstrap_admin("admin", admin_pw, admin_name)
        for name, (password, role, full_name) in ACCOUNTS.items():
            if name != "admin":
                await accounts.add(admin, name, password, role, full_name)
    finally:
        await store.close()


def make_app(db_path: Path, language: str = "zh_CN", **overrides: object) -> DutyDeskApp:
    config = AppConfig(
        site=minimal_site(language), db_path=db_path, clock=lambda: FIXED_NOW, terminal="test"
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


async def wait_until(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 10) -> None:
    """Let the app run until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.02)


async def log_in(pilot: Pilot[int], name: str, password: str) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.id == "login")
    await pilot.press(*name)
    await pilot.press("enter")
    await pilot.press(*password)
    await pilot.press("enter")


def run(coro_factory: Callable[[], object]) -> None:
    asyncio.run(coro_factory())  # type: ignore[arg-type]

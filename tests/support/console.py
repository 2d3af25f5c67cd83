"""Helpers for console tests: an app on a seeded database (tests.support.seed), waiting
with a deadline."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from console.app import AppConfig, DutyDeskApp, create_app
from data.audit import AuditTrail
from data.config import load_site
from data.models import Site
from data.store import Store

# Re-exported: the console tests have always found the accounts here.
from tests.support.seed import ACCOUNTS as ACCOUNTS
from tests.support.seed import seed_accounts as seed_accounts

FIXTURES = Path(__file__).parents[1] / "fixtures"
FIXED_NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 10:00 in Asia/Shanghai: 白班


def minimal_site(language: str = "zh_CN") -> Site:
    site = load_site(FIXTURES / "minimal-site.yaml")
    info = site.site.model_copy(update={"language": language})
    return site.model_copy(update={"site": info})


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


def result_event(
    device_id: str,
    check_id: str,
    state: str,
    value: float | None = None,
    unit: str | None = None,
    message: str = "",
    at: dt.datetime = FIXED_NOW,
) -> list[object]:
    """The events the scheduler sends for one hard result: the result and the device state."""
    from checks.feed import CheckSnapshot, DeviceStateChanged, ResultEvent
    from checks.result import CheckState, DeviceState, ProbeResult

    check_state = CheckState[state]
    snapshot = CheckSnapshot(
        device_id=device_id,
        check_id=check_id,
        state=check_state,
        hard=True,
        attempt=1,
        max_attempts=3,
        pending=False,
        stale=False,
        flapping=False,
        flap_percent=0.0,
        alarm=None if check_state is CheckState.OK else check_state,
        message=message,
        value=value,
        unit=unit,
        last_run=at,
        last_change=at,
        next_run=at,
    )
    result = ProbeResult(check_state, message, value, unit)
    device_state = DeviceState.UP if check_state is CheckState.OK else DeviceState[state]
    return [
        ResultEvent(device_id, check_id, result, snapshot, at),
        DeviceStateChanged(device_id, DeviceState.UNKNOWN, device_state, at),
    ]


def post_events(app: DutyDeskApp, events: list[object]) -> None:
    from console.live import CheckEvent

    for event in events:
        app.post_message(CheckEvent(event, None))  # type: ignore[arg-type]


async def open_section(pilot: Pilot[Any], key: str, section: str, user: str = "zhangsan") -> None:
    """Log in as ``user`` (a test account), wait for the wall, then switch to ``section``."""
    await log_in(pilot, user, ACCOUNTS[user][0])
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
    await pilot.press(key)
    await wait_until(pilot, lambda: pilot.app.screen.id == f"section-{section}")


async def audit_actions(db: Path, *, watch: bool = False) -> list[tuple[str | None, str, str]]:
    """The audit trail's (user, action, outcome), oldest first. The watch's own rows (the
    lease taken by or released by a console) are left out unless ``watch``."""
    store = await Store.open(db)
    try:
        rows = await AuditTrail(store).query(limit=1000)
    finally:
        await store.close()
    return [
        (r.user, r.action, r.outcome)
        for r in reversed(rows)
        if watch or not r.action.startswith("watch.")
    ]


def watch_text(app: DutyDeskApp) -> str:
    """The header's watch figure in full (``监视 serve@host 1秒``); empty when the console
    is the watch itself."""
    figure = app.watch_figure()
    return "" if figure is None else figure.text()

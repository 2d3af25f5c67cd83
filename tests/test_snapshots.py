"""Snapshot tests (pytest-textual-snapshot) of the login and main screens, both languages.

Update the stored SVGs after an intended change with: pytest tests/test_snapshots.py
--snapshot-update, then look at snapshot_report.html before committing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.console_support import ACCOUNTS, log_in, make_app, seed_accounts, wait_until

LANGUAGES = ["zh_CN", "en"]


@pytest.fixture
def seeded_db(tmp_path: Path, fast_scrypt: None) -> Path:
    path = tmp_path / "snap.db"
    asyncio.run(seed_accounts(path))
    return path


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = make_app(seeded_db, language=language, login_hint="demo: zhangsan / Duty#2026a")

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.id == "login")

    assert snap_compare(app, terminal_size=(100, 32), run_before=ready)


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = make_app(seeded_db, language=language)

    async def logged_in(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")

    assert snap_compare(app, terminal_size=(100, 24), run_before=logged_in)


@pytest.mark.parametrize("language", LANGUAGES)
def test_locked_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = make_app(seeded_db, language=language)

    async def locked(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: pilot.app.screen.id == "login")

    assert snap_compare(app, terminal_size=(100, 32), run_before=locked)

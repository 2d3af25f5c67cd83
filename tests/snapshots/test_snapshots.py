"""Snapshot tests (pytest-textual-snapshot) of the login and main screens, both languages.

Update the stored SVGs after an intended change with: pytest tests/snapshots/test_snapshots.py
--snapshot-update, then look at snapshot_report.html before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.console import ACCOUNTS, log_in, make_app, wait_until

LANGUAGES = ["zh_CN", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = make_app(seeded_db, language=language, login_hint="demo: zhangsan / Duty#2026a")

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.id == "login")

    assert snap_compare(app, terminal_size=(100, 32), run_before=ready)


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    # No probing: a real result (port 9 refused) could land before the picture is taken.
    app = make_app(seeded_db, language=language, start_checks=False)

    async def logged_in(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")

    assert snap_compare(app, terminal_size=(100, 24), run_before=logged_in)


@pytest.mark.parametrize("language", LANGUAGES)
def test_locked_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    # no probing: a check that finished before the picture (a slow login on a loaded
    # machine) changed the room summary the lock screen shows
    app = make_app(seeded_db, language=language, start_checks=False)

    async def locked(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: pilot.app.screen.id == "login")

    assert snap_compare(app, terminal_size=(100, 32), run_before=locked)


def _wall_events() -> list[object]:
    from tests.support.console import result_event

    return [
        *result_event("core-sw-1", "ping", "CRITICAL", message="port 9: connection refused"),
        *result_event("ups-1", "ups", "OK", value=100, unit="%"),
        *result_event("app-1", "web", "WARNING", value=91, unit="%", message="disk 91%"),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_wall(
    snap_compare: Callable[..., bool], seeded_db: Path, language: str, size: tuple[int, int]
) -> None:
    from tests.support.console import post_events

    app = make_app(seeded_db, language=language, run_checks=False)

    async def on_wall(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
        post_events(app, _wall_events())
        # every event applied and drawn: all three states counted in the header
        await wait_until(
            pilot,
            lambda: all(
                mark in pilot.app.screen.query_one("DutyHeader").status
                for mark in ("✖1", "▲1", "✔1")
            ),
        )  # header and tiles are refreshed in the same batched flush

    assert snap_compare(app, terminal_size=size, run_before=on_wall)

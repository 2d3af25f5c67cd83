"""Snapshot tests (pytest-textual-snapshot) of every section at 80x24, both languages: the
smallest terminal an operator may have (a laptop's tmux pane, a KVM console).

At 80x24 the header still shows the shift and the counts (abbreviated), the footer is not
cut, the alarm list keeps 发生时间/确认人/确认至 and the visitor form keeps its 数量 column.
Each section is seeded as in its own snapshot module (the wall at 80x24 is
tests/snapshots/test_snapshots.py::test_wall). Update the SVGs after an intended change with
--snapshot-update and look at snapshot_report.html.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from console.app import DutyDeskApp
from console.screens.visitors.dialogs import VisitorEntryDialog
from data.i18n import t
from tests.snapshots.test_snapshots_alarms import seed_alarms
from tests.snapshots.test_snapshots_handover import seed_watch
from tests.snapshots.test_snapshots_incidents import seed_escalated
from tests.snapshots.test_snapshots_inspections import seed_records
from tests.snapshots.test_snapshots_visitors import seed_access_log
from tests.support.console import make_app, open_section, seed_accounts, wait_until
from tests.support.incidents import header, quiet_app, seed_month
from tests.support.inspections import inspection_app, seed_inspection_db
from tests.support.inspections import open_section as open_inspections
from widgets.alarm_list import AlarmList

LANGUAGES = ["zh_CN", "en"]
SIZE = (80, 24)
Ready = Callable[[Pilot[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Section:
    seed: Callable[[Path, Path], Coroutine[Any, Any, None]]  # (database, site folder)
    app: Callable[[Path, Path, str], DutyDeskApp]  # (database, site folder, language)
    ready: Ready  # logged in, on the section, everything loaded and drawn


async def seed_with_accounts(db: Path, *seeds: Callable[[Path], Awaitable[None]]) -> None:
    await seed_accounts(db)
    for seed in seeds:
        await seed(db)


def plain_app(db: Path, _: Path, language: str) -> DutyDeskApp:
    return make_app(db, language=language, run_checks=False)


def alarms_app(db: Path, _: Path, language: str) -> DutyDeskApp:
    """Loads the stored alarms as after a restart, without probing."""
    return make_app(db, language=language, start_checks=False)


def incidents_app(db: Path, _: Path, language: str) -> DutyDeskApp:
    return quiet_app(db, language=language)


async def on_alarms(pilot: Pilot[Any]) -> None:
    await open_section(pilot, "2", "alarms")
    table = pilot.app.screen.query_one(AlarmList)
    await wait_until(pilot, lambda: len(table.rows_by_id) == 3)
    summary = pilot.app.screen.query_one("#alarms-summary")
    await wait_until(pilot, lambda: "3" in str(summary.render()))


async def on_handover(pilot: Pilot[Any]) -> None:
    await open_section(pilot, "3", "handover")
    screen = pilot.app.screen
    await wait_until(pilot, lambda: len(getattr(screen, "pending_items", [])) == 2)
    await wait_until(pilot, lambda: "张三" in str(screen.query_one("DutyHeader").render()))


async def on_visitors(pilot: Pilot[Any]) -> None:
    await open_section(pilot, "4", "visitors")
    screen = pilot.app.screen
    tables = list(screen.query(DataTable))
    await wait_until(pilot, lambda: [table.row_count for table in tables] == [2, 3])
    await wait_until(pilot, lambda: "2" in screen.query_one("DutyHeader").status)  # type: ignore[attr-defined]


async def on_visitor_form(pilot: Pilot[Any]) -> None:
    await on_visitors(pilot)
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, VisitorEntryDialog))
    await pilot.pause()


async def on_inspections(pilot: Pilot[Any]) -> None:
    await open_inspections(pilot)
    records = pilot.app.screen.query_one("#inspections-records", DataTable)
    await wait_until(pilot, lambda: records.row_count == 1)


def on_incidents_or_reports(key: str, section: str, loaded: str) -> Ready:
    async def ready(pilot: Pilot[Any]) -> None:
        await open_section(pilot, key, section)
        screen = pilot.app.screen
        await wait_until(pilot, lambda: getattr(screen, loaded, None) is not None)
        await wait_until(pilot, lambda: t("header.incidents", n=4) in header(pilot.app))  # type: ignore[arg-type]
        await pilot.pause()

    return ready


async def seed_inspections(db: Path, folder: Path) -> None:
    await seed_inspection_db(db)
    await seed_records(db, folder)


SECTIONS = {
    "alarms": Section(lambda db, _: seed_with_accounts(db, seed_alarms), alarms_app, on_alarms),
    "handover": Section(lambda db, _: seed_with_accounts(db, seed_watch), plain_app, on_handover),
    "visitors": Section(
        lambda db, _: seed_with_accounts(db, seed_access_log), plain_app, on_visitors
    ),
    "visitor-form": Section(
        lambda db, _: seed_with_accounts(db, seed_access_log), plain_app, on_visitor_form
    ),
    "inspections": Section(seed_inspections, inspection_app, on_inspections),
    "incidents": Section(
        lambda db, _: seed_with_accounts(db, seed_month, seed_escalated),
        incidents_app,
        on_incidents_or_reports("6", "incidents", "selected"),
    ),
    "reports": Section(
        lambda db, _: seed_with_accounts(db, seed_month, seed_escalated),
        incidents_app,
        on_incidents_or_reports("7", "reports", "report"),
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("section", list(SECTIONS))
def test_section_at_80x24(
    snap_compare: Callable[..., bool],
    tmp_path: Path,
    fast_scrypt: None,
    section: str,
    language: str,
) -> None:
    case, db = SECTIONS[section], tmp_path / "snap.db"
    asyncio.run(case.seed(db, tmp_path))
    assert snap_compare(case.app(db, tmp_path, language), terminal_size=SIZE, run_before=case.ready)

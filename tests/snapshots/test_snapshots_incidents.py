"""Snapshot tests (pytest-textual-snapshot) of the incidents and reports sections, both
languages.

The store holds a seeded November (tests.support.incidents.seed_month): transitions,
alarms and restart actions, an incident resolved in October (a past fix for the core
switch), a phone report unanswered for 10 days (problem tracking, overdue) and a UPS
incident 40 minutes old (close to its deadline); plus an incident opened from a core
switch alarm and escalated to the vendor. The clock is fixed, so clocks and figures are
stable. Update the SVGs after an intended change with --snapshot-update and look at
snapshot_report.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from data.audit import AuditTrail
from data.i18n import t
from data.records.alarms.book import AlarmBook
from data.records.incidents.book import IncidentBook
from data.store import Store
from tests.support.console import FIXED_NOW, wait_until
from tests.support.incidents import (
    OPERATOR,
    go_to,
    header,
    quiet_app,
    seed_month,
    site_with_asset,
    start,
)
from tests.support.seed import seeded_with

LANGUAGES = ["zh_CN", "en"]
SIZE = (130, 42)


async def seed_escalated(db_path: Path) -> None:
    """The core switch's ping alarm of 25 minutes ago, its incident escalated to 华为."""
    store = await Store.open(db_path)
    try:
        audit = AuditTrail(store, terminal="test")
        alarm = await AlarmBook(store, audit, clock=lambda: FIXED_NOW).raise_or_update(
            "core-sw-1",
            "ping",
            "CRITICAL",
            "TCP 127.0.0.1:9 refused",
            FIXED_NOW - dt.timedelta(minutes=25),
            3,
            False,
        )
        book = IncidentBook(store, audit, site_with_asset(), clock=lambda: FIXED_NOW)
        incident = await book.open_from_alarm(
            OPERATOR, alarm, "critical", "network", "外网核心交换机1 上联中断"
        )
        await book.escalate(
            OPERATOR, incident.id, ticket="HW-2026-1127", note="厂商工程师 30 分钟内到场"
        )
    finally:
        await store.close()


pytestmark = seeded_with(seed_month, seed_escalated)


@pytest.mark.parametrize("language", LANGUAGES)
def test_incidents_screen(
    snap_compare: Callable[..., bool], seeded_db: Path, language: str
) -> None:
    app = quiet_app(seeded_db, language=language)

    async def on_incidents(pilot: Pilot[Any]) -> None:
        await start(pilot)
        await go_to(pilot, "6", "incidents")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: getattr(screen, "selected", None) is not None)
        await wait_until(pilot, lambda: len(getattr(screen, "problems", [])) == 1)
        await wait_until(pilot, lambda: t("header.incidents", n=4) in header(pilot.app))  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=on_incidents)


@pytest.mark.parametrize("language", LANGUAGES)
def test_reports_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = quiet_app(seeded_db, language=language)

    async def on_reports(pilot: Pilot[Any]) -> None:
        await start(pilot)
        await go_to(pilot, "7", "reports")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: getattr(screen, "report", None) is not None)
        await wait_until(pilot, lambda: t("header.incidents", n=4) in header(pilot.app))  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=on_reports)

"""Snapshot tests (pytest-textual-snapshot) of the alarm list, both languages.

Three alarms are stored before the console starts (so it loads them, as after a restart):
an unacknowledged CRITICAL, an UNKNOWN acknowledged for 2 h, and a flapping WARNING with a
sticky acknowledgement. The clock is fixed, so ages and times are stable. Update the SVGs
after an intended change with --snapshot-update and look at snapshot_report.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from data.accounts import User
from data.audit import AuditTrail
from data.records.alarms.book import AlarmBook
from data.roles import Role
from data.store import Store
from tests.support.console import (
    FIXED_NOW,
    make_app,
    open_section,
    wait_until,
)
from tests.support.seed import seeded_with
from widgets.alarm_list import AlarmList

LANGUAGES = ["zh_CN", "en"]
OPERATOR = User(2, "zhangsan", "张三", Role.OPERATOR)
SUPERVISOR = User(3, "wangwu", "王五", Role.SUPERVISOR)


async def seed_alarms(db_path: Path) -> None:
    store = await Store.open(db_path)
    try:
        book = AlarmBook(store, AuditTrail(store, terminal="test"), clock=lambda: FIXED_NOW)

        async def raise_(
            device: str,
            check: str,
            severity: str,
            message: str,
            ago: dt.timedelta,
            flapping: bool = False,
        ) -> int:
            alarm = await book.raise_or_update(
                device, check, severity, message, FIXED_NOW - ago, 3, flapping
            )
            return alarm.id

        await raise_(
            "core-sw-1", "ping", "CRITICAL", "TCP 127.0.0.1:9 refused", dt.timedelta(minutes=40)
        )
        unknown = await raise_(
            "app-1",
            "http",
            "UNKNOWN",
            "HTTP probe timed out after 5 s",
            dt.timedelta(hours=2, minutes=10),
        )
        warning = await raise_(
            "ups-1",
            "battery",
            "WARNING",
            "flapping (42% state changes)",
            dt.timedelta(days=1, hours=3),
            flapping=True,
        )
        await book.acknowledge(OPERATOR, [unknown], "vendor called, ticket 4711")
        await book.acknowledge(SUPERVISOR, [warning], "battery swap on Monday", sticky=True)
    finally:
        await store.close()


pytestmark = seeded_with(seed_alarms)


@pytest.mark.parametrize("language", LANGUAGES)
def test_alarm_list(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = make_app(seeded_db, language=language, start_checks=False)

    async def on_alarms(pilot: Pilot[Any]) -> None:
        await open_section(pilot, "2", "alarms")
        table = pilot.app.screen.query_one(AlarmList)
        await wait_until(pilot, lambda: len(table.rows_by_id) == 3)
        await wait_until(
            pilot, lambda: "3" in str(pilot.app.screen.query_one("#alarms-summary").render())
        )

    assert snap_compare(app, terminal_size=(130, 16), run_before=on_alarms)

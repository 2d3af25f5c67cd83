"""Snapshot tests (pytest-textual-snapshot) of the handover screen, both languages.

Before the console starts, zhangsan holds the day watch (taken at 08:30) with notes and
two pending items, and the store has an open unacknowledged alarm, an acknowledged one,
a cleared one and a restart action run. The clock is fixed, so the summary is stable.
Update the SVGs after an intended change with --snapshot-update and look at
snapshot_report.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.records.alarms.book import AlarmBook
from data.records.handover.book import HandoverBook
from data.roles import Role
from data.store import Store
from tests.support.console import (
    FIXED_NOW,
    make_app,
    minimal_site,
    open_section,
    wait_until,
)
from tests.support.seed import seeded_with

LANGUAGES = ["zh_CN", "en"]
OPERATOR = User(2, "zhangsan", "张三", Role.OPERATOR)
TAKEN_AT = FIXED_NOW - dt.timedelta(hours=1, minutes=30)  # 08:30 in Asia/Shanghai


async def seed_watch(db_path: Path) -> None:
    store = await Store.open(db_path)
    try:
        audit = AuditTrail(store, terminal="test")
        alarms = AlarmBook(store, audit, clock=lambda: FIXED_NOW)
        critical = await alarms.raise_or_update(
            "core-sw-1",
            "ping",
            "CRITICAL",
            "TCP 127.0.0.1:9 refused",
            FIXED_NOW - dt.timedelta(minutes=40),
            3,
            False,
        )
        unknown = await alarms.raise_or_update(
            "app-1",
            "web",
            "UNKNOWN",
            "HTTP probe timed out after 5 s",
            FIXED_NOW - dt.timedelta(minutes=70),
            3,
            False,
        )
        await alarms.acknowledge(OPERATOR, [unknown.id], "vendor called, ticket 4711")
        assert critical.id != unknown.id
        ran_at = FIXED_NOW - dt.timedelta(minutes=20)  # the summary reads actions from the audit
        await AuditTrail(store, terminal="test", clock=lambda: ran_at).record(
            "zhangsan", "action.run", "device:app-1/restart-web", detail={"exit_status": 0}
        )
        book = HandoverBook(store, audit, Accounts(store, audit), minimal_site(), lambda: TAKEN_AT)
        watch = await book.open_shift(OPERATOR)
        await book.set_notes(
            OPERATOR, watch.id, "UPS-1 风扇异响，已报修。\nUPS-1 fan noisy, reported."
        )
        await book.add_pending(OPERATOR, watch.id, "联系厂商更换 UPS-1 风扇 / call UPS vendor")
        await book.add_pending(OPERATOR, watch.id, "B3 机柜标签补贴 / relabel rack B3")
    finally:
        await store.close()


pytestmark = seeded_with(seed_watch)


@pytest.mark.parametrize("language", LANGUAGES)
def test_handover_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = make_app(seeded_db, language=language, run_checks=False)

    async def on_handover(pilot: Pilot[Any]) -> None:
        await open_section(pilot, "3", "handover")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: len(getattr(screen, "pending_items", [])) == 2)
        await wait_until(pilot, lambda: "张三" in str(screen.query_one("DutyHeader").render()))

    assert snap_compare(app, terminal_size=(130, 42), run_before=on_handover)

"""Snapshot tests (pytest-textual-snapshot) of the access and visitors screen, both languages.

Stored before the console starts: a visitor and a member of staff still inside, and a
visitor escorted by that member of staff who left without one of the items carried in
(flagged). The clock is fixed, so times are stable. Update the SVGs after an intended
change with --snapshot-update and look at snapshot_report.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from data.accounts import User
from data.audit import AuditTrail
from data.crypto import ensure_key, open_cipher
from data.idnumbers import check_character
from data.records.visitors.book import AccessLog
from data.records.visitors.model import Item, VisitorEntry
from data.roles import Role
from data.store import Store
from tests.support.console import ACCOUNTS, FIXED_NOW, log_in, make_app, wait_until
from tests.support.seed import seeded_with

LANGUAGES = ["zh_CN", "en"]
OPERATOR = User(2, "zhangsan", "张三", Role.OPERATOR)


INSIDE = VisitorEntry(
    name="张明哲",
    id_type="resident_id",
    id_number="45010319880715123" + check_character("45010319880715123"),
    organisation="南宁电信",
    phone="138-7712-3456",
    purpose="更换线卡",
    escort="zhangsan",
    badge="V-01",
    work_on=["A03", "core-sw-1"],
    items_in=[Item("笔记本电脑", "SN-1")],
)
LEFT = VisitorEntry(
    name="Han Meimei",
    id_type="passport",
    id_number="E12345678",
    organisation="Huawei",
    phone="0771-5551234",
    purpose="UPS service",
    escort="wangwu",
    badge="V-02",
    work_on=["ups-1"],
    items_in=[Item("Laptop", "SN-9"), Item("tester", None, 2)],
)


async def seed_access_log(db_path: Path) -> None:
    ensure_key(db_path)
    store = await Store.open(db_path)
    try:
        now = [FIXED_NOW]
        log = AccessLog(
            store,
            AuditTrail(store, terminal="test"),
            open_cipher(db_path),
            lambda: now[0],
            tz=dt.timezone(dt.timedelta(hours=8)),
        )

        def at(hour: int, minute: int) -> None:  # local time (UTC+8) on FIXED_NOW's day
            now[0] = FIXED_NOW.replace(hour=hour - 8, minute=minute)

        at(8, 40)
        await log.enter_visitor(OPERATOR, INSIDE)
        at(8, 45)  # wangwu walks in first: an escort is at the desk or in the room
        await log.enter_staff(OPERATOR, "wangwu", "S-07", "巡检")
        at(8, 50)
        left = await log.enter_visitor(OPERATOR, LEFT)
        at(9, 30)
        await log.exit(OPERATOR, left, [Item("Laptop", "SN-9")], "tester stays for repair")
    finally:
        await store.close()


pytestmark = seeded_with(seed_access_log)


@pytest.mark.parametrize("language", LANGUAGES)
def test_visitors_screen(snap_compare: Callable[..., bool], seeded_db: Path, language: str) -> None:
    app = make_app(seeded_db, language=language, run_checks=False)

    def loaded() -> bool:
        screen = app.screen
        if screen.id != "section-visitors":
            return False
        tables = list(screen.query(DataTable))
        header = screen.query_one("DutyHeader")
        return [t.row_count for t in tables] == [2, 3] and "2" in header.status  # type: ignore[attr-defined]

    async def on_visitors(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
        await pilot.press("4")
        await wait_until(pilot, loaded)

    assert snap_compare(app, terminal_size=(120, 30), run_before=on_visitors)

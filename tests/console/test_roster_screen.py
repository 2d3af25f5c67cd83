"""The roster section (key 8): the month grid, a supervisor rostering a day and recording
a swap, two-person duty refused during an assurance period (the message under its shift),
an operator who only reads, and the header naming who is rostered now."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from console.app import DutyDeskApp
from console.screens.handover.screen import HandoverScreen
from console.screens.roster.dialogs import DayDialog, SwapDialog
from console.screens.roster.screen import RosterScreen, shift_month
from data.clock import ManualClock
from data.models import AssurancePeriod, Calendar
from data.records.roster.model import plan
from tests.console.test_handover_screen import WANG, on_duty_as_zhangsan, sign_out
from tests.support.console import ACCOUNTS, FIXED_NOW, make_app, minimal_site, wait_until
from tests.support.incidents import audited, go_to, start, text

pytestmark = pytest.mark.usefixtures("fast_scrypt")
TODAY = dt.date(2026, 11, 27)  # FIXED_NOW in Asia/Shanghai
PERIOD = {"name": "测试保障", "start": "2026-11-28", "end": "2026-11-30", "leader": "韦主任"}


def roster_app(db: Path, language: str) -> DutyDeskApp:
    site = minimal_site(language)
    calendar = Calendar(assurance=[AssurancePeriod.model_validate(PERIOD)])
    info = site.site.model_copy(update={"calendar": calendar})
    return make_app(
        db, language=language, start_checks=False, site=site.model_copy(update={"site": info})
    )


def test_months_step_across_years() -> None:
    assert shift_month(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert shift_month(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)


def type_into(app: DutyDeskApp, field: str, value: str) -> None:
    app.screen.query_one(f"#field-{field}", Input).value = value


async def test_a_supervisor_rosters_a_day_and_records_a_swap_at_80x24(seeded_db: Path) -> None:
    app = roster_app(seeded_db, "zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, "wangwu")
        await go_to(pilot, "8", "roster")
        screen = app.screen
        assert isinstance(screen, RosterScreen)
        grid = screen.query_one("#roster-grid", DataTable)
        await wait_until(pilot, lambda: grid.row_count == 30)
        assert "2026年11月 值班排班" in text(app, "#roster-title")
        assert "测试保障" in text(app, "#roster-title")
        assert screen.selected_day() == TODAY  # the cursor starts on today

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, DayDialog))
        await pilot.press(*"zhangsan", "enter", *"wangwu")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, RosterScreen))
        day = await app.desk.roster.day(TODAY)
        assert day.shifts == {"白班": ("zhangsan",), "夜班": ("wangwu",)}
        assert await audited(pilot, app, "roster.save") == ["ok"]
        await wait_until(pilot, lambda: "张三" in text(app, "#roster-day"))

        # The next day is in the assurance period: one person a shift is refused.
        await pilot.press("down", "e")
        await wait_until(pilot, lambda: isinstance(app.screen, DayDialog))
        type_into(app, "shift0", "zhangsan，wangwu")
        type_into(app, "shift1", "wangwu")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "至少需要 2 人" in text(app, "#error-shift1"))
        assert isinstance(app.screen, DayDialog) and app.screen.focused is not None
        assert app.screen.focused.id == "field-shift1"  # the shift it is about
        type_into(app, "shift1", "wangwu, zhangsan")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, RosterScreen))
        saved = await app.desk.roster.day(TODAY + dt.timedelta(days=1))
        assert saved.on("夜班") == ("wangwu", "zhangsan") and saved.leader == "韦主任"

        # A swap on today's day shift, with both names and the reason.
        await pilot.press("up", "w")
        await wait_until(pilot, lambda: isinstance(app.screen, SwapDialog))
        type_into(app, "from_name", "zhangsan")
        type_into(app, "to_name", "wangwu")
        type_into(app, "reason", "家中有事")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, RosterScreen))
        swaps = await app.desk.roster.swaps(TODAY, TODAY)
        assert [(s.from_name, s.to_name, s.reason) for s in swaps] == [
            ("zhangsan", "wangwu", "家中有事")
        ]
        await wait_until(pilot, lambda: "换班：白班 张三 → 王五" in text(app, "#roster-day"))
        assert "张三 → 王五" in str(list(app._notifications)[-1].message)

        # The month's roster and the next day's assurance report, as files.
        await pilot.press("x")
        await wait_until(pilot, lambda: len(screen.exported) == 3)
        markdown = next(p for p in screen.exported if p.suffix == ".md").read_text("utf-8")
        assert markdown.startswith("# 值班排班表") and "家中有事" in markdown
        await pilot.press("d")  # today is in no assurance period
        await wait_until(pilot, lambda: "不在保障期内" in str(list(app._notifications)[-1].message))
        await pilot.press("down", "d")
        await wait_until(pilot, lambda: screen.exported[0].name == "assurance-2026-11-28.md")
        daily = screen.exported[0].read_text("utf-8")
        assert "## 2026-11-28（星期六）保障日报" in daily and "带班领导：韦主任" in daily


async def test_an_operator_reads_the_roster_and_the_header_names_who_is_on(
    seeded_db: Path,
) -> None:
    app = roster_app(seeded_db, "en")
    async with app.run_test(size=(160, 45)) as pilot:
        await start(pilot, "zhangsan")
        boss = await app.desk.accounts.find("wangwu")
        assert boss is not None
        await app.desk.roster.save_day(
            boss, plan(day=TODAY, shifts={"白班": ["zhangsan"]}, leader="Wei")
        )
        app.figures.roster.invalidate()
        await wait_until(pilot, lambda: "Rostered 张三 Leader Wei" in app.status_text())
        await go_to(pilot, "8", "roster")
        grid = app.screen.query_one("#roster-grid", DataTable)
        await wait_until(pilot, lambda: grid.row_count == 30)
        await pilot.press("e")
        await wait_until(pilot, lambda: bool(app._notifications))
        assert "Only a supervisor or the admin" in str(list(app._notifications)[-1].message)
        assert isinstance(app.screen, RosterScreen)  # no form opened
        await pilot.press("n")
        await wait_until(pilot, lambda: "month 12" in text(app, "#roster-title"))


async def test_the_handover_asks_why_when_the_incoming_operator_is_not_rostered(
    seeded_db: Path,
) -> None:
    clock = ManualClock(FIXED_NOW)
    app = make_app(seeded_db, language="en", run_checks=False, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_duty_as_zhangsan(pilot)
        admin = await app.desk.accounts.authenticate("admin", ACCOUNTS["admin"][0])
        await app.desk.accounts.add(admin, "lisi", "Duty#2026b", "operator", "李四")
        boss = await app.desk.accounts.find("wangwu")
        assert boss is not None
        await app.desk.roster.save_day(boss, plan(day=TODAY, shifts={"夜班": ["lisi"]}))

        clock.advance(dt.timedelta(hours=7, minutes=20))  # 17:20: the night shift is next
        await sign_out(pilot)
        await pilot.press(*"wangwu", "enter", *WANG, "enter")
        await wait_until(pilot, lambda: "rostered: 李四" in text(app, "#error-off_roster"))
        focused = app.screen.focused
        assert focused is not None and focused.id == "field-off_roster"
        await pilot.press(*"lisi is ill", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HandoverScreen))
        [kept] = await app.desk.roster.deviations(TODAY, TODAY)
        assert (kept.incoming, kept.rostered, kept.reason) == ("wangwu", ("lisi",), "lisi is ill")


async def test_the_grid_the_day_and_the_header_name_people_by_full_name(seeded_db: Path) -> None:
    """Duty sheets name people (张三), not accounts (zhangsan); an account with no full
    name reads as itself; the swap form says which account is whom."""
    app = roster_app(seeded_db, "zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, "wangwu")
        admin = await app.desk.accounts.authenticate("admin", ACCOUNTS["admin"][0])
        await app.desk.accounts.add(admin, "lisi", "Duty#2026b", "operator")  # no full name
        boss = await app.desk.accounts.find("wangwu")
        assert boss is not None
        await app.desk.roster.save_day(
            boss, plan(day=TODAY, shifts={"白班": ["zhangsan", "lisi"], "夜班": ["wangwu"]})
        )
        app.figures.roster.invalidate()
        await wait_until(pilot, lambda: "排班 张三、lisi" in app.status_text())
        await go_to(pilot, "8", "roster")
        screen = app.screen
        assert isinstance(screen, RosterScreen)
        grid = screen.query_one("#roster-grid", DataTable)
        await wait_until(pilot, lambda: grid.row_count == 30)
        row = [cell.plain for cell in grid.get_row(TODAY.isoformat())]
        assert "张三、lisi" in row and "王五" in row
        assert not any("zhangsan" in cell or "wangwu" in cell for cell in row)
        details = text(app, "#roster-day")
        assert "白班：张三、lisi" in details and "夜班：王五" in details

        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, SwapDialog))
        intro = str(app.screen.query_one(".dialog-intro", Static).content)
        assert "张三 (zhangsan)" in intro and "王五 (wangwu)" in intro

"""The reports section: the month selector, the filters, the tables and the availability
chart over a seeded November (tests.support.incidents.seed_month), and the export of
CSV, Markdown and PDF; the bar chart's drawing on its own."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from textual.widgets import Select

from console.app import DutyDeskApp
from console.screens.reports.screen import ReportsScreen, shift_month
from data.models import AssurancePeriod, Calendar
from data.records.roster.model import plan
from tests.support.console import make_app, wait_until
from tests.support.incidents import (
    audited,
    go_to,
    quiet_app,
    seed_month,
    site_with_asset,
    start,
    text,
)
from tests.support.seed import seeded_with
from widgets.bar_chart import GAP, Bar, BarChart, bar_cells, chart_lines

pytestmark = [pytest.mark.usefixtures("fast_scrypt"), seeded_with(seed_month)]


def test_months_step_across_years() -> None:
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2026-12", 1) == "2027-01"
    assert shift_month("2026-11", -13) == "2025-10"


def test_bars_are_drawn_in_eighths_with_gaps_for_nothing_measured() -> None:
    assert bar_cells(0.5, 8) == "████    "
    assert bar_cells(0.5625, 4) == "██▎ "  # 2.25 cells: two full and a quarter
    assert bar_cells(2.0, 3) == "███"  # clamped
    lines = chart_lines(
        [Bar("外网核心交换机1", 0.5, "50.00%", alert=True), Bar("ups", None, "—")],
        width=40,
        high=1.0,
    )
    label, drawn, caption = lines[0]
    assert label == "外网核心交换机1" and caption == "! 50.00%"
    assert len(drawn) == 40 - 15 - 8 - 2 and drawn.startswith("█" * 7)
    assert lines[1] == ("ups" + " " * 12, GAP * len(drawn), "       —")


async def test_the_month_its_tables_filters_and_chart(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 50)) as pilot:
        await start(pilot)
        await go_to(pilot, "7", "reports")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        assert "2026-11 (11-01 – 11-30) · whole site" in text(app, "#reports-title")
        chart = screen.query_one(BarChart)
        assert [(b.label, b.alert) for b in chart.bars] == [
            ("外网核心交换机1", True),
            ("政务应用服务器", False),
            ("UPS 1", False),
        ]  # worst first: 12 h down (under 99 %: marked), then 1 h, then never
        availability = text(app, "#reports-availability")
        assert availability.index("外网核心交换机1") < availability.index("UPS 1")
        assert "98.11%" in availability and "12.0" in availability
        alarms = text(app, "#reports-alarms")
        assert "10 min" in alarms  # MTTA: the one acknowledged alarm
        assert "6 h 30 min" in alarms  # MTTR: (12 h + 1 h) / 2
        assert "app-1/restart-web" in text(app, "#reports-actions")
        incidents = text(app, "#reports-incidents")
        assert "打印服务时断时续" in incidents and "UPS 告警蜂鸣" in incidents
        assert "核心交换机端口频繁中断" not in incidents  # reported in October

        await pilot.press("left_square_bracket")
        await wait_until(
            pilot, lambda: screen.report is not None and screen.report.label == "2026-10"
        )
        assert "核心交换机端口频繁中断" in text(app, "#reports-incidents")
        await pilot.press("right_square_bracket", "right_square_bracket")  # not past this month
        await wait_until(
            pilot, lambda: screen.report is not None and screen.report.label == "2026-11"
        )
        assert screen.month == "2026-11"

        screen.query_one("#reports-zone", Select).value = "govnet"
        await wait_until(
            pilot, lambda: screen.report is not None and screen.report.scope == {"zone": "govnet"}
        )
        report = screen.report
        assert report is not None and [d.device_id for d in report.devices] == ["ups-1", "app-1"]
        incidents = text(app, "#reports-incidents")  # the phone report names no device
        assert "UPS 告警蜂鸣" in incidents and "打印服务时断时续" not in incidents
        assert "Zone govnet" in text(app, "#reports-title")


async def test_export_writes_csv_markdown_and_pdf_for_a_supervisor(seeded_db: Path) -> None:
    app = quiet_app(seeded_db, language="zh_CN")
    async with app.run_test(size=(140, 50)) as pilot:
        await start(pilot, "wangwu")
        await go_to(pilot, "7", "reports")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        await pilot.press("x")
        assert await audited(pilot, app, "report.export") == ["ok"]
        await wait_until(pilot, lambda: bool(screen.exported))
    names = [path.name for path in screen.exported]
    assert names == ["report-2026-11.csv", "report-2026-11.md", "report-2026-11.pdf"]
    csv_bytes = screen.exported[0].read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and b"\r\n" in csv_bytes  # Excel opens it
    assert "外网核心交换机1" in csv_bytes.decode("utf-8-sig")
    assert "服务统计" in screen.exported[1].read_text("utf-8")
    assert screen.exported[2].read_bytes().startswith(b"%PDF")


def holiday_app(db: Path, language: str) -> DutyDeskApp:
    """The reports' site with an assurance period on 20-22 November."""
    site = site_with_asset(language)
    calendar = Calendar(assurance=[AssurancePeriod.model_validate(HOLIDAY)])
    info = site.site.model_copy(update={"calendar": calendar})
    return make_app(
        db, language=language, start_checks=False, site=site.model_copy(update={"site": info})
    )


HOLIDAY = {"name": "测试保障", "start": "2026-11-20", "end": "2026-11-22", "leader": "韦主任"}


@pytest.mark.parametrize(
    ("language", "roster_words", "assurance_words"),
    [
        ("zh_CN", ("值班排班", "已排班天数 / 天数", "1/30", "张三 值班班次"), ("重大节假日保障",)),
        ("en", ("Duty roster", "Days rostered / days", "1/30", "Shifts of 张三"), ("assurance",)),
    ],
)
async def test_the_month_shows_the_roster_and_its_assurance_periods_as_exported(
    seeded_db: Path, language: str, roster_words: tuple[str, ...], assurance_words: tuple[str, ...]
) -> None:
    """The on-screen report has the roster part of the exported one: days rostered, swaps,
    handovers off the roster, shifts per person (by full name), and each assurance period
    with its shifts short of two-person duty. A report of some devices has none."""
    app = holiday_app(seeded_db, language)
    async with app.run_test(size=(140, 50)) as pilot:
        await start(pilot, "wangwu")
        boss = await app.desk.accounts.find("wangwu")
        assert boss is not None
        both = ["zhangsan", "wangwu"]
        day = plan(day=dt.date(2026, 11, 20), shifts={"白班": both, "夜班": both})
        await app.desk.roster.save_day(boss, day)
        await go_to(pilot, "7", "reports")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        roster = text(app, "#reports-roster")
        for word in roster_words:
            assert word in roster, word
        assert "zhangsan" not in roster
        assurance = text(app, "#reports-assurance")
        for word in (*assurance_words, "测试保障", "2026-11-20 – 2026-11-22", "韦主任"):
            assert word in assurance, word
        # three days in the report, two of them with nobody: four shifts short
        assert re.search(r"韦主任\s+3\s+4", assurance), assurance

        screen.query_one("#reports-zone", Select).value = "govnet"
        await wait_until(
            pilot, lambda: screen.report is not None and screen.report.scope == {"zone": "govnet"}
        )
        assert text(app, "#reports-roster").strip() == ""  # the roster concerns no device
        assert text(app, "#reports-assurance").strip() == ""

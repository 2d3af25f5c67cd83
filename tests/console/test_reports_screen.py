"""The reports section: the month selector, the filters, the tables and the availability
chart over a seeded November (tests.support.incidents.seed_month), and the export of
CSV, Markdown and PDF; the bar chart's drawing on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Select

from console.screens.reports.screen import ReportsScreen, shift_month
from tests.support.console import wait_until
from tests.support.incidents import audited, go_to, quiet_app, seed_month, start, text
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

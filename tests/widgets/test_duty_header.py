"""The header at 80 columns: the counts and the shift stay; the site name, the labels and
the seconds give way first."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from data import i18n
from widgets.duty_header import DutyHeader, WatchFigure

COUNTS = "✖2 ▲1 ?1 ✓1 已确认 ✔37"
STATUS = COUNTS + " 机房内 3 人 故障 2 ⚠1 临近响应时限 巡检待做 1/2"


class HeaderApp(App[None]):
    def compose(self) -> ComposeResult:
        header = DutyHeader()
        header.site_name = "南宁市电子政务外网中心机房"
        header.now = dt.datetime(2026, 11, 27, 19, 30, 5)
        header.operator = "张三丰"
        header.shift = "夜班"
        header.status = STATUS
        yield header


@pytest.mark.parametrize(("width", "kept"), [(80, COUNTS), (100, STATUS)])
async def test_the_header_keeps_counts_and_shift_at_narrow_widths(width: int, kept: str) -> None:
    """At 80 columns the rest of the status (room, incidents, inspections) is cut last."""
    previous = i18n.language()
    i18n.set_language("zh_CN")
    try:
        app = HeaderApp()
        async with app.run_test(size=(width, 3)) as pilot:
            await pilot.pause()
            shown = app.query_one(DutyHeader).render().plain
    finally:
        i18n.set_language(previous)
    assert cell_len(shown) <= width, shown
    assert kept in shown and "夜班" in shown and "张三丰" in shown and "19:30" in shown


async def test_a_wide_header_says_everything() -> None:
    app = HeaderApp()
    async with app.run_test(size=(200, 3)) as pilot:
        await pilot.pause()
        shown = app.query_one(DutyHeader).render().plain
    assert "南宁市电子政务外网中心机房" in shown and "2026-11-27 19:30:05" in shown


FULL_STATUS = STATUS + " 排班 张三、李四 带班 韦主任 【国庆节保障】 待回访 2 保修到期 1"
WATCH = WatchFigure("serve", "jf-monitor-01.govnet.local", 1)
NO_WATCH = "无人监视：监视进程心跳已停 12 秒"


class WatchedHeaderApp(App[None]):
    """A full header on a console attached to another process's watch."""

    def __init__(
        self, alert: str = "", status: str = FULL_STATUS, watch: WatchFigure = WATCH
    ) -> None:
        super().__init__()
        self.alert, self.status, self.watch = alert, status, watch

    def compose(self) -> ComposeResult:
        header = DutyHeader()
        header.site_name = "南宁市电子政务外网中心机房"
        header.now = dt.datetime(2026, 11, 27, 19, 30, 5)
        header.operator = "张三丰"
        header.shift = "夜班"
        header.status = self.status
        header.watched_by = None if self.alert else self.watch
        header.alert = self.alert
        yield header


async def shown_at(app: App[None], width: int) -> str:
    previous = i18n.language()
    i18n.set_language("zh_CN")
    try:
        async with app.run_test(size=(width, 3)) as pilot:
            await pilot.pause()
            return app.query_one(DutyHeader).render().plain
    finally:
        i18n.set_language(previous)


async def test_a_full_header_at_80_columns_still_shows_the_watch_and_its_heartbeat() -> None:
    """The holder is cut to its host and the status's end gives way, not the watch."""
    shown = await shown_at(WatchedHeaderApp(), 80)
    assert cell_len(shown) <= 80, shown
    assert shown.rstrip().endswith("监视 jf-monitor-01 1秒"), shown
    assert COUNTS in shown and "夜班" in shown and "19:30" in shown


async def test_the_demo_header_at_160_columns_shows_everything() -> None:
    """The demo's header with a serve watching: every part, the watch's holder in full;
    only the date, the seconds and the labels gave way."""
    status = "✔22 机房内 1 人 故障 2 排班 张三 带班 黄志明 巡检待做 1/2 保修到期 1"
    app = WatchedHeaderApp(status=status, watch=WatchFigure("serve", "jf-monitor-01", 2))
    shown = await shown_at(app, 160)
    assert cell_len(shown) <= 160, shown
    for part in ("南宁市电子政务外网中心机房", "19:30", "张三丰", "夜班", status):
        assert part in shown, part
    assert shown.endswith(" · 监视 serve@jf-monitor-01 2秒"), shown


async def test_nobody_watches_is_never_cut() -> None:
    shown = await shown_at(WatchedHeaderApp(alert=NO_WATCH), 80)
    assert cell_len(shown) <= 80, shown
    assert shown.startswith(f" {NO_WATCH} "), shown
    assert "✖2" in shown  # the counts' start still follows it

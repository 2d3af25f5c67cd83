"""The header at 80 columns: the counts and the shift stay; the site name, the labels and
the seconds give way first."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from data import i18n
from widgets.duty_header import DutyHeader

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

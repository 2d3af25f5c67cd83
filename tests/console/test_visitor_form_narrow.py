"""The visitor entry form on an 80x24 terminal: the dialog fits the screen and every item
row keeps its 数量 (count) box on screen."""

from __future__ import annotations

import datetime as dt

from textual.app import App
from textual.widgets import Input

from console.screens.visitors.dialogs import VisitorEntryDialog
from data import i18n


async def enter(_: object) -> int:
    return 0


class FormApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(
            VisitorEntryDialog([("张三 (zhangsan)", "zhangsan")], dt.date(2026, 11, 27), enter)
        )


async def test_the_count_column_is_on_an_80_column_screen() -> None:
    previous = i18n.language()
    i18n.set_language("zh_CN")
    try:
        app = FormApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            count = app.screen.query_one("#row1-count", Input)
            region = count.region
            assert region.width >= 6 and region.right <= 80, region
            assert count.placeholder == "数量"
    finally:
        i18n.set_language(previous)

"""The alarm list at 80 columns keeps 发生时间, 确认人 and 确认至 on screen (the message
moves to the end), and goes back to the wide order on a wide terminal."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from data import i18n
from widgets.alarm_list import AlarmList, AlarmRow

ROWS = [
    AlarmRow(
        1,
        "core-sw-1",
        "外网核心交换机1",
        "ping",
        "CRITICAL",
        "TCP 127.0.0.1:9 refused",
        "11-27 09:20",
        "40m",
        "3/3",
        "",
        "",
        False,
        False,
        0,
        "",
    ),
    AlarmRow(
        2,
        "ups-1",
        "UPS 1",
        "battery",
        "WARNING",
        "flapping (42% state changes)",
        "11-26 07:00",
        "1d3h",
        "3/3",
        "wangwu",
        "恢复为止",
        True,
        True,
        0,
        "",
    ),
]


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield AlarmList()

    def on_mount(self) -> None:
        self.query_one(AlarmList).set_rows(ROWS)


def visible_columns(table: AlarmList, width: int) -> list[str]:
    """The columns that end within ``width`` cells."""
    shown, right = [], 0
    for key, column in table.columns.items():
        right += column.get_render_width(table)
        if right <= width:
            shown.append(str(key.value))
    return shown


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_when_and_who_stay_on_an_80_column_screen(language: str) -> None:
    previous = i18n.language()
    i18n.set_language(language)
    try:
        app = ListApp()
        async with app.run_test(size=(80, 10)) as pilot:
            await pilot.pause()
            table = app.query_one(AlarmList)
            assert table.row_count == 2
            shown = visible_columns(table, 80)
            assert {"severity", "device", "since", "ack_by", "until"} <= set(shown), shown
            await pilot.resize_terminal(160, 10)
            await pilot.pause()
            assert list(table.columns)[5].value == "message" and table.row_count == 2
    finally:
        i18n.set_language(previous)

"""The section bar at 80 columns: every key shows, and the current section its name."""

from __future__ import annotations

from textual.app import App, ComposeResult

from widgets.nav_bar import NavBar

SECTIONS = [
    ("wall", "1", "Status wall"),
    ("alarms", "2", "Alarms"),
    ("handover", "3", "Handover"),
    ("visitors", "4", "Access & visitors"),
    ("inspections", "5", "Inspections"),
    ("incidents", "6", "Incidents"),
    ("reports", "7", "Reports"),
]


class BarApp(App[None]):
    def compose(self) -> ComposeResult:
        bar = NavBar(SECTIONS)
        bar.current = "reports"
        yield bar


async def test_every_key_and_the_current_name_fit_80_columns() -> None:
    app = BarApp()
    async with app.run_test(size=(80, 3)) as pilot:
        await pilot.pause()
        shown = app.query_one(NavBar).render()
    assert shown.cell_len <= 80, shown.plain
    assert all(f" {key} " in shown.plain for _, key, _ in SECTIONS) and "Reports" in shown.plain


async def test_a_wide_bar_names_every_section() -> None:
    app = BarApp()
    async with app.run_test(size=(200, 3)) as pilot:
        await pilot.pause()
        shown = app.query_one(NavBar).render().plain
    assert all(label in shown for _, _, label in SECTIONS)

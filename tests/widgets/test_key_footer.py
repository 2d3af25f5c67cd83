"""At 80 columns every key shows: the footer wraps between keys instead of cutting them
off (Textual's Footer keeps one line and cut half the wall's keys)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from widgets.key_footer import KeyFooter

KEYS = [
    ("enter", "Open device"),
    ("slash", "Filter"),
    ("escape", "Clear filter"),
    ("p", "Problems first"),
    ("a", "Acknowledge"),
    ("x", "Actions"),
    ("i", "Incident"),
    ("ctrl+l", "Lock"),
    ("ctrl+w", "Quit"),
]


class WallLike(Screen[None]):
    BINDINGS = [Binding(key, f"noop('{key}')", text) for key, text in KEYS]
    BINDINGS.append(Binding("h", "noop('h')", "Hidden", show=False))

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield KeyFooter()

    def action_noop(self, key: str) -> None:
        pass


class KeysApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(WallLike())


async def test_every_key_shows_on_two_lines_at_80_columns() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        lines = [line.plain for line in footer.lines(80)]
        text = "\n".join(lines)
        assert all(description in text for _, description in KEYS), text
        assert "Hidden" not in text and "^p" in text  # the palette's key, last
        assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
        assert footer.size.height == 2  # laid out as tall as its lines


async def test_one_line_when_the_keys_fit() -> None:
    app = KeysApp()
    async with app.run_test(size=(200, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(KeyFooter).size.height == 1

"""The status wall: every device as a tile, a filter, a ticker of the latest transitions.

The tiles come from the App's LiveState; the App tells the wall which devices changed
and the wall redraws only those tiles.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from console.bindings import translate_bindings
from console.context import LiveView
from console.screens.acknowledge import acknowledge_device
from console.screens.assets.screen import show_asset
from console.screens.device.action import open_actions
from console.screens.device.screen import DeviceScreen
from console.screens.incidents.hooks import open_incident
from console.screens.section import SectionScreen
from data.i18n import t
from widgets.tile_model import WallFilter
from widgets.tile_wall import TileWall

STATE_WORDS = {
    "crit": "CRITICAL",
    "warn": "WARNING",
    "unkn": "UNKNOWN",
    "ok": "OK",
    "unreach": "UNREACHABLE",
}


class WallScreen(SectionScreen, LiveView):
    SECTION = "wall"
    BINDINGS = [
        Binding("slash", "filter", "wall.filter", id="wall.filter"),
        Binding("escape", "clear_filter", "wall.clear_filter", id="wall.clear_filter"),
        Binding("p", "problems", "wall.problems_first", id="wall.problems"),
        Binding("a", "ack", "wall.ack", id="wall.ack"),
        Binding("x", "actions", "wall.actions", id="wall.actions"),
        Binding("i", "incident", "wall.incident", id="wall.incident"),
        Binding("A", "asset", "wall.asset", id="wall.asset", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder=t("wall.filter_hint"), id="wall-filter", classes="hidden")
        # Grouped by zone and room: a group per rack would spend a header line on one or
        # two tiles; the rack is on the device screen.
        wall = TileWall(id="wall", group_by="room")
        translate_bindings(wall)
        yield wall
        yield Static("", id="wall-ticker")

    def on_mount(self) -> None:
        self.refresh_live(None)
        self.query_one(TileWall).focus()

    def on_screen_resume(self) -> None:
        # Changes that arrived while another section was shown were not drawn here.
        super().on_screen_resume()
        self.refresh_live(None)

    @property
    def wall(self) -> TileWall:
        return self.query_one(TileWall)

    def refresh_live(self, changed: set[str] | None) -> None:
        """Redraw the tiles of ``changed`` devices (None: all) and the ticker."""
        live = self.ctx.live_state
        if live is None:
            return
        now = self.ctx.desk.clock()
        if changed is None:
            self.wall.set_tiles(live.tiles(now))
        elif changed:
            self.wall.update_tiles(live.tile(device_id, now) for device_id in changed)
        ticker = Text()
        tz = self.ctx.desk.site.site.tz
        for line in list(live.ticker)[:3]:
            style = "bold" if line.hard else "dim"
            ticker.append(
                f"{line.at.astimezone(tz):%H:%M:%S} {line.device_id}/{line.check_id} "
                f"{line.from_state}→{line.to_state} {line.message[:60]}\n",
                style=style,
            )
        self.query_one("#wall-ticker", Static).update(ticker)

    def action_filter(self) -> None:
        box = self.query_one("#wall-filter", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Changed, "#wall-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.wall.filter = parse_filter(event.value)

    @on(Input.Submitted, "#wall-filter")
    def _filter_done(self) -> None:
        self.wall.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#wall-filter", Input)
        box.value = ""
        box.add_class("hidden")
        self.wall.filter = WallFilter()
        self.wall.focus()

    def action_problems(self) -> None:
        self.wall.problems_first = not self.wall.problems_first

    @on(TileWall.Selected)
    def _open(self, event: TileWall.Selected) -> None:
        self.app.push_screen(DeviceScreen(self.ctx, event.device_id))

    def action_ack(self) -> None:
        if self.wall.cursor_id:
            acknowledge_device(self.ctx, self.app, self.wall.cursor_id)

    def action_actions(self) -> None:
        if self.wall.cursor_id:
            open_actions(self.ctx, self.app, self.wall.cursor_id)

    def action_incident(self) -> None:
        if self.wall.cursor_id:
            open_incident(self.ctx, self.app, self.wall.cursor_id)

    async def action_asset(self) -> None:
        """The selected device in the asset register (which has no digit of its own)."""
        if self.wall.cursor_id:
            await show_asset(self.app, self.wall.cursor_id)


def parse_filter(text: str) -> WallFilter:
    """``crit warn 交换机`` style: state words and ``zone:ID`` / ``kind:K`` terms, the rest
    is matched against names, ids and addresses."""
    states: set[str] = set()
    kinds: set[str] = set()
    zone: str | None = None
    words: list[str] = []
    for word in text.split():
        lower = word.lower()
        if lower in STATE_WORDS:
            states.add(STATE_WORDS[lower])
        elif lower.startswith("zone:"):
            zone = word[5:] or None
        elif lower.startswith("kind:"):
            kinds.add(lower[5:])
        else:
            words.append(word)
    return WallFilter(" ".join(words), frozenset(states), zone, frozenset(kinds))

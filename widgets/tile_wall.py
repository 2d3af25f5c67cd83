"""The status wall: every device as a small tile, in ONE widget that draws lines.

A widget per tile costs in proportion to all tiles on every update (bench/wall.py measures
both); this one renders only the visible lines, caches each tile's strips and, when tiles
change, drops only their strips and repaints only their cells. It takes plain TileData;
the app feeds it and listens for ``TileWall.Selected``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from data.i18n import t
from widgets.tile_model import (
    GAP,
    TILE_HEIGHT,
    GroupBy,
    HeaderLine,
    Move,
    TileData,
    WallFilter,
    WallLayout,
    arrange,
    arrangement_key,
    columns_for,
    keep_cursor,
    layout_groups,
    neighbour,
)
from widgets.tile_render import (
    LOOKS,
    StripCache,
    header_text,
    join_row,
    look,
    render_text_line,
)


class TileWall(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {f"tile-wall--{name}" for name in (*LOOKS, "cursor", "header")}
    DEFAULT_CSS = """
    TileWall {
        scrollbar-gutter: stable;  /* a scrollbar appearing must not reflow the grid */
        background: $surface;
    }
    TileWall > .tile-wall--ok { background: $success 25%; color: $foreground; }
    TileWall > .tile-wall--warning { background: $warning 55%; color: $text; text-style: bold; }
    TileWall > .tile-wall--critical { background: $error 80%; color: $text; text-style: bold; }
    TileWall > .tile-wall--unknown { background: $secondary 50%; color: $text; }
    TileWall > .tile-wall--unreachable { background: $panel; color: $text-muted; }
    TileWall > .tile-wall--stale { background: $panel; color: $text-muted; text-style: italic; }
    TileWall > .tile-wall--maintenance { background: $primary-muted; color: $text-muted; }
    TileWall > .tile-wall--acked { background: $warning-muted; color: $text-warning; }
    TileWall > .tile-wall--cursor { text-style: reverse bold; }
    TileWall > .tile-wall--header { background: $surface; color: $text-accent; text-style: bold; }
    """
    BINDINGS = [
        Binding("left,h", "move('left')", "wall.move_left", id="wall.left", show=False),
        Binding("right,l", "move('right')", "wall.move_right", id="wall.right", show=False),
        Binding("up,k", "move('up')", "wall.move_up", id="wall.up", show=False),
        Binding("down,j", "move('down')", "wall.move_down", id="wall.down", show=False),
        Binding("home,g", "move('first')", "wall.move_first", id="wall.first", show=False),
        Binding("end,G", "move('last')", "wall.move_last", id="wall.last", show=False),
        Binding("pageup", "move('page_up')", "wall.page_up", id="wall.page_up", show=False),
        Binding("pagedown", "move('page_down')", "wall.page_down", id="wall.page_down", show=False),
        Binding("enter", "select", "wall.open", id="wall.open"),
    ]

    filter: var[WallFilter] = var(WallFilter(), init=False)
    """Which tiles show; setting it re-arranges the wall."""
    problems_first: var[bool] = var(False, init=False)
    """One flat group, most urgent first, instead of zone / room / rack groups."""

    @dataclass
    class Selected(Message):
        """Enter (or a double click) on a tile: open that device."""

        device_id: str

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another tile."""

        device_id: str

    def __init__(
        self,
        tiles: Iterable[TileData] = (),
        *,
        group_by: GroupBy = "rack",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._group_by: GroupBy = group_by
        self._tiles: dict[str, TileData] = {}  # insertion order is site order
        self._layout: WallLayout | None = None
        self._groups = arrange([])
        self._cursor: str | None = None
        # Scrolling and cursor moves reuse rendered tiles; a changed tile is rendered again.
        self._cache = StripCache()
        self._styles: dict[str, Style] = {}
        self.set_tiles(tiles)

    # -- feeding data -------------------------------------------------------------------

    def set_tiles(self, tiles: Iterable[TileData]) -> None:
        """Replace every tile (site reloaded); order given is the site order."""
        self._tiles = {tile.device_id: tile for tile in tiles}
        self._cache.clear()
        self._cache.fit_to(len(self._tiles))
        self._rebuild()

    def update_tiles(self, changed: Iterable[TileData]) -> None:
        """Take new values for some tiles; repaint only their cells unless the arrangement
        (filter, grouping or problems-first order) changes."""
        wall_filter, problems_first = self.filter, self.problems_first
        dirty: list[str | None] = []
        rearrange = False
        for tile in changed:
            old = self._tiles.get(tile.device_id)
            if old == tile:
                continue
            self._tiles[tile.device_id] = tile
            self._cache.forget(tile.device_id)
            dirty.append(tile.device_id)
            rearrange = rearrange or (
                old is None
                or arrangement_key(old, wall_filter, problems_first)
                != arrangement_key(tile, wall_filter, problems_first)
            )
        if rearrange:
            self._rebuild()
        else:
            self._repaint(dirty, with_headers=True)

    @property
    def layout_info(self) -> WallLayout | None:
        """The current grid (read only): tile positions for tests and the app."""
        return self._layout

    @property
    def cursor_id(self) -> str | None:
        return self._cursor

    @cursor_id.setter
    def cursor_id(self, device_id: str | None) -> None:
        if device_id != self._cursor and (self._layout is None or device_id in self._layout.places):
            self._move_cursor_to(device_id)

    # -- arrangement ----------------------------------------------------------------------

    def watch_filter(self) -> None:
        self._rebuild()

    watch_problems_first = watch_filter

    def _rebuild(self) -> None:
        tiles = list(self._tiles.values())
        self._groups = arrange(
            tiles, self.filter, problems_first=self.problems_first, group_by=self._group_by
        )
        self._relayout()

    def _relayout(self) -> None:
        width = self.scrollable_content_region.width if self.is_mounted else 0
        self._cache.headers.clear()
        if width <= 0:
            self._layout = None
            return
        old, self._layout = self._layout, (layout := layout_groups(self._groups, width))
        self._cursor = keep_cursor(old, layout, self._cursor)
        self.virtual_size = Size(layout.width, max(layout.height, 1))
        self.refresh()

    def on_mount(self) -> None:
        self._relayout()

    def on_resize(self, event: events.Resize) -> None:
        width = self.scrollable_content_region.width
        if self._layout is None or self._layout.columns != columns_for(width):
            self._relayout()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # The theme or CSS changed: every cached colour is stale.
        self._styles.clear()
        self._cache.clear()

    # -- drawing ----------------------------------------------------------------------------

    def _style(self, *names: str) -> Style:
        """A component style (cached: Textual resolves it anew after every refresh); with no
        names, the wall's own style for gaps and padding."""
        key = " ".join(names)
        if key not in self._styles:
            classes = [f"tile-wall--{name}" for name in names]
            self._styles[key] = (
                self.get_component_rich_style(*classes) if names else self.rich_style
            )
        return self._styles[key]

    def _tile_style(self, tile: TileData, selected: bool) -> Style:
        return self._style(look(tile), "cursor") if selected else self._style(look(tile))

    @property
    def strip_misses(self) -> int:
        """How many tiles were rendered rather than taken from the cache."""
        return self._cache.misses

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width, base = self.size.width, self._style()
        layout = self._layout
        line_y = y + scroll_y
        if layout is None or not layout.lines:
            text = t("wall.empty") if line_y == 0 and layout is not None else ""
            return render_text_line(text, width, self._style("header"))
        if line_y >= layout.height:
            return Strip.blank(width, base)
        line = layout.lines[line_y]
        if isinstance(line, HeaderLine):
            strip = self._cache.headers.get(line.group)
            if strip is None:
                group = self._groups[line.group]
                text = header_text(group, (self._tiles[d] for d in group.device_ids))
                strip = render_text_line(text, layout.width, self._style("header"))
                self._cache.headers[line.group] = strip
        else:
            selected = self._cursor
            tiles = (
                self._cache.tile(self._tiles[d], d == selected, self._tile_style)[line.sub]
                for d in layout.rows[line.row]
            )
            strip = join_row(tiles, Strip.blank(GAP, base))
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _repaint(self, device_ids: list[str | None], with_headers: bool = False) -> None:
        """Repaint these tiles (and their header lines). Off-screen tiles cost nothing: they
        are drawn fresh when scrolled to."""
        if self._layout is None:
            return
        boxes, groups = self._layout.repaint_boxes(device_ids, with_headers)
        for group in groups:
            self._cache.headers.pop(group, None)
        sx, sy = self.scroll_offset
        visible = self.scrollable_content_region.size.region
        regions = [
            r for x, y, w, h in boxes if (r := Region(x - sx, y - sy, w, h)).overlaps(visible)
        ]
        if regions:
            self.refresh(*regions)

    # -- cursor -----------------------------------------------------------------------------

    def _move_cursor_to(self, device_id: str | None) -> None:
        old, self._cursor = self._cursor, device_id
        self._repaint([old, device_id])
        layout = self._layout
        if device_id is None or layout is None or (box := layout.reveal_box(device_id)) is None:
            return
        self.scroll_to_region(Region(*box), animate=False, force=True)
        self.post_message(self.Highlighted(device_id))

    def action_move(self, move: Move) -> None:
        if self._layout is None or self._cursor is None:
            return
        page_rows = max(1, self.scrollable_content_region.height // TILE_HEIGHT - 1)
        target = neighbour(self._layout, self._cursor, move, page_rows)
        if target != self._cursor:
            self._move_cursor_to(target)

    def action_select(self) -> None:
        if self._cursor is not None:
            self.post_message(self.Selected(self._cursor))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if self._layout is None or offset is None:
            return
        sx, sy = self.scroll_offset
        device_id = self._layout.tile_at(offset.x + sx, offset.y + sy)
        if device_id is not None:
            self._move_cursor_to(device_id)
            if event.chain >= 2:
                self.post_message(self.Selected(device_id))

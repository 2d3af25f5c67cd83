"""How one tile and one group header look: fixed-width text lines, then Strips.

Colour comes from the wall's component classes (theme variables in its CSS). Every state
and flag ALSO has its own glyph and label, so the wall reads on a monochrome terminal and
for colour-blind operators: a stale, unreachable, maintenance or acknowledged tile never
looks like an unhandled problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from data.i18n import language, t
from widgets.tile_model import PROBLEMS_GROUP, TILE_WIDTH, Group, TileData

STATE_GLYPH = {"OK": "✔", "WARNING": "▲", "CRITICAL": "✖", "UNKNOWN": "?", "UNREACHABLE": "⇣"}
# ◷ (a clock face) rather than ⌛: emoji-presentation glyphs are one cell in some terminals
# and two in others, which would break the grid.
FLAG_GLYPHS = (("stale", "◷"), ("maintenance", "⚒"), ("acknowledged", "✓"), ("flapping", "↯"))
KIND_GLYPH = {
    "switch": "⇄",
    "router": "⊕",
    "firewall": "▦",
    "ids": "◉",
    "server": "▤",
    "storage": "▥",
    "ups": "ϟ",
    "pdu": "⌁",
    "aircon": "❄",
    "sensor": "◔",
    "service": "⚙",
    "access": "⊟",
}
CURSOR_MARK = "▸"  # the cursor shows without colour too (and in reverse video via CSS)
LOOKS = ("ok", "warning", "critical", "unknown", "unreachable", "stale", "maintenance", "acked")


@cache
def _state_labels(lang: str) -> dict[str, str]:
    return {
        "OK": t("wall.state.ok"),
        "WARNING": t("wall.state.warning"),
        "CRITICAL": t("wall.state.critical"),
        "UNKNOWN": t("wall.state.unknown"),
        "UNREACHABLE": t("wall.state.unreachable"),
    }


def state_label(state: str) -> str:
    return _state_labels(language()).get(state, state)


def look(tile: TileData) -> str:
    """Which look (component class suffix) a tile gets; handled states win over raw state."""
    if tile.maintenance:
        return "maintenance"
    if tile.state == "UNREACHABLE":
        return "unreachable"
    if tile.acknowledged and tile.state != "OK":
        return "acked"
    if tile.stale:
        return "stale"
    return tile.state.lower() if tile.state in STATE_GLYPH else "unknown"


def fit(text: str, width: int) -> str:
    """``text`` padded or cut to exactly ``width`` cells (Chinese is two cells a character)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    kept, used = [], 0
    for char in text:  # cut before a wide character that would straddle the edge
        used += cell_len(char)
        if used > width - 1:
            break
        kept.append(char)
    return set_cell_size("".join(kept) + "…", width)


def age_text(age_s: float | None) -> str:
    """Coarse on purpose: the label changes rarely, so the tile is rarely redrawn."""
    if age_s is None:
        return "—"
    seconds = max(0, int(age_s))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def status_text(tile: TileData) -> str:
    """``✖ CRIT ✓⌛``: state glyph and label, then one glyph per flag."""
    status = f"{STATE_GLYPH.get(tile.state, '?')} {state_label(tile.state)}"
    flags = "".join(glyph for name, glyph in FLAG_GLYPHS if getattr(tile, name))
    return f"{status} {flags}" if flags else status


def tile_lines(tile: TileData, selected: bool = False) -> tuple[str, str, str]:
    """The three lines of a tile, each exactly TILE_WIDTH cells, one cell of padding a side."""
    inner = TILE_WIDTH - 2
    name = f"{KIND_GLYPH.get(tile.kind, '•')} {tile.name}"
    age = age_text(tile.age_s)
    status = fit(status_text(tile), inner - cell_len(age) - 1) + " " + age
    return (
        (CURSOR_MARK if selected else " ") + fit(name, inner) + " ",
        " " + fit(tile.key_value, inner) + " ",
        " " + status + " ",
    )


def render_tile(tile: TileData, selected: bool, style: Style) -> tuple[Strip, ...]:
    return tuple(Strip([Segment(text, style)], TILE_WIDTH) for text in tile_lines(tile, selected))


def header_text(group: Group, tiles: Iterable[TileData]) -> str:
    """``▾ 电子政务外网 › 机房 A › 机柜 A03 · 12 台 ✖2 ▲1``."""
    if group.key == PROBLEMS_GROUP:
        title = t("wall.problems_first")
    else:
        zone, *rest = group.title
        parts = [zone]
        if len(rest) > 0 and rest[0]:
            parts.append(t("wall.room", room=rest[0]))
        if len(rest) > 1 and rest[1]:
            parts.append(t("wall.rack", rack=rest[1]))
        title = " › ".join(parts)
    counts = Counter(tile.state for tile in tiles)
    problems = " ".join(
        f"{STATE_GLYPH[state]}{counts[state]}"
        for state in ("CRITICAL", "WARNING", "UNKNOWN", "UNREACHABLE")
        if counts[state]
    )
    count = t("wall.devices", count=counts.total())
    return f" ▾ {title} · {count} {problems}".rstrip()


def render_text_line(text: str, width: int, style: Style) -> Strip:
    return Strip([Segment(fit(text, width), style)], width)


def join_row(strips: Iterable[Strip], gap: Strip) -> Strip:
    """One screen line of a tile row: the tiles' strips with a gap between them."""
    parts: list[Strip] = []
    for strip in strips:
        if parts:
            parts.append(gap)
        parts.append(strip)
    return Strip.join(parts)


class StripCache:
    """Each tile's rendered lines, keyed by (device id, tile width, selected), and each group
    header's line. An entry goes only when its tile changes, or the theme does."""

    def __init__(self) -> None:
        self._tiles: LRUCache[tuple[str, int, bool], tuple[Strip, ...]] = LRUCache(4096)
        self.headers: dict[int, Strip] = {}
        self.misses = 0  # tiles rendered rather than found: tests and bench/ read it

    def fit_to(self, tile_count: int) -> None:
        self._tiles.grow(2 * tile_count)  # room for both cursor variants of every tile

    def tile(
        self, tile: TileData, selected: bool, style_of: Callable[[TileData, bool], Style]
    ) -> tuple[Strip, ...]:
        key = (tile.device_id, TILE_WIDTH, selected)
        strips = self._tiles.get(key)
        if strips is None:
            strips = render_tile(tile, selected, style_of(tile, selected))
            self._tiles[key] = strips
            self.misses += 1
        return strips

    def forget(self, device_id: str) -> None:
        self._tiles.discard((device_id, TILE_WIDTH, False))
        self._tiles.discard((device_id, TILE_WIDTH, True))

    def clear(self) -> None:
        self._tiles.clear()
        self.headers.clear()

"""The status wall's data, filtering, ordering, grid layout and cursor moves.

Pure functions over plain values: no Textual, no I/O. ``widgets/tile_wall.py`` draws what
these compute, and the tests exercise them without an app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from typing import Literal

STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN", "UNREACHABLE")
TILE_WIDTH = 24  # cells, padding included
TILE_HEIGHT = 3  # name, key value, state + age
GAP = 1  # blank cells between tiles in a row
# Most urgent first; used inside a problems-first tier.
SEVERITY = {"CRITICAL": 0, "WARNING": 1, "UNKNOWN": 2, "UNREACHABLE": 3, "OK": 4}

GroupBy = Literal["zone", "room", "rack"]
Move = Literal["left", "right", "up", "down", "first", "last", "page_up", "page_down"]
PROBLEMS_GROUP = ("problems",)


@dataclass(frozen=True, slots=True)
class TileData:
    """What one tile shows: a device's worst state and the one reading that matters."""

    device_id: str
    name: str
    kind: str
    zone_id: str
    zone_name: str
    room: str
    rack: str
    state: str
    key_value: str = ""
    age_s: float | None = None  # seconds in its current state; None when not known
    stale: bool = False
    maintenance: bool = False
    acknowledged: bool = False
    flapping: bool = False
    host: str = ""


@dataclass(frozen=True, slots=True)
class WallFilter:
    """Which tiles show. Empty fields match everything; ``zone`` is a zone id."""

    text: str = ""
    states: frozenset[str] = frozenset()
    zone: str | None = None
    kinds: frozenset[str] = frozenset()

    def matches(self, tile: TileData) -> bool:
        if self.states and tile.state not in self.states:
            return False
        if self.zone is not None and tile.zone_id != self.zone:
            return False
        if self.kinds and tile.kind not in self.kinds:
            return False
        needle = self.text.strip().casefold()
        if not needle:
            return True
        # casefold leaves Chinese as is, so 核心 finds 外网核心交换机1.
        return any(needle in s.casefold() for s in (tile.name, tile.device_id, tile.host))


def problem_rank(tile: TileData) -> int:
    """0 unhandled CRITICAL, 1 other unhandled problems (stale counts: never "still OK"),
    2 handled or out of our hands (acked, maintenance, unreachable), 3 OK."""
    handled = tile.maintenance or (tile.acknowledged and tile.state != "OK")
    if handled or tile.state == "UNREACHABLE":
        return 2
    if tile.state == "CRITICAL":
        return 0
    if tile.state in ("WARNING", "UNKNOWN") or tile.stale:
        return 1
    return 3


@lru_cache(maxsize=4096)  # a site has a few dozen rooms and racks, sorted on every change
def natural_key(text: str) -> tuple[str | int, ...]:
    """Natural order, "A3" before "A10" (str and int parts alternate, so comparing is safe)."""
    parts = re.split(r"(\d+)", text)
    return tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts))


def arrangement_key(
    tile: TileData, wall_filter: WallFilter, problems_first: bool
) -> tuple[object, ...] | None:
    """Everything that decides whether and where a tile sits; None when it is filtered out.

    If a tile's key is unchanged by an update, only its own cells need redrawing.
    """
    if not wall_filter.matches(tile):
        return None
    where = (tile.zone_id, tile.zone_name, tile.room, tile.rack)
    if problems_first:
        return (problem_rank(tile), SEVERITY.get(tile.state, 9), *where)
    return where


@dataclass(frozen=True, slots=True)
class Group:
    key: tuple[str, ...]  # (zone_id, room, rack) cut to the grouping depth, or PROBLEMS_GROUP
    title: tuple[str, ...]  # zone name, room, rack as shown in the header
    device_ids: tuple[str, ...]


def arrange(
    tiles: Sequence[TileData],
    wall_filter: WallFilter = WallFilter(),
    *,
    problems_first: bool = False,
    group_by: GroupBy = "rack",
) -> list[Group]:
    """Filter and order ``tiles`` (given in site.yaml order) into header groups.

    Zones keep their site order; rooms and racks sort naturally inside a zone; devices in a
    rack keep site order. The problems-first view is one flat group, most urgent first.
    """
    zone_rank: dict[str, int] = {}
    for tile in tiles:
        zone_rank.setdefault(tile.zone_id, len(zone_rank))
    shown = [(i, t) for i, t in enumerate(tiles) if wall_filter.matches(t)]

    def place(item: tuple[int, TileData]) -> tuple[object, ...]:
        i, t = item
        return (zone_rank[t.zone_id], natural_key(t.room), natural_key(t.rack), i)

    if problems_first:
        shown.sort(key=lambda it: (problem_rank(it[1]), SEVERITY.get(it[1].state, 9), place(it)))
        ids = tuple(t.device_id for _, t in shown)
        return [Group(PROBLEMS_GROUP, (), ids)] if ids else []
    shown.sort(key=place)
    depth = {"zone": 1, "room": 2, "rack": 3}[group_by]
    groups: list[Group] = []
    for key, run in groupby(shown, key=lambda it: (it[1].zone_id, it[1].room, it[1].rack)[:depth]):
        members = [tile for _, tile in run]
        first = members[0]
        title = (first.zone_name, first.room, first.rack)[:depth]
        groups.append(Group(key, title, tuple(tile.device_id for tile in members)))
    return groups


@dataclass(frozen=True, slots=True)
class HeaderLine:
    group: int


@dataclass(frozen=True, slots=True)
class TileLine:
    row: int
    sub: int  # 0 .. TILE_HEIGHT - 1: which line of the tiles in that row


@dataclass
class WallLayout:
    """Where everything sits in virtual (scrollable) coordinates."""

    columns: int
    width: int
    lines: list[HeaderLine | TileLine] = field(default_factory=list)
    rows: list[tuple[str, ...]] = field(default_factory=list)  # device ids per tile row
    row_top: list[int] = field(default_factory=list)  # y of each row's first line
    row_group: list[int] = field(default_factory=list)
    row_start: list[int] = field(default_factory=list)  # reading-order index of a row's first
    group_top: list[int] = field(default_factory=list)  # y of each group's header
    places: dict[str, tuple[int, int]] = field(default_factory=dict)  # id -> (row, col)
    order: list[str] = field(default_factory=list)  # ids in reading order

    @property
    def height(self) -> int:
        return len(self.lines)

    def tile_box(self, device_id: str) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) of a tile, or None when it is not on the wall."""
        place = self.places.get(device_id)
        if place is None:
            return None
        row, col = place
        return col * (TILE_WIDTH + GAP), self.row_top[row], TILE_WIDTH, TILE_HEIGHT

    def index_of(self, device_id: str) -> int:
        row, col = self.places[device_id]
        return self.row_start[row] + col

    def group_of(self, device_id: str) -> int:
        return self.row_group[self.places[device_id][0]]

    def reveal_box(self, device_id: str) -> tuple[int, int, int, int] | None:
        """The box to scroll into view for a tile: with its group header when the tile is in
        the group's first row, so the operator sees which rack it is in."""
        box = self.tile_box(device_id)
        if box is None:
            return None
        x, y, w, h = box
        if y - 1 == self.group_top[self.group_of(device_id)]:
            return x, y - 1, w, h + 1
        return box

    def repaint_boxes(
        self, device_ids: Iterable[str | None], with_headers: bool
    ) -> tuple[list[tuple[int, int, int, int]], set[int]]:
        """Boxes to repaint for these tiles and, ``with_headers``, their groups' header lines
        (whose counts may change); plus those groups' indexes."""
        boxes = [box for d in device_ids if d is not None and (box := self.tile_box(d))]
        groups = (
            {self.group_of(d) for d in device_ids if d in self.places} if with_headers else set()
        )
        boxes.extend((0, self.group_top[group], self.width, 1) for group in groups)
        return boxes, groups

    def tile_at(self, x: int, y: int) -> str | None:
        if not 0 <= y < len(self.lines):
            return None
        line = self.lines[y]
        col, offset = divmod(x, TILE_WIDTH + GAP)
        if isinstance(line, HeaderLine) or offset >= TILE_WIDTH:
            return None
        row = self.rows[line.row]
        return row[col] if 0 <= col < len(row) else None


def columns_for(width: int) -> int:
    """How many tiles fit side by side in ``width`` cells (at least one)."""
    return max(1, (width + GAP) // (TILE_WIDTH + GAP))


def layout_groups(groups: Iterable[Group], width: int) -> WallLayout:
    """Reflow groups into a grid for ``width`` cells: a header line, then rows of tiles."""
    columns = columns_for(width)
    layout = WallLayout(columns=columns, width=columns * (TILE_WIDTH + GAP) - GAP)
    for group_index, group in enumerate(groups):
        layout.group_top.append(len(layout.lines))
        layout.lines.append(HeaderLine(group_index))
        ids = group.device_ids
        for start in range(0, len(ids), columns):
            row_index = len(layout.rows)
            row = ids[start : start + columns]
            layout.rows.append(row)
            layout.row_top.append(len(layout.lines))
            layout.row_group.append(group_index)
            layout.row_start.append(len(layout.order))
            layout.lines.extend(TileLine(row_index, sub) for sub in range(TILE_HEIGHT))
            for col, device_id in enumerate(row):
                layout.places[device_id] = (row_index, col)
            layout.order.extend(row)
    return layout


def neighbour(layout: WallLayout, device_id: str, move: Move, page_rows: int = 1) -> str:
    """The tile the cursor lands on. Left/right follow reading order across rows and groups;
    up/down keep the column, landing on the last tile of a shorter row."""
    if device_id not in layout.places:
        return layout.order[0] if layout.order else device_id
    row, col = layout.places[device_id]
    if move in ("left", "right"):
        index = layout.index_of(device_id) + (1 if move == "right" else -1)
        return layout.order[index] if 0 <= index < len(layout.order) else device_id
    if move == "first":
        return layout.order[0]
    if move == "last":
        return layout.order[-1]
    step = {"up": -1, "down": 1, "page_up": -page_rows, "page_down": page_rows}[move]
    target = min(max(row + step, 0), len(layout.rows) - 1)
    target_row = layout.rows[target]
    return target_row[min(col, len(target_row) - 1)]


def keep_cursor(old: WallLayout | None, new: WallLayout, cursor: str | None) -> str | None:
    """The cursor after a relayout: its tile if still shown, else the tile now at the same
    reading-order place (filtering a tile out must not throw the operator back to the top)."""
    if cursor in new.places or not new.order:
        return cursor if new.order else None
    index = old.index_of(cursor) if old is not None and cursor in old.places else 0
    return new.order[min(index, len(new.order) - 1)]

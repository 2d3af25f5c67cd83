"""The status wall: arrangement, reflow, cursor, filters, looks, and repainting only changes."""

from __future__ import annotations

import dataclasses

from rich.cells import cell_len
from rich.color import Color
from textual.app import App, ComposeResult
from textual.geometry import Region

from data.i18n import t
from widgets.tile_model import (
    STATES,
    TILE_WIDTH,
    TileData,
    WallFilter,
    arrange,
    arrangement_key,
    layout_groups,
    neighbour,
)
from widgets.tile_render import fit, header_text, look, status_text, tile_lines
from widgets.tile_wall import TileWall


def tile(i: int, **changes: object) -> TileData:
    base = TileData(f"dev-{i:03d}", f"服务器{i}", "server", "ext", "电子政务外网", "A", "A01", "OK")
    base = dataclasses.replace(base, key_value="CPU 35%", age_s=12.0, host=f"10.1.0.{i}")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def racks(count: int, per_rack: int = 7) -> list[TileData]:
    """``count`` devices, ``per_rack`` to a rack, two zones."""
    return [
        tile(i, rack=f"A{i // per_rack + 1}", zone_id=f"z{i // 28}", zone_name=f"区{i // 28}")
        for i in range(count)
    ]


def ids(numbers: list[int]) -> list[str]:
    return [f"dev-{i:03d}" for i in numbers]


# -- arrangement and layout ------------------------------------------------------------------


def test_groups_follow_zone_order_then_natural_room_and_rack_order() -> None:
    tiles = [
        tile(0, zone_id="in", zone_name="内网", rack="A10"),
        tile(1, zone_id="ext", rack="A10"),
        tile(2, zone_id="ext", rack="A3"),
        tile(3, zone_id="in", zone_name="内网", rack="A3"),
        tile(4, zone_id="ext", rack="A3"),
    ]
    groups = arrange(tiles)
    assert [g.key for g in groups] == [
        ("in", "A", "A3"),
        ("in", "A", "A10"),
        ("ext", "A", "A3"),
        ("ext", "A", "A10"),
    ]
    assert groups[2].device_ids == tuple(ids([2, 4]))
    assert [g.title for g in arrange(tiles, group_by="zone")] == [("内网",), ("电子政务外网",)]


def test_grid_reflows_to_the_width_with_a_header_line_per_group() -> None:
    groups = arrange(racks(20, per_rack=10))  # two racks of ten
    narrow = layout_groups(groups, 78)  # an 80-column terminal minus the scrollbar gutter
    assert narrow.columns == 3
    assert narrow.tile_box("dev-000") == (0, 1, TILE_WIDTH, 3)
    assert narrow.tile_box("dev-002") == (50, 1, TILE_WIDTH, 3)
    assert narrow.tile_box("dev-003") == (0, 4, TILE_WIDTH, 3)
    assert narrow.tile_box("dev-010") == (0, 14, TILE_WIDTH, 3)  # header of rack 2 at y=13
    wide = layout_groups(groups, 248)
    assert wide.columns == 9
    assert wide.tile_box("dev-008") == (200, 1, TILE_WIDTH, 3)
    assert wide.tile_box("dev-009") == (0, 4, TILE_WIDTH, 3)
    assert wide.tile_box("dev-010") == (0, 8, TILE_WIDTH, 3)
    assert wide.height == 2 * (1 + 2 * 3)
    assert wide.tile_at(201, 2) == "dev-008" and wide.tile_at(24, 2) is None  # the gap


def test_cursor_moves_in_two_dimensions_and_across_groups() -> None:
    layout = layout_groups(arrange(racks(14)), 78)  # racks of 7: rows of 3, 3, 1 each
    assert neighbour(layout, "dev-000", "right") == "dev-001"
    assert neighbour(layout, "dev-002", "right") == "dev-003"  # wraps to the next row
    assert neighbour(layout, "dev-006", "right") == "dev-007"  # into the next group
    assert neighbour(layout, "dev-007", "left") == "dev-006"
    assert neighbour(layout, "dev-000", "left") == "dev-000"
    assert neighbour(layout, "dev-004", "down") == "dev-006"  # shorter row: its last tile
    assert neighbour(layout, "dev-006", "down") == "dev-007"  # over the next group's header
    assert neighbour(layout, "dev-008", "up") == "dev-006"
    assert neighbour(layout, "dev-013", "down") == "dev-013"
    assert neighbour(layout, "dev-001", "page_down", page_rows=3) == "dev-008"
    assert neighbour(layout, "dev-005", "first") == "dev-000"
    assert neighbour(layout, "dev-005", "last") == "dev-013"


# -- filters and problems first --------------------------------------------------------------


def test_filter_matches_chinese_names_ids_and_addresses_case_insensitively() -> None:
    tiles = [
        tile(1, name="外网核心交换机1", kind="switch", host="10.1.1.1"),
        tile(2, name="UPS 主机", kind="ups", host="10.9.9.9", zone_id="in"),
        tile(3, state="CRITICAL", device_id="Core-FW-1", host="192.0.2.7"),
    ]

    def shown(f: WallFilter) -> set[str]:
        return {d for g in arrange(tiles, f) for d in g.device_ids}

    assert shown(WallFilter(text="核心")) == {"dev-001"}
    assert shown(WallFilter(text=" ups ")) == {"dev-002"}
    assert shown(WallFilter(text="core-fw")) == {"Core-FW-1"}
    assert shown(WallFilter(text="10.9.")) == {"dev-002"}
    assert shown(WallFilter(states=frozenset({"CRITICAL"}))) == {"Core-FW-1"}
    assert shown(WallFilter(zone="in")) == {"dev-002"}
    assert shown(WallFilter(kinds=frozenset({"switch", "ups"}))) == {"dev-001", "dev-002"}
    assert shown(WallFilter(text="10.", kinds=frozenset({"switch"}))) == {"dev-001"}
    assert shown(WallFilter(text="没有")) == set()


def test_problems_first_puts_unhandled_critical_first_and_ok_last() -> None:
    tiles = [
        tile(0),
        tile(1, state="CRITICAL", acknowledged=True),
        tile(2, state="WARNING"),
        tile(3, state="UNREACHABLE"),
        tile(4, state="CRITICAL"),
        tile(5, state="UNKNOWN"),
        tile(6, state="WARNING", maintenance=True),
        tile(7, stale=True),
        tile(8, state="CRITICAL", zone_id="a-later-zone"),
    ]
    (group,) = arrange(tiles, problems_first=True)
    assert group.device_ids == tuple(ids([4, 8, 2, 5, 7, 1, 6, 3, 0]))
    assert t("wall.problems_first") in header_text(group, tiles)


def test_a_state_change_rearranges_only_when_the_view_depends_on_it() -> None:
    ok, crit = tile(1), tile(1, state="CRITICAL", key_value="2 口断开")
    plain, only_ok = WallFilter(), WallFilter(states=frozenset({"OK"}))
    assert arrangement_key(ok, plain, False) == arrangement_key(crit, plain, False)
    assert arrangement_key(ok, plain, True) != arrangement_key(crit, plain, True)
    assert arrangement_key(crit, only_ok, False) is None


# -- looks -------------------------------------------------------------------------------------


def test_every_state_and_flag_reads_differently_without_colour() -> None:
    variants = [tile(1, state=s) for s in STATES] + [
        tile(1, state="CRITICAL", stale=True),
        tile(1, state="CRITICAL", maintenance=True),
        tile(1, state="CRITICAL", acknowledged=True),
        tile(1, state="CRITICAL", flapping=True),
    ]
    texts = [status_text(v) for v in variants]
    assert len(set(texts)) == len(texts)
    assert len({text.split()[0] for text in texts[: len(STATES)]}) == len(STATES)  # glyphs
    handled = {look(v) for v in variants[5:8]} | {look(tile(1, state="UNREACHABLE"))}
    assert handled == {"stale", "maintenance", "acked", "unreachable"}
    assert look(tile(1, state="CRITICAL")) == "critical"


def test_tile_lines_are_exactly_one_tile_wide_with_chinese_names_cut_with_an_ellipsis() -> None:
    long = tile(1, name="电子政务外网核心交换机第一号备用", state="UNREACHABLE", stale=True)
    for selected in (False, True):
        assert [cell_len(line) for line in tile_lines(long, selected)] == [TILE_WIDTH] * 3
    assert "…" in tile_lines(long)[0] and tile_lines(long, True)[0].startswith("▸")
    assert fit("外网核心交换机", 6) == "外网…" + " "  # never half a character
    assert tile_lines(tile(1, age_s=None))[2].rstrip().endswith("—")


# -- the widget ----------------------------------------------------------------------------


class WallApp(App[None]):
    def __init__(self, tiles: list[TileData]) -> None:
        super().__init__()
        self.tiles = tiles
        self.selected: list[str] = []
        self.highlighted: list[str] = []

    def compose(self) -> ComposeResult:
        yield TileWall(self.tiles, id="wall")

    def on_tile_wall_selected(self, message: TileWall.Selected) -> None:
        self.selected.append(message.device_id)

    def on_tile_wall_highlighted(self, message: TileWall.Highlighted) -> None:
        self.highlighted.append(message.device_id)


async def test_fifty_tiles_keyboard_moves_and_enter_selects() -> None:
    app = WallApp(racks(50))
    async with app.run_test(size=(80, 24)) as pilot:
        wall = app.query_one(TileWall)
        assert wall.has_focus and wall.cursor_id == "dev-000"
        assert wall.layout_info is not None and wall.layout_info.columns == 3
        await pilot.press("l", "right", "j", "down", "h")
        assert wall.cursor_id == "dev-005"  # 000 -> 002 -> 005 -> 006 (short row) -> 005
        await pilot.press("end")
        assert wall.cursor_id == "dev-049"
        assert wall.scroll_offset.y > 0  # the cursor was scrolled into view
        box = wall.layout_info.tile_box("dev-049")
        assert box is not None and wall.scroll_offset.y <= box[1]
        assert box[1] + box[3] <= wall.scroll_offset.y + wall.scrollable_content_region.height
        await pilot.press("k", "up", "enter")
        await pilot.pause()
        assert wall.cursor_id == "dev-045"  # 049 (alone) -> 048 (alone) -> 045 (same column)
        assert app.selected == ["dev-045"] and app.highlighted[-1] == "dev-045"
        await pilot.press("G", "g")
        assert wall.cursor_id == "dev-000"
        assert wall.scroll_offset.y == 0  # the first row comes with its group header
        await pilot.double_click(TileWall, offset=(55, 11))  # rack 2's header is at y=10
        assert wall.cursor_id == "dev-009" and app.selected[-1] == "dev-009"


async def test_the_grid_reflows_when_the_terminal_is_resized() -> None:
    app = WallApp(racks(50, per_rack=50))
    async with app.run_test(size=(80, 24)) as pilot:
        wall = app.query_one(TileWall)
        assert wall.layout_info is not None and wall.layout_info.columns == 3
        await pilot.resize_terminal(250, 70)
        await pilot.pause()
        assert wall.layout_info.columns == 9
        assert wall.layout_info.tile_box("dev-009") == (0, 4, TILE_WIDTH, 3)


async def test_an_update_repaints_only_the_changed_tiles_and_their_header() -> None:
    app = WallApp(racks(200, per_rack=30))
    async with app.run_test(size=(80, 24)) as pilot:
        wall = app.query_one(TileWall)
        await pilot.pause()
        layout = wall.layout_info
        assert layout is not None
        refreshed: list[tuple[Region, ...]] = []
        original_refresh = wall.refresh

        def spy(*regions: Region, **kwargs: bool) -> TileWall:
            refreshed.append(regions)
            return original_refresh(*regions, **kwargs)

        wall.refresh = spy  # type: ignore[method-assign]
        before = wall.strip_misses
        wall.update_tiles(
            [
                tile(4, rack="A1", zone_id="z0", zone_name="区0", state="CRITICAL"),
                app.tiles[5],  # unchanged: ignored
                tile(150, rack="A6", zone_id="z5", zone_name="区5", state="WARNING"),  # off screen
            ]
        )
        assert refreshed == [(Region(25, 4, TILE_WIDTH, 3), Region(0, 0, layout.width, 1))]
        await pilot.pause()
        assert wall.strip_misses == before + 1  # one tile rendered again, the rest cached
        assert "✖" in wall.render_line(6).text and "✖1" in wall.render_line(0).text
        wall.update_tiles([tile(5, rack="A1", zone_id="z0", zone_name="区0", stale=True)])
        await pilot.pause()
        assert wall.strip_misses == before + 2


async def test_filter_and_problems_first_rearrange_the_live_wall() -> None:
    tiles = racks(40)
    tiles[30] = dataclasses.replace(tiles[30], name="外网核心交换机", state="CRITICAL")
    app = WallApp(tiles)
    async with app.run_test(size=(80, 24)) as pilot:
        wall = app.query_one(TileWall)
        wall.filter = WallFilter(text="核心")
        await pilot.pause()
        assert wall.layout_info is not None and wall.layout_info.order == ["dev-030"]
        assert wall.cursor_id == "dev-030"
        wall.filter = WallFilter(text="没有这个")
        await pilot.pause()
        assert wall.cursor_id is None and wall.render_line(0).text.strip() == t("wall.empty")
        wall.filter = WallFilter()
        wall.problems_first = True
        await pilot.pause()
        assert wall.layout_info.order[0] == "dev-030"
        wall.update_tiles([dataclasses.replace(tiles[39], state="CRITICAL")])
        assert wall.layout_info.order[:2] == ["dev-030", "dev-039"]


async def test_state_colours_come_from_the_theme() -> None:
    app = WallApp([tile(0), tile(1, state="CRITICAL")])
    async with app.run_test(size=(80, 24)) as pilot:
        wall = app.query_one(TileWall)

        def backgrounds() -> list[Color | None]:  # of the two tiles' name line
            return [seg.style.bgcolor if seg.style else None for seg in wall.render_line(1)][:3]

        ok_dark, _, crit_dark = backgrounds()
        assert ok_dark is not None and ok_dark != crit_dark
        app.theme = "textual-light"
        await pilot.pause()
        assert backgrounds()[0] != ok_dark

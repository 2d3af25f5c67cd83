"""Status wall benchmark: the line-API TileWall against one Static widget per tile in a Grid.

Headless (``App.run_test``), 500 and 2,000 tiles, at 80x24 and 250x70; each tick 10% of the
tiles change state. For each case:

- first paint: wall-clock from starting the app to the first idle screen with the wall drawn;
- CPU per tick: ``time.process_time`` around the update plus the repaint (``pilot.pause()``);
  "idle pause" is the same measurement with nothing changed: the harness's own floor;
- RSS added: /proc/self/statm after the first paint minus before the app was built.

Every case runs in its own child process, so RSS figures and caches do not leak between
them. The naive wall is slow, so it gets fewer ticks. "line, problems first" is the worst
case of the line wall: state changes reorder it, so every tick re-lays out the grid.

    .venv/bin/python bench/wall.py
    .venv/bin/python bench/wall.py --ticks 50 --naive-ticks 3 --sizes 2000
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import time
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from widgets.tile_model import STATES, TILE_WIDTH, TileData, columns_for
from widgets.tile_render import look, tile_lines
from widgets.tile_wall import TileWall

SCREENS = ((80, 24), (250, 70))
NAMES = (
    "外网核心交换机",
    "汇聚交换机",
    "防火墙",
    "应用服务器",
    "数据库服务器",
    "存储阵列",
    "UPS 电源",
    "精密空调",
    "温湿度传感器",
    "门禁控制器",
    "政务服务平台",
)
KINDS = (
    "switch",
    "switch",
    "firewall",
    "server",
    "server",
    "storage",
    "ups",
    "aircon",
    "sensor",
    "access",
    "service",
)
READINGS = ("24.1°C", "CPU 35%", "2 口断开", "电池供电", "active", "内存 71%")


def make_tiles(count: int, seed: int = 7) -> list[TileData]:
    """A plausible site in site order: zones of 500 devices, rooms of 100, racks of 12."""
    rng = random.Random(seed)
    zones = ("电子政务外网", "电子政务内网", "互联网区", "管理区")
    tiles = []
    for i in range(count):
        kind = i % len(NAMES)
        tiles.append(
            TileData(
                device_id=f"dev-{i:04d}",
                name=f"{NAMES[kind]}{i}",
                kind=KINDS[kind],
                zone_id=f"z{i // 500}",
                zone_name=zones[i // 500 % 4],
                room="ABCDE"[i // 100 % 5],
                rack=f"R{i % 100 // 12 + 1:02d}",
                state=rng.choices(STATES, weights=(85, 6, 3, 3, 3))[0],
                key_value=rng.choice(READINGS),
                age_s=rng.uniform(0, 120),
                host=f"10.{i // 250}.{i % 250}.1",
            )
        )
    return tiles


def next_tick(tiles: list[TileData], rng: random.Random, fraction: float = 0.1) -> list[TileData]:
    """Change the state (and reading) of ``fraction`` of the tiles, in place."""
    changed = []
    for i in rng.sample(range(len(tiles)), min(len(tiles), max(1, int(len(tiles) * fraction)))):
        old = tiles[i]
        state = rng.choice([s for s in STATES if s != old.state])
        tiles[i] = dataclasses.replace(old, state=state, key_value=rng.choice(READINGS))
        changed.append(tiles[i])
    return changed


class LineWallApp(App[None]):
    def __init__(self, tiles: list[TileData], problems_first: bool = False) -> None:
        super().__init__()
        self.wall = TileWall(tiles)
        self.wall.problems_first = problems_first
        self.empty = not tiles  # the baseline run: an app whose wall has nothing to draw

    def compose(self) -> ComposeResult:
        yield self.wall

    def apply(self, changed: list[TileData]) -> None:
        self.wall.update_tiles(changed)

    def painted(self) -> bool:
        return self.empty or self.wall.strip_misses > 0


class NaiveWallApp(App[None]):
    """What the wall would be without the line API: a Static per tile, classes for colour."""

    CSS = """
    #grid { grid-gutter: 0 1; grid-rows: 3; height: auto; }
    #grid > Static { width: TILE_WIDTH; height: 3; }
    .ok { background: $success 25%; }
    .warning { background: $warning 55%; }
    .critical { background: $error 80%; }
    .unknown { background: $secondary 50%; }
    .unreachable, .stale { background: $panel; }
    .maintenance { background: $primary-muted; }
    .acked { background: $warning-muted; }
    """.replace("TILE_WIDTH", str(TILE_WIDTH))

    def __init__(self, tiles: list[TileData], columns: int) -> None:
        super().__init__()
        self.columns = columns
        self.statics = {
            t.device_id: Static("\n".join(tile_lines(t)), markup=False, classes=look(t))
            for t in tiles
        }

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            grid = Grid(*self.statics.values(), id="grid")
            grid.styles.grid_size_columns = self.columns
            yield grid

    def apply(self, changed: list[TileData]) -> None:
        with self.batch_update():
            for tile in changed:
                static = self.statics[tile.device_id]
                static.update("\n".join(tile_lines(tile)))
                static.set_classes(look(tile))

    def painted(self) -> bool:
        return True


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def run_case(variant: str, count: int, width: int, height: int, ticks: int) -> dict[str, Any]:
    tiles = make_tiles(count)
    rng = random.Random(11)
    rss_before = rss_mb()
    start = time.perf_counter()
    if variant == "naive":
        app: LineWallApp | NaiveWallApp = NaiveWallApp(tiles, columns_for(width - 2))
    else:
        app = LineWallApp(tiles, problems_first=variant == "line-pf")
    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause()
        deadline = time.monotonic() + 30
        while not app.painted() and time.monotonic() < deadline:
            await pilot.pause()
        first_paint = time.perf_counter() - start
        rss_added = rss_mb() - rss_before
        idle = []
        for _ in range(3):
            cpu = time.process_time()
            await pilot.pause()
            idle.append(time.process_time() - cpu)
        per_tick = []
        for _ in range(ticks):
            changed = next_tick(tiles, rng)
            cpu = time.process_time()
            app.apply(changed)
            await pilot.pause()
            per_tick.append(time.process_time() - cpu)
    return {
        "first_paint_s": first_paint,
        "tick_ms": statistics.median(per_tick) * 1000,
        "tick_max_ms": max(per_tick) * 1000,
        "idle_ms": statistics.median(idle) * 1000,
        "rss_mb": rss_added,
    }


def run_child(variant: str, count: int, width: int, height: int, ticks: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--case", variant, str(count), str(width), str(height)]
    done = subprocess.run(
        [*command, str(ticks)], capture_output=True, text=True, check=True, timeout=600
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


LABELS = {"line": "line API wall", "line-pf": "line, problems first", "naive": "Static per tile"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--ticks", type=int, default=30)
    parser.add_argument("--naive-ticks", type=int, default=5)
    parser.add_argument("--case", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        variant, *numbers = args.case
        count, width, height, ticks = map(int, numbers)
        print(json.dumps(asyncio.run(run_case(variant, count, width, height, ticks))))
        return
    header = "| wall | tiles | screen | first paint s | CPU ms/tick (median, max) | idle pause ms"
    print(header + " | RSS MB added |\n|---|---|---|---|---|---|---|")
    results: dict[tuple[str, int, int], dict[str, Any]] = {}
    for count in args.sizes:
        for width, height in SCREENS:
            for variant in ("line", "line-pf", "naive"):
                ticks = args.naive_ticks if variant == "naive" else args.ticks
                r = run_child(variant, count, width, height, ticks)
                results[variant, count, width] = r
                print(
                    f"| {LABELS[variant]} | {count} | {width}x{height} | {r['first_paint_s']:.3f}"
                    f" | {r['tick_ms']:.1f} ({r['tick_max_ms']:.1f}) | {r['idle_ms']:.1f}"
                    f" | {r['rss_mb']:.1f} |",
                    flush=True,
                )
    print("\nnaive / line ratios (higher: the line wall wins by more)")
    for count in args.sizes:
        for width, height in SCREENS:
            naive, line = results["naive", count, width], results["line", count, width]
            print(
                f"  {count} tiles {width}x{height}: first paint"
                f" {naive['first_paint_s'] / line['first_paint_s']:.1f}x,"
                f" CPU per tick {naive['tick_ms'] / max(line['tick_ms'], 0.01):.1f}x,"
                f" RSS {naive['rss_mb'] / max(line['rss_mb'], 0.1):.1f}x"
            )
    baseline = run_child("line", 0, 250, 70, 1)["first_paint_s"]
    print(f"\nfirst paint of the same app with an empty wall (start-up floor): {baseline:.3f} s")
    print("targets: 2,000 tiles painted in < 0.3 s; an update tick < 10 ms CPU")


if __name__ == "__main__":
    main()

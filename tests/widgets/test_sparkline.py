"""Sparklines: scale, gaps, padding, bucketing, and the widget."""

from __future__ import annotations

from textual.app import App, ComposeResult

from widgets.sparkline import BARS, GAP, Sparkline, sparkline


def test_values_map_from_the_lowest_to_the_highest_bar() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8) == BARS
    assert sparkline([0, 10], 2) == "▁█"
    assert sparkline([10, 0, 5], 3) == "█▁▅"  # 5 is 4/7 of the way up, rounded


def test_missing_samples_are_gaps_never_low_values() -> None:
    assert sparkline([1.0, None, 3.0, float("nan")], 4) == f"▁{GAP}█{GAP}"
    assert sparkline([None, None], 2, gap="_") == "__"


def test_short_history_is_padded_on_the_left_and_newest_stays_right() -> None:
    line = sparkline([1, 9], 6)
    assert line == "    ▁█" and len(line) == 6
    assert sparkline([], 3) == "   " and sparkline([1, 2], 0) == ""


def test_long_history_is_bucketed_keeping_each_buckets_peak() -> None:
    values: list[float | None] = [0.0] * 100
    values[37] = 50.0  # a short spike must stay visible
    line = sparkline(values, 10)
    assert len(line) == 10 and line.count("█") == 1 and line[3] == "█"
    assert sparkline([None] * 50 + [1.0] * 50, 10)[:5] == GAP * 5


def test_fixed_scale_clamps_and_a_flat_series_sits_in_the_middle() -> None:
    assert sparkline([18, 24, 40], 3, low=18, high=32) == "▁▄█"
    assert sparkline([-5], 1, low=0, high=10) == "▁"
    assert sparkline([24.1, 24.1, 24.1], 3) == "▄▄▄"


class SparkApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Sparkline([1, 2, 3], id="spark")


async def test_the_widget_draws_as_wide_as_it_is_and_follows_new_values() -> None:
    app = SparkApp()
    async with app.run_test(size=(20, 3)) as pilot:
        spark = app.query_one(Sparkline)
        assert spark.render().plain == " " * 17 + "▁▅█"
        spark.values = (5.0, None, 1.0)
        await pilot.pause()
        assert spark.render().plain.endswith(f"█{GAP}▁")
        assert spark.size.width == 20

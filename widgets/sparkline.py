"""A one-line trend from block characters: ``▁▂▄█▇·▅``.

Used for readings with history (temperature, CPU, port errors). Missing samples show as a
gap character, so "no data" never looks like a low value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

BARS = "▁▂▃▄▅▆▇█"
GAP = "·"


def _bucket(values: Sequence[float | None], width: int) -> list[float | None]:
    """Squeeze ``values`` into ``width`` buckets, keeping each bucket's peak: a short spike
    in a long history must stay visible."""
    out: list[float | None] = []
    for i in range(width):
        start, end = i * len(values) // width, (i + 1) * len(values) // width
        present = [v for v in values[start:end] if v is not None]
        out.append(max(present) if present else None)
    return out


def sparkline(
    values: Sequence[float | None],
    width: int,
    *,
    low: float | None = None,
    high: float | None = None,
    gap: str = GAP,
) -> str:
    """``values`` (oldest first) as exactly ``width`` cells, newest on the right.

    None and NaN are gaps. With fewer values than cells the line is padded on the left; with
    more, values are bucketed. ``low``/``high`` fix the scale (else the data's own range);
    values outside it are clamped. A flat series sits in the middle.
    """
    if width <= 0:
        return ""
    clean = [None if v is None or math.isnan(v) else float(v) for v in values]
    if len(clean) > width:
        clean = _bucket(clean, width)
    present = [v for v in clean if v is not None]
    bottom = low if low is not None else min(present, default=0.0)
    top = high if high is not None else max(present, default=0.0)
    span = top - bottom
    cells = []
    for value in clean:
        if value is None:
            cells.append(gap)
        elif span <= 0:
            cells.append(BARS[len(BARS) // 2 - 1])
        else:
            ratio = min(max((value - bottom) / span, 0.0), 1.0)
            cells.append(BARS[round(ratio * (len(BARS) - 1))])
    return " " * (width - len(cells)) + "".join(cells)


class Sparkline(Widget):
    """A sparkline as wide as the widget; set ``values`` (and optionally ``low``/``high``)."""

    DEFAULT_CSS = """
    Sparkline {
        height: 1;
        width: 1fr;
        color: $accent;
    }
    """

    values: reactive[tuple[float | None, ...]] = reactive(())
    low: reactive[float | None] = reactive(None)
    high: reactive[float | None] = reactive(None)

    def __init__(
        self,
        values: Sequence[float | None] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(Sparkline.values, tuple(values))

    def render(self) -> Content:
        # Content, not str: a str would be parsed as markup.
        return Content(sparkline(self.values, self.size.width, low=self.low, high=self.high))

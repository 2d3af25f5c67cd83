"""A small horizontal bar chart from plain data: one line per bar, ``label ████▌ caption``.

Bars are drawn with eighth blocks, so a bar's end moves in steps of an eighth of a cell.
A bar without a value (nothing measured) shows a row of gap dots, never an empty bar that
would read as zero. A bar marked ``alert`` takes the theme's error colour and a ``!``
before its caption, so it stands out without colour too. The chart knows nothing of what
it shows: the screen gives it labels, values and captions already formatted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
GAP = "·"
MAX_LABEL = 24  # cells; longer labels are cut with an ellipsis
MIN_BAR = 4


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to draw
    caption: str = ""  # e.g. "99.52%"
    alert: bool = False


def bar_cells(value: float, width: int, low: float = 0.0, high: float = 1.0) -> str:
    """``value`` on the scale [low, high] as exactly ``width`` cells (clamped)."""
    if width <= 0:
        return ""
    span = high - low
    ratio = 0.0 if span <= 0 else min(max((value - low) / span, 0.0), 1.0)
    full, part = divmod(round(ratio * width * 8), 8)
    drawn = FULL * full + (EIGHTHS[part] if part else "")
    return drawn + " " * (width - len(drawn))


def fit(text: str, width: int) -> str:
    """``text`` padded or cut (with an ellipsis) to ``width`` terminal cells."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(width - 1, 0)) + "…"


def chart_lines(
    bars: Sequence[Bar], width: int, low: float = 0.0, high: float | None = None
) -> list[tuple[str, str, str]]:
    """(label, bar, caption) of each line, each part padded to its column; ``high`` defaults
    to the largest value."""
    if not bars:
        return []
    values = [b.value for b in bars if b.value is not None]
    top = high if high is not None else max(values, default=1.0)
    label_width = min(max(cell_len(b.label) for b in bars), MAX_LABEL)
    captions = [("! " if b.alert else "") + b.caption for b in bars]
    caption_width = max(cell_len(c) for c in captions)
    bar_width = max(width - label_width - caption_width - 2, MIN_BAR)
    lines = []
    for bar, caption in zip(bars, captions, strict=True):
        drawn = GAP * bar_width if bar.value is None else bar_cells(bar.value, bar_width, low, top)
        padded = " " * (caption_width - cell_len(caption)) + caption
        lines.append((fit(bar.label, label_width), drawn, padded))
    return lines


class BarChart(Widget):
    """Set ``bars`` (and ``low``/``high`` for a fixed scale, e.g. 0..1 for a ratio)."""

    COMPONENT_CLASSES = {"bar-chart--bar", "bar-chart--alert"}
    DEFAULT_CSS = """
    BarChart { height: auto; width: 1fr; }
    BarChart > .bar-chart--bar { color: $accent; }
    BarChart > .bar-chart--alert { color: $error; text-style: bold; }
    """

    bars: reactive[tuple[Bar, ...]] = reactive((), layout=True)
    low: reactive[float] = reactive(0.0)
    high: reactive[float | None] = reactive(None)

    def __init__(
        self,
        bars: Sequence[Bar] = (),
        *,
        low: float = 0.0,
        high: float | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(BarChart.bars, tuple(bars))
        self.set_reactive(BarChart.low, low)
        self.set_reactive(BarChart.high, high)

    def render(self) -> Text:
        out = Text()
        lines = chart_lines(self.bars, self.size.width, self.low, self.high)
        for index, ((label, drawn, caption), bar) in enumerate(zip(lines, self.bars, strict=True)):
            if index:
                out.append("\n")
            look = self._style("alert" if bar.alert else "bar")
            out.append(f"{label} ")
            out.append(drawn, look)
            out.append(f" {caption}", look if bar.alert else Style())
        return out

    def _style(self, name: str) -> Style:
        try:
            return self.get_component_rich_style(f"bar-chart--{name}", partial=True)
        except KeyError:
            return Style()

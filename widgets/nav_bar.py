"""The section bar under the header: ``1 状态墙  2 告警  3 交接班 ...`` with the current one lit.

When the labels do not fit (English at 80 columns) the spacing tightens first, then the
other sections show their key only: every key stays on screen and the current section
keeps its name.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class NavBar(Widget):
    DEFAULT_CSS = """
    NavBar {
        height: 1;
        background: $panel;
    }
    """

    current: reactive[str] = reactive("")

    def __init__(
        self, sections: list[tuple[str, str | None, str]], *, id: str | None = None
    ) -> None:
        """``sections``: (section id, key, label) in display order; a section with no key
        (reached from the palette) shows its label only when it is the current one."""
        super().__init__(id=id)
        self.sections = sections

    def render(self) -> Text:
        width = self.size.width or 10_000  # not laid out yet: the full bar
        for gap, all_labels in ((" ", True), ("", True), ("", False)):
            text = self._bar(gap, all_labels)
            if text.cell_len <= width:
                return text
        return text

    def _bar(self, gap: str, all_labels: bool) -> Text:
        text = Text()
        for section_id, key, label in self.sections:
            current = section_id == self.current
            style = "reverse bold" if current else ""
            if key is None:
                if current:
                    text.append(f" {label} ", style=style)
                    text.append(gap)
                continue
            text.append(f" {key} ", style="bold " + style)
            if all_labels or current:
                text.append(f"{label} ", style=style)
            text.append(gap)
        return text

"""The section bar under the header: ``1 状态墙  2 告警  3 交接班 ...`` with the current one lit."""

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

    def __init__(self, sections: list[tuple[str, str, str]], *, id: str | None = None) -> None:
        """``sections``: (section id, key, label) in display order."""
        super().__init__(id=id)
        self.sections = sections

    def render(self) -> Text:
        text = Text()
        for section_id, key, label in self.sections:
            style = "reverse bold" if section_id == self.current else ""
            text.append(f" {key} ", style="bold " + style)
            text.append(f"{label} ", style=style)
            text.append(" ")
        return text

"""The keys of the screen in front, on as many lines as they need.

Textual's Footer keeps to one line and cuts what does not fit: at 80 columns an operator
lost half the keys of the wall. This one wraps between keys instead (never inside one),
and shows the command palette's key last, as the Footer does.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget


class KeyFooter(Widget):
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyFooter > .key-footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _: Screen[object]) -> None:
        self.refresh(layout=True)

    def keys(self) -> list[Text]:
        """One piece per action shown: `` ^q 退出 ``; disabled ones dimmed."""
        app: App[object] = self.app
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        active = self.screen.active_bindings
        shown = [entry for entry in active.values() if entry.binding.show]
        palette = active.get(app.COMMAND_PALETTE_BINDING) if app.ENABLE_COMMAND_PALETTE else None
        if palette is not None:
            shown.append(palette)
        pieces, actions = [], set()
        for entry in shown:
            binding = entry.binding
            if binding.action in actions:
                continue
            actions.add(binding.action)
            piece = Text(f" {app.get_key_display(binding)} ", style=key_style)
            piece.append(f"{binding.description} ", style=description_style)
            if not entry.enabled:
                piece.stylize("dim")
            pieces.append(piece)
        return pieces

    def lines(self, width: int) -> list[Text]:
        lines = [Text()]
        for piece in self.keys():
            if lines[-1].cell_len and lines[-1].cell_len + piece.cell_len > width:
                lines.append(Text())
            lines[-1].append_text(piece)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        try:
            return len(self.lines(width))
        except NoMatches:  # not on a screen yet
            return 1

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.size.width))

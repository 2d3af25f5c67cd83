"""The command palette (ctrl+p) in the operator's language.

Textual's own system commands (Theme, Quit, Keys, Screenshot...) are English; the app
offers these instead: the sections by name, lock, the keys panel and quit (no theme
picker: its own search is English, and the theme is the site's). While the console is
locked only the keys panel and quit (which asks for a password) are offered: nothing
that shows a section past the lock screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any, Protocol

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen

from console.sections import SECTIONS
from data.accounts import User
from data.i18n import t

PALETTE_BINDING = Binding(
    "ctrl+p", "command_palette", "binding.palette", id="app.palette", show=False, priority=True
)


class PaletteHost(Protocol):
    """What the palette offers of the App (console.app implements it)."""

    @property
    def user(self) -> User | None: ...
    def locked_for(self) -> str | None: ...
    def action_section(self, section_id: str) -> None: ...
    async def action_lock(self, reason: str = "manual") -> None: ...
    async def action_quit(self) -> None: ...
    def action_show_help_panel(self) -> None: ...
    def action_hide_help_panel(self) -> None: ...


def palette_commands(app: PaletteHost, screen: Screen[object]) -> Iterator[SystemCommand]:
    if app.user is not None and app.locked_for() is None:
        for section_id, key, label in SECTIONS:
            help_text = t("palette.section_help", key=key) if key else t("palette.section_no_key")
            yield SystemCommand(t(label), help_text, partial(app.action_section, section_id))
        yield SystemCommand(t("palette.lock"), t("palette.lock_help"), app.action_lock)
    if screen.query("HelpPanel"):
        yield SystemCommand(t("palette.keys"), t("palette.keys_hide"), app.action_hide_help_panel)
    else:
        yield SystemCommand(t("palette.keys"), t("palette.keys_help"), app.action_show_help_panel)
    yield SystemCommand(t("palette.quit"), t("palette.quit_help"), app.action_quit)


def open_palette(app: App[Any]) -> None:
    already_open = any(isinstance(screen, CommandPalette) for screen in app.screen_stack)
    if app.use_command_palette and not already_open:
        palette = CommandPalette(placeholder=t("palette.placeholder"), id="--command-palette")
        app.push_screen(palette)

"""Which screen class serves each section.

A section's screen lives in ``console/screens/<section id>.py`` and exports it as
``SECTION_SCREEN``; a section without such a module gets the "not built yet" screen.
Looking modules up by name keeps each section's work in its own file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from console.screens.pending import pending_section
from console.screens.section import SectionScreen
from console.sections import SECTIONS


def section_screen(section_id: str) -> type[SectionScreen]:
    try:
        module = importlib.import_module(f"console.screens.{section_id}")
    except ModuleNotFoundError as error:
        if error.name != f"console.screens.{section_id}":
            raise  # the module exists but something it imports is missing: a real bug
        return pending_section(section_id)
    screen: type[SectionScreen] = module.SECTION_SCREEN
    return screen


def all_section_screens() -> dict[str, str | Callable[[], Screen[Any]]]:
    """For App.MODES: section id -> screen class (a callable that makes the screen)."""
    return {sid: section_screen(sid) for sid, _, _ in SECTIONS}

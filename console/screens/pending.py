"""A section whose screen is not built yet says so, instead of showing an empty frame."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.screens.section import SectionScreen
from console.sections import SECTIONS
from data.i18n import t


def pending_section(section_id: str) -> type[SectionScreen]:
    label = next(label for sid, _, label in SECTIONS if sid == section_id)

    class PendingSection(SectionScreen):
        SECTION = section_id

        def compose_body(self) -> ComposeResult:
            yield Static(t("section.pending", name=t(label)), classes="pending")

    PendingSection.__name__ = f"Pending_{section_id}"
    return PendingSection

"""Showing and exporting a handover: its printable document drawn on screen, the read-only
viewer of a past handover (with amend and export), and the Markdown/PDF export.

The screen draws the same ``Document`` (data.exports.handover_doc) the exports print, so
what the operators read before signing is what lands on paper.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Static

from console.context import DeskContext
from console.dialogs.base import Dialog
from console.screens.export_files import export_folder
from console.screens.handover.dialogs import amend_dialog
from data.desk import Desk
from data.errors import DutyDeskError
from data.exports.document import Document, Section
from data.exports.handover_doc import handover_document
from data.exports.markdown import to_markdown
from data.i18n import explain, t
from data.paths import private_dir, write_private
from data.records.handover.book import handover_obj
from data.records.handover.model import Handover, HandoverSummary


def handover_doc(desk: Desk, watch: Handover, summary: HandoverSummary | None) -> Document:
    """The document of ``watch``; an open watch shows the summary compiled so far."""
    shown = watch if watch.summary is not None else dataclasses.replace(watch, summary=summary)
    return handover_document(shown, desk.handovers.site)


def render_sections(sections: Iterable[Section]) -> RenderableType:
    """Sections as text and tables; an empty one takes a single line ("Heading: none")."""
    parts: list[RenderableType] = []
    for section in sections:
        if section.table is None and len(section.paragraphs) <= 1:
            text = section.paragraphs[0] if section.paragraphs else ""
            parts.append(Text.assemble((section.heading, "bold"), ": ", text))
            continue
        parts.append(Text(section.heading, style="bold"))
        parts += [Text(paragraph) for paragraph in section.paragraphs]
        if section.table is not None:
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            for column in section.table.columns:
                table.add_column(column, overflow="fold")
            for row in section.table.rows:
                table.add_row(*(Text(cell) for cell in row))  # cells are data, not markup
            parts.append(table)
    return Group(*parts)


def render_meta(doc: Document) -> Text:
    return Text("\n").join(
        Text.assemble((key, "bold"), ": ", value) for key, value in doc.meta if value
    )


async def export_handover(
    ctx: DeskContext, app: App[Any], handover: Handover, doc: Document
) -> list[Path]:
    """Write ``handover-<id>.md`` (and ``.pdf`` when a PDF can be made) into the exports
    folder next to the database; audited. Returns the files written."""
    folder = export_folder(ctx.desk)
    private_dir(folder)
    markdown = folder / f"handover-{handover.id}.md"
    write_private(markdown, to_markdown(doc))
    written = [markdown]
    try:
        from data.exports.pdf import to_pdf  # loads reportlab: only when exporting

        pdf = folder / f"handover-{handover.id}.pdf"
        await asyncio.to_thread(to_pdf, doc, pdf)  # a few hundred ms: off the UI loop
        written.append(pdf)
    except (DutyDeskError, OSError) as error:  # e.g. an unusable font: the Markdown stands
        app.notify(t("handover.export.no_pdf", reason=explain(error)), severity="warning")
    user = ctx.user.name if ctx.user else None
    detail = {"files": [path.name for path in written], "sealed": handover.sealed}
    await ctx.desk.audit.record(user, "handover.export", handover_obj(handover.id), detail=detail)
    return written


class HandoverViewer(Dialog[None]):
    """A past handover, read-only: its document, whether its seal still verifies, the
    amendments made to it. ``a`` amends it (a new sealed record), ``e`` exports it."""

    DEFAULT_CLASSES = "-document"
    BINDINGS = [
        Binding("escape", "close", "dialog.close", id="handover.viewer.close"),
        Binding("a", "amend", "handover.amend", id="handover.viewer.amend"),
        Binding("e", "export", "handover.export", id="handover.viewer.export"),
    ]

    def __init__(self, ctx: DeskContext, handover: Handover) -> None:
        super().__init__(id="handover-viewer")
        self.ctx = ctx
        self.handover = handover

    def compose(self) -> ComposeResult:
        doc = handover_doc(self.ctx.desk, self.handover, None)
        with Vertical():
            yield Static(f"{doc.title} #{self.handover.id}", classes="dialog-title", markup=False)
            with VerticalScroll(id="handover-viewer-body"):
                yield Static(render_meta(doc), id="handover-viewer-meta")
                yield Static(render_sections(doc.sections), id="handover-viewer-sections")
            yield Static("", id="handover-viewer-status", markup=False)
        yield Footer()

    async def on_mount(self) -> None:
        await self.show_status()

    async def show_status(self) -> None:
        book = self.ctx.desk.handovers
        lines = [t("handover.viewer.read_only")]
        if self.handover.sealed:
            ok = await book.verify(self.handover)
            lines.append(t("handover.viewer.seal_ok" if ok else "handover.viewer.seal_broken"))
        amendments = await book.amendments(self.handover.id)
        if amendments:
            ids = ", ".join(f"#{a.id}" for a in amendments)
            lines.append(t("handover.viewer.amended_by", ids=ids))
        self.query_one("#handover-viewer-status", Static).update("\n".join(lines))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_amend(self) -> None:
        user = self.ctx.user
        if user is None:
            return
        dialog = amend_dialog(self.ctx.desk.handovers, user, self.handover)
        self.app.push_screen(dialog, self._amended)

    async def _amended(self, result: object) -> None:
        if isinstance(result, Handover):
            self.app.notify(t("handover.amend.done", id=result.id, original=self.handover.id))
            await self.show_status()

    async def action_export(self) -> None:
        doc = handover_doc(self.ctx.desk, self.handover, None)
        written = await export_handover(self.ctx, self.app, self.handover, doc)
        self.app.notify(t("handover.export.done", paths=", ".join(map(str, written))))

"""Export one inspection record as files a supervisor can file: Markdown and an A4 PDF.

Files go to an ``exports/`` folder next to the database, named after the record
(``inspection-12-daily-room-2026-11-27.md``); writing happens in a thread so the console
stays responsive. Each export is audited with the file names.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from console.context import DeskContext
from console.screens.export_files import export_folder
from data.exports.inspection_doc import inspection_document
from data.exports.markdown import to_markdown
from data.exports.pdf import to_pdf
from data.paths import private_dir, write_private
from data.records.inspections.book import inspection_obj
from data.records.inspections.model import Inspection


def export_name(record: Inspection) -> str:
    return f"inspection-{record.id}-{record.template_id}-{record.period or 'draft'}"


async def export_inspection(ctx: DeskContext, record: Inspection) -> list[Path]:
    """Write the record's files; returns their paths (Markdown first)."""
    document = inspection_document(record, site=ctx.desk.inspections.site)
    folder = export_folder(ctx.desk)
    markdown = folder / f"{export_name(record)}.md"

    def write_markdown() -> None:
        private_dir(folder)
        write_private(markdown, to_markdown(document))

    pdf = folder / f"{export_name(record)}.pdf"
    await asyncio.to_thread(write_markdown)
    await asyncio.to_thread(to_pdf, document, pdf)
    written = [markdown, pdf]
    user = ctx.user.name if ctx.user is not None else None
    await ctx.desk.audit.record(
        user,
        "inspection.export",
        inspection_obj(record.id),
        detail={"files": [path.name for path in written]},
    )
    return written

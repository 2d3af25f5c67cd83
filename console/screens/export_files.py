"""Write a printable Document as files a supervisor can file: Markdown, CSV and an A4 PDF
in the ``exports/`` folder next to the database (the incidents and reports sections).

Exporting records is a supervisor's permission (data.roles: EXPORT_RECORDS, as for
``dutydesk export`` and ``dutydesk report``); a refusal is audited. Files are written in a
thread so the console stays responsive, and the export is audited with the file names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from console.context import DeskContext
from data.desk import Desk
from data.exports.csv_export import to_csv_document
from data.exports.document import Document
from data.exports.markdown import to_markdown
from data.exports.pdf import to_pdf
from data.paths import private_dir, write_private
from data.records.permissions import require_audited
from data.roles import Permission

FORMATS = ("md", "csv", "pdf")


def export_folder(desk: Desk) -> Path:
    """Where the console writes documents: ``exports/`` next to the database."""
    return desk.db_path.parent / "exports"


async def write_exports(
    ctx: DeskContext,
    document: Document,
    stem: str,
    formats: Sequence[str],
    action: str,
    obj: str,
) -> list[Path]:
    """Write ``document`` as ``exports/<stem>.<format>`` for each of ``formats`` (in that
    order); returns the paths. Raises PermissionDenied for a role that may not export."""
    user, audit = ctx.user, ctx.desk.audit
    if user is None:
        return []
    await require_audited(audit, user, [Permission.EXPORT_RECORDS], action, [obj])
    folder = export_folder(ctx.desk)
    written = [folder / f"{stem}.{fmt}" for fmt in formats]

    def write_text() -> None:
        private_dir(folder)
        for path in written:
            if path.suffix == ".md":
                write_private(path, to_markdown(document))
            elif path.suffix == ".csv":  # CRLF kept as CSV wants it; BOM for Excel
                write_private(path, to_csv_document(document))

    await asyncio.to_thread(write_text)
    for path in written:
        if path.suffix == ".pdf":
            await asyncio.to_thread(to_pdf, document, path)
    await audit.record(user.name, action, obj, detail={"files": [path.name for path in written]})
    return written

"""A Document as Markdown (GitHub-flavoured tables): what a supervisor pastes or files."""

from __future__ import annotations

from data.exports.document import Document, Table
from data.i18n import t


def cell(text: str) -> str:
    """One table cell: pipes escaped, line breaks as <br> (a Markdown row is one line)."""
    flat = text.replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(line.strip() for line in flat.splitlines()) or " "


def table(data: Table) -> str:
    lines = [
        "| " + " | ".join(cell(c) for c in data.columns) + " |",
        "|" + "|".join(" --- " for _ in data.columns) + "|",
    ]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in data.rows]
    return "\n".join(lines)


def to_markdown(doc: Document) -> str:
    parts = [f"# {doc.title}"]
    if doc.subtitle:
        parts.append(f"**{doc.subtitle}**")
    if doc.meta:
        parts.append("\n".join(f"- {key}: {value}" for key, value in doc.meta))
    for section in doc.sections:
        if section.heading.strip():  # a document of one table has no heading over it
            parts.append(f"## {section.heading}")
        parts += [p for p in section.paragraphs if p.strip()]
        if section.table is not None and section.table.columns:
            parts.append(table(section.table))
    if doc.signatures:
        blank = "_" * 16
        lines = [
            f"{t('export.sign_line', role=role)} {blank}　{t('export.sign_date')} {blank}"
            for role in doc.signatures
        ]
        parts.append("\n\n".join(lines))
    return "\n\n".join(parts) + "\n"

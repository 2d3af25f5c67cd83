"""A Document as a printable A4 PDF (reportlab platypus) that renders Chinese.

Layout: the site's name (the subtitle) over the title, the metadata as a two-column
block, then each section's heading, paragraphs and table. Tables wrap their cells (CJK
text breaks between any two characters), split across pages and repeat their header
row. The document ends with a signature line and a date line for each signer. Every
page carries the site's name and "page n" at the foot.
"""

from __future__ import annotations

import unicodedata
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from data.exports import document as doc_model
from data.exports.fonts import PdfFont, find_font
from data.i18n import t
from data.paths import write_private

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
MAX_COLUMN_WEIGHT = 40  # a long text column gets no more share than 40 narrow characters
MIN_COLUMN_WEIGHT = 4


class Styles:
    def __init__(self, font: str) -> None:
        base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
        self.body = base
        self.cell = ParagraphStyle("cell", base, fontSize=8.5, leading=11)
        self.head = ParagraphStyle("head", self.cell, textColor=colors.white)
        self.site = ParagraphStyle("site", base, fontSize=12, leading=16, alignment=1)
        self.title = ParagraphStyle(
            "title", base, fontSize=18, leading=24, alignment=1, spaceAfter=4 * mm
        )
        self.heading = ParagraphStyle(
            "heading",
            base,
            fontSize=13,
            leading=18,
            spaceBefore=5 * mm,
            spaceAfter=2 * mm,
            keepWithNext=1,
        )
        self.lead = ParagraphStyle("lead", base, keepWithNext=1)  # text right above a table
        self.meta = ParagraphStyle("meta", base, fontSize=9.5, leading=13)


def text(value: str) -> str:
    """Plain text made safe for a Paragraph: markup escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in value.splitlines()) or "&nbsp;"


def display_width(value: str) -> int:
    """Columns the text takes: CJK (wide) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def column_widths(data: doc_model.Table, width: float = WIDTH) -> list[float]:
    """Share the width by each column's widest line (within bounds), so a long text
    column gets room and a narrow number column does not waste it."""
    weights = []
    for index, header in enumerate(data.columns):
        cells = [header, *(row[index] for row in data.rows)]
        widest = max(display_width(line) for c in cells for line in (c.splitlines() or [""]))
        weights.append(min(max(widest, MIN_COLUMN_WEIGHT), MAX_COLUMN_WEIGHT))
    total = sum(weights)
    return [width * weight / total for weight in weights]


def table_flowable(data: doc_model.Table, styles: Styles) -> Table:
    rows = [[Paragraph(text(c), styles.head) for c in data.columns]]
    rows += [[Paragraph(text(c), styles.cell) for c in row] for row in data.rows]
    table = Table(rows, colWidths=column_widths(data), repeatRows=1, splitByRow=True)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#3a4a5c")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f0f3f6")]),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a96a3")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _meta(pairs: Sequence[tuple[str, str]], styles: Styles) -> Table:
    rows = [[Paragraph(text(k), styles.meta), Paragraph(text(v), styles.meta)] for k, v in pairs]
    table = Table(rows, colWidths=[WIDTH * 0.25, WIDTH * 0.75])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)])
    )
    return table


def _signatures(signers: Sequence[str], styles: Styles) -> Flowable:
    rows = [
        [
            Paragraph(text(t("export.sign_line", role=signer)), styles.body),
            "",
            Paragraph(text(t("export.sign_date")), styles.body),
            "",
        ]
        for signer in signers
    ]
    table = Table(rows, colWidths=[WIDTH * 0.2, WIDTH * 0.35, WIDTH * 0.17, WIDTH * 0.28])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 10),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    return KeepTogether([Spacer(1, 10 * mm), table])


def story(doc: doc_model.Document, styles: Styles) -> list[Flowable]:
    parts: list[Flowable] = []
    if doc.subtitle:
        parts.append(Paragraph(text(doc.subtitle), styles.site))
    parts.append(Paragraph(text(doc.title), styles.title))
    if doc.meta:
        parts.append(_meta(doc.meta, styles))
    for section in doc.sections:
        parts.append(Paragraph(text(section.heading), styles.heading))
        style = styles.body if section.table is None else styles.lead
        parts += [Paragraph(text(p), style) for p in section.paragraphs if p.strip()]
        if section.table is not None and section.table.columns:
            if section.paragraphs:
                parts.append(Spacer(1, 2 * mm))
            parts.append(table_flowable(section.table, styles))
    if doc.signatures:
        parts.append(_signatures(doc.signatures, styles))
    return parts


def to_pdf(
    doc: doc_model.Document, path: str | Path, font_path: str | Path | None = None
) -> PdfFont:
    """Write ``doc`` to ``path``; returns the font used (``embedded`` False means the
    viewer's own Song face will stand in)."""
    font = find_font(font_path)
    styles = Styles(font.name)
    footer = doc.subtitle or doc.title

    def decorate(canvas: Canvas, _: Any) -> None:
        canvas.saveState()
        canvas.setFont(font.name, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, 10 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, t("export.page", n=canvas.getPageNumber()))
        canvas.restoreState()

    pages = io.BytesIO()  # built whole first: a failed build leaves no half-written file
    template = SimpleDocTemplate(
        pages,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=" ".join(x for x in (doc.subtitle, doc.title) if x),
        author="dutydesk",
        creator="dutydesk",
    )
    template.build(story(doc, styles), onFirstPage=decorate, onLaterPages=decorate)
    write_private(Path(path), pages.getvalue())
    return font

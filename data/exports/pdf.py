"""A Document as a printable A4 PDF (reportlab platypus) that renders Chinese.

Layout: the site's name (the subtitle) over the title, the metadata as a two-column
block, then each section's heading, paragraphs and table. Columns are sized from their
content and cells wrapped at word boundaries (data.exports.pdf_layout); a document with
a table too wide for portrait A4 is printed landscape, in a smaller type if it must.
Tables split across pages and repeat their header row. The document ends with a
signature line and a date line for each signer. Every page carries the site's name and
"page n" at the foot.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
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
from data.exports.pdf_layout import CELL_PADDING, Measure, column_needs, fits, share, wrap
from data.i18n import t
from data.paths import write_private

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
WIDE_WIDTH = A4[1] - 2 * MARGIN
CELL_SIZES = (8.5, 7.5, 6.5)  # points: a wide table steps down before its words are cut


class Styles:
    def __init__(self, font: str, width: float = WIDTH) -> None:
        base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
        self.font = font
        self.width = width  # of the frame the story is laid out in
        self.body = base
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

    def cell(self, size: float, head: bool = False) -> ParagraphStyle:
        return ParagraphStyle(
            "head" if head else "cell",
            self.body,
            fontSize=size,
            leading=round(size * 1.3, 1),
            textColor=colors.white if head else colors.black,
        )


def text(value: str) -> str:
    """Plain text made safe for a Paragraph: markup escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in value.splitlines()) or "&nbsp;"


def wrapped(value: str, width: float, style: ParagraphStyle) -> Paragraph:
    """``value`` broken into lines of ``width`` points by our rules, not reportlab's."""
    lines = wrap(value, width, Measure(style.fontName, style.fontSize))
    return Paragraph(text("\n".join(lines)), style)


@dataclass(frozen=True)
class TableLayout:
    size: float  # the type size of the cells
    widths: list[float]  # of the columns, in points, summing to the frame's width
    fitted: bool  # False: even the smallest type needs long words cut


def _cells(data: doc_model.Table) -> list[list[str]]:
    return [
        [header, *(row[index] for row in data.rows)] for index, header in enumerate(data.columns)
    ]


def table_layout(data: doc_model.Table, font: str, width: float) -> TableLayout:
    """The largest type in which every column keeps its words whole within ``width``."""
    columns = _cells(data)
    for size in CELL_SIZES:
        needs = [column_needs(cells, Measure(font, size)) for cells in columns]
        if fits(needs, width):
            return TableLayout(size, share(needs, width), True)
    return TableLayout(size, share(needs, width), False)


def column_widths(data: doc_model.Table, width: float, font: str) -> list[float]:
    return table_layout(data, font, width).widths


def page_size(doc: doc_model.Document, font: str) -> tuple[float, float]:
    """Portrait A4, or landscape if a table does not fit portrait in the normal type."""
    for section in doc.sections:
        if section.table is None or not section.table.columns:
            continue
        needs = [
            column_needs(cells, Measure(font, CELL_SIZES[0])) for cells in _cells(section.table)
        ]
        if not fits(needs, WIDTH):
            return landscape(A4)
    return A4


def table_flowable(data: doc_model.Table, styles: Styles) -> Table:
    plan = table_layout(data, styles.font, styles.width)
    head, body = styles.cell(plan.size, head=True), styles.cell(plan.size)
    inner = [w - 2 * CELL_PADDING for w in plan.widths]
    rows = [[wrapped(c, w, head) for c, w in zip(data.columns, inner, strict=True)]]
    rows += [[wrapped(c, w, body) for c, w in zip(row, inner, strict=True)] for row in data.rows]
    table = Table(rows, colWidths=plan.widths, repeatRows=1, splitByRow=True)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#3a4a5c")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f0f3f6")]),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a96a3")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _meta(pairs: Sequence[tuple[str, str]], styles: Styles) -> Table:
    widths = [styles.width * 0.25, styles.width * 0.75]
    pad = 2 * CELL_PADDING
    rows = [
        [wrapped(k, widths[0] - pad, styles.meta), wrapped(v, widths[1] - pad, styles.meta)]
        for k, v in pairs
    ]
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
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
    table = Table(rows, colWidths=[styles.width * share for share in (0.2, 0.35, 0.17, 0.28)])
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
        if section.heading.strip():
            parts.append(Paragraph(text(section.heading), styles.heading))
        style = styles.body if section.table is None else styles.lead
        parts += [wrapped(p, styles.width, style) for p in section.paragraphs if p.strip()]
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
    pagesize = page_size(doc, font.name)
    styles = Styles(font.name, pagesize[0] - 2 * MARGIN)
    footer = doc.subtitle or doc.title

    def decorate(canvas: Canvas, _: Any) -> None:
        canvas.saveState()
        canvas.setFont(font.name, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, 10 * mm, footer)
        canvas.drawRightString(
            pagesize[0] - MARGIN, 10 * mm, t("export.page", n=canvas.getPageNumber())
        )
        canvas.restoreState()

    pages = io.BytesIO()  # built whole first: a failed build leaves no half-written file
    template = SimpleDocTemplate(
        pages,
        pagesize=pagesize,
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

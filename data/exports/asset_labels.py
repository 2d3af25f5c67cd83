"""An A4 sheet of asset labels: per device its asset number, name, rack/U and a QR code
of the asset number, three across and eight down (70 x 37 mm, the common A4 label stock
layout), more pages as needed. Drawn with reportlab's own QR widget: no new dependency.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from data.exports.fonts import PdfFont, find_font
from data.paths import write_private
from data.records.assets.model import AssetRecord

COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = A4[0] / COLUMNS, A4[1] / ROWS
QR_SIZE = 28 * mm
PAD = 3 * mm


def qr_drawing(text: str, size: float = QR_SIZE) -> Drawing:
    """``text`` as a QR code drawing ``size`` points square."""
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    """``text`` cut to ``width`` points, with an ellipsis when cut."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _label(canvas: Canvas, asset: AssetRecord, x: float, y: float, font: str) -> None:
    renderPDF.draw(qr_drawing(asset.asset_number), canvas, x + PAD, y + (LABEL_H - QR_SIZE) / 2)
    left = x + PAD * 2 + QR_SIZE
    width = LABEL_W - (left - x) - PAD
    top = y + LABEL_H - PAD - 10
    lines = (
        (asset.asset_number, 10),
        (asset.device_name, 8.5),
        (asset.place, 8.5),
        (asset.device_id, 7),
    )
    for text, size in lines:
        canvas.setFont(font, size)
        canvas.drawString(left, top, _fit(canvas, text, font, size, width))
        top -= size + 4


def asset_labels_pdf(
    assets: Sequence[AssetRecord], path: str | Path, font_path: str | Path | None = None
) -> PdfFont:
    """Write the labels of ``assets`` (those with an asset number) to ``path``."""
    font = find_font(font_path)
    pages = io.BytesIO()  # built whole first: a failed build leaves no half-written file
    canvas = Canvas(pages, pagesize=A4)
    canvas.setTitle("asset labels")
    canvas.setCreator("dutydesk")
    labelled = [asset for asset in assets if asset.asset_number]
    per_page = COLUMNS * ROWS
    for index, asset in enumerate(labelled):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        column, row = slot % COLUMNS, slot // COLUMNS
        _label(canvas, asset, column * LABEL_W, A4[1] - (row + 1) * LABEL_H, font.name)
    canvas.showPage()
    canvas.save()
    write_private(Path(path), pages.getvalue())
    return font

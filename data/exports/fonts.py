"""The font a PDF export writes Chinese in.

A TrueType CJK font is embedded (reportlab subsets it: only the characters used go into
the file) so the PDF reads the same on any machine, including an intranet terminal with
no Chinese fonts. Looked for, in order: the path the site configures (or
``$DUTYDESK_PDF_FONT``), then common places on Debian/Ubuntu, other Linux, Windows and
macOS. Noto CJK and Source Han are CFF-based OpenType, which reportlab cannot embed:
they are skipped. With none found, reportlab's built-in CID font ``STSong-Light`` is
used: it is not embedded, so the viewer substitutes a Song face of its own (Adobe Reader
and most Chinese viewers do; text extraction still works).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from data.errors import DutyDeskError

FONT_ENV = "DUTYDESK_PDF_FONT"
FALLBACK_CID = "STSong-Light"
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora, Arch
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)


class FontError(DutyDeskError):
    """The configured font file cannot be used (missing, or not an embeddable TrueType
    font: CFF-based OpenType such as Noto CJK is not)."""

    code = "pdf_font_unusable"


@dataclass(frozen=True)
class PdfFont:
    name: str  # the name registered with reportlab
    embedded: bool
    path: Path | None  # None for the built-in CID font


_registered: dict[Path, PdfFont] = {}


def _load(path: Path) -> PdfFont:
    """Register the TrueType font at ``path`` (the first face of a .ttc collection)."""
    path = path.expanduser().resolve()
    if path in _registered:
        return _registered[path]
    name = f"DutyDeskCJK-{len(_registered)}"
    pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    _registered[path] = found = PdfFont(name, True, path)
    return found


def find_font(configured: str | Path | None = None) -> PdfFont:
    """The font to write with: the configured one (an error if unusable), else the first
    usable candidate, else the built-in CID font."""
    chosen = configured or os.environ.get(FONT_ENV) or None
    if chosen:
        path = Path(chosen)
        try:
            return _load(path)
        except (OSError, TTFError) as exc:
            raise FontError(f"the PDF font {path} cannot be used: {exc}", path=str(path)) from exc
    for candidate in CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            try:
                return _load(path)
            except (OSError, TTFError):
                continue  # e.g. CFF outlines: try the next one
    if FALLBACK_CID not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID))
    return PdfFont(FALLBACK_CID, False, None)

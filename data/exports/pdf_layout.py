"""Where the lines of a PDF table cell break, and how wide each column is.

reportlab's own CJK wrapping breaks between any two characters, numbers and Latin words
included ("正/常", "100.0/0%"), and a Table given more columns than fit hands its cells a
negative width and fails. So the PDF writer wraps every cell itself, and sizes columns
from their content, as a browser lays out a table:

- a line breaks at spaces and between Chinese characters, never inside a number or a
  Latin word; a short word (up to ``SHORT`` display columns: a status such as 正常, a
  time, a percentage, 8 Chinese characters) is never split at all;
- a column is at least as wide as its widest unbreakable word and at most as wide as
  its widest line; the room left is shared by how much more each column would use;
- only a long run with no break in it (a hash, a JSON blob) is cut where the line ends.

Widths are measured with the font the PDF is written in (reportlab's stringWidth).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

SHORT = 16  # display columns (a Chinese character counts two) of a word never split
NARROWEST_TEXT = 8  # display columns a column of long sentences keeps at least
CELL_PADDING = 3.0  # points left and right of a cell's text
_FUZZ = 0.5  # points kept free on a line, so reportlab never re-wraps one we measured
# Closing marks never start a line, opening marks never end one (GB/T 15834 line rules).
_CLOSING = set("，。、；：？！）》」』】〕…—％,.;:?!)]}%")
_OPENING = set("（《「『【〔([{")


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def display_width(text: str) -> int:
    """Columns the text takes: CJK (wide) characters count two."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


@dataclass(frozen=True)
class Measure:
    """Text widths in points in one font at one size."""

    font: str
    size: float

    def width(self, text: str) -> float:
        return float(stringWidth(text, self.font, self.size))


def pieces(word: str) -> list[str]:
    """The parts of a space-free word between which a line may break: the whole word if
    it is short, else each Chinese character and each run of other characters, with
    closing punctuation kept after what it closes and opening punctuation before what
    it opens."""
    if display_width(word) <= SHORT:
        return [word]
    runs: list[str] = []
    for char in word:
        if runs and not is_wide(char) and not is_wide(runs[-1][-1]):
            runs[-1] += char  # Latin letters, digits and their punctuation stay together
        else:
            runs.append(char)
    merged: list[str] = []
    glue_next = False
    for run in runs:
        if merged and (glue_next or run[0] in _CLOSING):
            merged[-1] += run
        else:
            merged.append(run)
        glue_next = run[-1] in _OPENING
    return merged


def _words(text: str) -> Iterator[str]:
    for line in text.splitlines():
        yield from line.split()


def wrap(text: str, width: float, measure: Measure) -> list[str]:
    """``text`` as lines no wider than ``width`` points (its own line breaks kept)."""
    limit = width - _FUZZ + 1e-6  # a column sized to a word's width holds the word
    out: list[str] = []
    for source in text.splitlines() or [""]:
        line = ""
        for word in source.split():
            for index, piece in enumerate(pieces(word)):
                joined = line + (" " if index == 0 and line else "") + piece
                if measure.width(joined) <= limit:
                    line = joined
                    continue
                if line:
                    out.append(line)
                line = piece
                while measure.width(line) > limit and len(line) > 1:
                    cut = _fitting(line, limit, measure)
                    out.append(line[:cut])
                    line = line[cut:]
        out.append(line)
    return out


def _fitting(text: str, limit: float, measure: Measure) -> int:
    """How many leading characters of ``text`` fit in ``limit`` (at least one)."""
    count = 1
    while count < len(text) and measure.width(text[: count + 1]) <= limit:
        count += 1
    return count


@dataclass(frozen=True)
class ColumnNeeds:
    """What a column needs, padding included: ``least`` keeps every unbreakable word
    whole, ``most`` puts every line of every cell on one line."""

    least: float
    most: float


def column_needs(cells: Sequence[str], measure: Measure) -> ColumnNeeds:
    least = most = 0.0
    for cell in cells:
        for line in cell.splitlines():
            most = max(most, measure.width(line.strip()))
        for word in _words(cell):
            for piece in pieces(word):
                if display_width(piece) > SHORT:  # a long unbroken run: cut if needed
                    piece = _leading(piece, SHORT)
                least = max(least, measure.width(piece))
        if display_width(cell) > SHORT:  # long text: not one character to a line
            least = max(least, min(measure.width("国" * (NARROWEST_TEXT // 2)), most))
    pad = 2 * CELL_PADDING + _FUZZ
    return ColumnNeeds(least + pad, max(most, least) + pad)


def _leading(text: str, columns: int) -> str:
    """The start of ``text`` that takes ``columns`` display columns."""
    taken = 0
    for index, char in enumerate(text):
        taken += 2 if is_wide(char) else 1
        if taken > columns:
            return text[:index]
    return text


def fits(needs: Sequence[ColumnNeeds], width: float) -> bool:
    return sum(n.least for n in needs) <= width


def share(needs: Sequence[ColumnNeeds], width: float) -> list[float]:
    """Column widths summing to ``width``: each column's ``most`` if all fit, the room
    left shared in proportion to it; else each its ``least`` plus a share of the rest by
    how much more it would use; if even the least does not fit, the least scaled down
    (long words are then cut)."""
    most = sum(n.most for n in needs)
    if most <= width:
        return [n.most * width / most for n in needs]
    least = sum(n.least for n in needs)
    if least > width:
        return [n.least * width / least for n in needs]
    wanting = most - least
    return [n.least + (n.most - n.least) * (width - least) / wanting for n in needs]

"""A Table as CSV that Excel and WPS open with Chinese intact.

RFC 4180: fields separated by commas, records ended by CRLF, a field holding a comma,
quote or line break is quoted and its quotes doubled. The text starts with a UTF-8 byte
order mark: without it Excel on a Chinese Windows reads the file as GBK and shows
mojibake. Write the result with ``newline=""`` (or as bytes) so CRLF stays CRLF.
"""

from __future__ import annotations

import csv
import io

from data.exports.document import Document, Table

BOM = "\ufeff"
# Cells starting with these are run as formulas by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Neutralise a leading formula character with an apostrophe, as OWASP advises;
    plain numbers (e.g. -3.5) are left alone."""
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(table: Table, bom: bool = True) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(c) for c in table.columns])
    writer.writerows([safe_cell(c) for c in row] for row in table.rows)
    return (BOM if bom else "") + buffer.getvalue()


def to_csv_bytes(table: Table) -> bytes:
    return to_csv(table).encode("utf-8")


def to_csv_document(doc: Document) -> str:
    """Every table of a document in one CSV file, as a spreadsheet user reads it: the
    title, then per section a row with its heading, its table, and an empty row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(" ".join(x for x in (doc.subtitle, doc.title) if x))])
    writer.writerows([safe_cell(key), safe_cell(value)] for key, value in doc.meta)
    for section in doc.sections:
        if section.table is None:
            continue
        writer.writerow([])
        if section.heading.strip():
            writer.writerow([safe_cell(section.heading)])
        writer.writerow([safe_cell(c) for c in section.table.columns])
        writer.writerows([safe_cell(c) for c in row] for row in section.table.rows)
    return BOM + buffer.getvalue()

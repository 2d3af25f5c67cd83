"""A printable document as plain data: the one shape every export writer renders.

Record services build a `Document`; `to_markdown`, `to_csv` (one table) and `to_pdf`
render it. The classes are frozen so a document built once can be handed to several
writers without any of them changing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """A grid of text cells; every row has as many cells as there are columns."""

    columns: list[str]
    rows: list[list[str]]

    def __post_init__(self) -> None:
        width = len(self.columns)
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"table row {index} has {len(row)} cells, expected {width}")


@dataclass(frozen=True)
class Section:
    """A heading, then paragraphs of text, then an optional table."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None


@dataclass(frozen=True)
class Document:
    """Title, subtitle (usually the site's name), key/value metadata, sections, signatures.

    `signatures` are the roles that sign on paper (e.g. "值班员", "审核人"); writers print a
    signature line and a date line for each.
    """

    title: str
    subtitle: str = ""
    meta: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)

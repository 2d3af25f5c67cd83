"""A DataTable of records keyed by their id, styled through component classes."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable


class RecordTable(DataTable[Text]):
    """Rows are added with ``key=str(record id)``; ``current_id`` is the row under the cursor.
    Subclasses name their component classes ``<STYLE_PREFIX>--<name>`` in DEFAULT_CSS."""

    STYLE_PREFIX = "record-table"

    def _style(self, name: str) -> Style:
        try:
            return self.get_component_rich_style(f"{self.STYLE_PREFIX}--{name}", partial=True)
        except KeyError:
            return Style()

    @property
    def current_id(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

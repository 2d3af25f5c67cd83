"""The alarm list: one row per alarm, most severe and oldest first, with marks for a mass
acknowledgement.

It takes plain ``AlarmRow``s (the alarms screen builds them from Alarm records) and never
reads the store; the screen listens for ``AlarmList.Opened`` and asks ``selected_ids()``.
Severity is a glyph and a word, not a colour alone; acknowledged rows are dimmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from data.i18n import t
from widgets.record_table import RecordTable

GLYPHS = {"CRITICAL": "✖", "UNKNOWN": "?", "WARNING": "▲"}
MARK = "●"
COLUMNS = ("mark", "severity", "age", "device", "check", "message", "since", "attempts",
           "ack_by", "until")  # fmt: skip
MESSAGE_WIDTH = 40


@dataclass(frozen=True)
class AlarmRow:
    """One alarm as shown: every text already in the site's language and time zone."""

    alarm_id: int
    device_id: str
    device_name: str
    check_id: str
    severity: str  # CRITICAL, UNKNOWN or WARNING
    message: str
    since: str
    age: str
    attempts: str  # "3/3" (the check's attempt of its maximum) live, the stored count after
    ack_by: str  # "" when not acknowledged
    ack_until: str  # "" when not acknowledged; "until recovery" for a sticky ack
    sticky: bool
    flapping: bool
    reraised: int  # acks that expired or were withdrawn: the alarm is loud again
    cleared: str  # "" while active


def attempts_text(attempt: int, max_attempts: int) -> str:
    """A check's failed attempts of its maximum, as the alarm list and the device detail
    both show them."""
    return f"{attempt}/{max_attempts}"


def format_age(seconds: float) -> str:
    """Coarse and short: 45s, 12m, 3h05m, 2d4h."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if hours == 0:
        return f"{minutes}m"
    if days == 0:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{days}d{hours % 24}h"


class AlarmList(RecordTable):
    STYLE_PREFIX = "alarm-list"

    """The table. ``space`` marks a row for a mass action; ``enter`` opens its device."""

    BINDINGS = [
        Binding("enter", "open", "alarms.open", id="alarms.open"),
        Binding("space", "toggle_mark", "alarms.mark", id="alarms.mark"),
    ]
    COMPONENT_CLASSES = {"alarm-list--critical", "alarm-list--unknown", "alarm-list--warning",
                         "alarm-list--acked"}  # fmt: skip
    DEFAULT_CSS = """
    AlarmList { height: 1fr; }
    AlarmList > .alarm-list--critical { color: $error; text-style: bold; }
    AlarmList > .alarm-list--unknown { color: $secondary; text-style: bold; }
    AlarmList > .alarm-list--warning { color: $warning; text-style: bold; }
    AlarmList > .alarm-list--acked { color: $text-muted; }
    """

    class Opened(Message):
        def __init__(self, alarm_id: int, device_id: str) -> None:
            super().__init__()
            self.alarm_id = alarm_id
            self.device_id = device_id

    def __init__(self, *, history: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_by_id: dict[int, AlarmRow] = {}
        self.marked: set[int] = set()
        self.history = history

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        names = [*COLUMNS, "cleared"] if self.history else list(COLUMNS)
        for name in names:
            self.add_column(t(f"alarms.col.{name}"), key=name)

    def set_rows(self, rows: Iterable[AlarmRow], *, history: bool | None = None) -> None:
        """Show ``rows`` in order; the cursor stays on the same alarm, marks on rows that
        are still listed."""
        current = self.current_id
        rows = list(rows)
        switch = history is not None and history != self.history
        self.clear(columns=switch)
        if switch:
            self.history = not self.history
            self._add_columns()
        self.rows_by_id = {row.alarm_id: row for row in rows}
        self.marked &= set(self.rows_by_id)
        for row in rows:
            self.add_row(*self._cells(row), key=str(row.alarm_id))
        if current in self.rows_by_id:
            self.move_cursor(row=self.get_row_index(str(current)), animate=False)

    def _cells(self, row: AlarmRow) -> list[Text]:
        acked = bool(row.ack_by)
        look = self._style("acked" if acked else row.severity.lower())
        plain = self._style("acked") if acked else Style()
        severity = f"{GLYPHS.get(row.severity, '?')} {t('wall.state.' + row.severity.lower())}"
        if row.flapping:
            severity += " ~"
        if row.reraised:
            severity += f" ↻{row.reraised}"
        message = row.message if len(row.message) <= MESSAGE_WIDTH else (
            row.message[: MESSAGE_WIDTH - 1] + "…")  # fmt: skip
        until = f"∞ {row.ack_until}" if row.sticky and acked else row.ack_until
        cells = [
            Text(MARK if row.alarm_id in self.marked else " "),
            Text(severity, style=look),
            Text(row.age, style=plain),
            Text(row.device_name, style=plain),
            Text(row.check_id, style=plain),
            Text(message, style=plain),
            Text(row.since, style=plain),
            Text(row.attempts, style=plain, justify="right"),
            Text(row.ack_by, style=plain),
            Text(until, style=plain),
        ]
        if self.history:
            cells.append(Text(row.cleared, style=plain))
        return cells

    def selected_ids(self) -> list[int]:
        """The marked alarms in list order, else the one under the cursor."""
        if self.marked:
            return [alarm_id for alarm_id in self.rows_by_id if alarm_id in self.marked]
        current = self.current_id
        return [current] if current is not None else []

    def action_toggle_mark(self) -> None:
        current = self.current_id
        if current is None:
            return
        self.marked ^= {current}
        self.update_cell(str(current), "mark", Text(MARK if current in self.marked else " "))
        if self.cursor_row < self.row_count - 1:
            self.move_cursor(row=self.cursor_row + 1)

    def action_open(self) -> None:
        current = self.current_id
        if current is not None:
            self.post_message(self.Opened(current, self.rows_by_id[current].device_id))

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
COLUMNS = (
    "mark",
    "severity",
    "age",
    "device",
    "check",
    "message",
    "since",
    "attempts",
    "ack_by",
    "until",
)
# Under NARROW_WIDTH (an 80x24 terminal) when and who come before the message, which the
# row's device detail shows in full anyway: the columns an 80-column screen keeps.
NARROW_COLUMNS = (
    "mark",
    "severity",
    "age",
    "device",
    "since",
    "ack_by",
    "until",
    "attempts",
    "check",
    "message",
)
NARROW_WIDTH = 120
NARROW_DEVICE_WIDTH = 12
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
    COMPONENT_CLASSES = {
        "alarm-list--critical",
        "alarm-list--unknown",
        "alarm-list--warning",
        "alarm-list--acked",
    }
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
        self.narrow = False

    def on_mount(self) -> None:
        self._add_columns()

    def on_resize(self) -> None:
        narrow = self.size.width < NARROW_WIDTH
        if narrow != self.narrow:
            self.narrow = narrow
            self.set_rows(list(self.rows_by_id.values()), relayout=True)

    def _columns(self) -> list[str]:
        names = list(NARROW_COLUMNS if self.narrow else COLUMNS)
        return [*names, "cleared"] if self.history else names

    def _add_columns(self) -> None:
        for name in self._columns():
            self.add_column(t(f"alarms.col.{name}"), key=name)

    def set_rows(
        self, rows: Iterable[AlarmRow], *, history: bool | None = None, relayout: bool = False
    ) -> None:
        """Show ``rows`` in order; the cursor stays on the same alarm, marks on rows that
        are still listed. ``relayout``: the columns change too (the width crossed
        NARROW_WIDTH)."""
        current = self.current_id
        rows = list(rows)
        switch = history is not None and history != self.history
        self.clear(columns=switch or relayout)
        if switch:
            self.history = not self.history
        if switch or relayout:
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
        message = (
            row.message
            if len(row.message) <= MESSAGE_WIDTH
            else (row.message[: MESSAGE_WIDTH - 1] + "…")
        )
        until = f"∞ {row.ack_until}" if row.sticky and acked else row.ack_until
        device = Text(row.device_name, style=plain)
        if self.narrow:
            device.truncate(NARROW_DEVICE_WIDTH, overflow="ellipsis")
        cells = {
            "mark": Text(MARK if row.alarm_id in self.marked else " "),
            "severity": Text(severity, style=look),
            "age": Text(row.age, style=plain),
            "device": device,
            "check": Text(row.check_id, style=plain),
            "message": Text(message, style=plain),
            "since": Text(row.since, style=plain),
            "attempts": Text(row.attempts, style=plain, justify="right"),
            "ack_by": Text(row.ack_by, style=plain),
            "until": Text(until, style=plain),
            "cleared": Text(row.cleared, style=plain),
        }
        return [cells[name] for name in self._columns()]

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

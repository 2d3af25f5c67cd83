"""The header line every screen shows: site, clock in the site's zone, operator, shift,
and the status (counts by state first, then the room, incidents, inspections).

The widget only draws what it is given; the app feeds it the time and the session. When
the line is wider than the terminal (80 columns, a long site name) it gives way in this
order: the date and seconds, the labels (值班员, 班次), the site name, and last the end
of the status, so the counts and the shift always show.
"""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from data.i18n import t

SEPARATOR = " · "


class DutyHeader(Widget):
    """One line: 机房名称 · 2026-11-27 19:30:05 · 值班员 张三 · 班次 夜班 · ✖1 ▲2 ✔30."""

    DEFAULT_CSS = """
    DutyHeader {
        height: 1;
        background: $primary;
        color: $text;
    }
    DutyHeader.-alert {
        background: $error;
        text-style: bold;
    }
    """

    site_name: reactive[str] = reactive("")
    now: reactive[dt.datetime | None] = reactive(None)
    operator: reactive[str] = reactive("")
    shift: reactive[str] = reactive("")
    status: reactive[str] = reactive("")  # counts, room, incidents: filled by later screens
    alert: reactive[str] = reactive("")  # e.g. records are not being saved: first, on red

    def watch_alert(self, alert: str) -> None:
        self.set_class(bool(alert), "-alert")

    def render(self) -> Text:
        width = self.size.width or 10_000  # not laid out yet: the full line
        for short_clock, labels in ((False, True), (True, True), (True, False)):
            line = self._line(self.site_name, short_clock, labels)
            if cell_len(line.plain) <= width:
                return line
        bare = self._line("", short_clock=True, labels=False)
        room = width - cell_len(bare.plain) - cell_len(SEPARATOR) - 1  # the site's spaces
        if room >= 4:  # what fits of the site name, else none of it
            site = Text(self.site_name)
            site.truncate(room, overflow="ellipsis")
            line = self._line(site.plain, short_clock=True, labels=False)
            if cell_len(line.plain) <= width:
                return line
        bare.truncate(width, overflow="ellipsis")  # the end of the status goes last
        return bare

    def _line(self, site_name: str, short_clock: bool, labels: bool) -> Text:
        parts = [Text(f" {self.alert} ", style="bold")] if self.alert else []
        if site_name:
            parts.append(Text(f" {site_name} ", style="bold"))
        if self.now is not None:
            clock = "%H:%M" if short_clock else "%Y-%m-%d %H:%M:%S"
            parts.append(Text(self.now.strftime(clock)))
        if self.operator:
            operator = t("header.operator", name=self.operator) if labels else self.operator
            parts.append(Text(operator))
        if self.shift:
            shift = t("header.shift", name=self.shift) if labels else self.shift
            parts.append(Text(shift))
        if self.status:
            parts.append(Text(self.status))
        line = Text(SEPARATOR).join(parts)
        return line if self.alert or site_name else Text(" ") + line

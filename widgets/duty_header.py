"""The header line every screen shows: site, clock in the site's zone, operator, shift,
the status (counts by state first, then the room, incidents, inspections), and who
watches the room when it is another process (``监视 serve@host 1秒``).

The widget only draws what it is given; the app feeds it the time and the session. When
the line is wider than the terminal (80 columns, a long site name) it gives way in this
order: the date and seconds, the labels (值班员, 班次), the site name, the watch's holder
(to its host), and last the end of the status, so the counts, the shift and the watch's
heartbeat always show. An alert (nobody watches, records not saved) comes first and is
never cut.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from data.i18n import t

SEPARATOR = " · "


@dataclass(frozen=True)
class WatchFigure:
    """Another process watches the room: its kind (serve, console), its host, and how
    many seconds ago it last beat."""

    kind: str
    host: str
    age_s: int

    def text(self, brief: bool = False) -> str:
        """``监视 serve@jf-mon.govnet 1秒``; brief: ``监视 jf-mon 1秒`` (the host alone, its
        first label: what an operator names the machine by)."""
        if brief:
            return t("header.watch_brief", host=self.host.split(".")[0], age=self.age_s)
        return t("header.watch", kind=self.kind, host=self.host, age=self.age_s)


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
    watched_by: reactive[WatchFigure | None] = reactive(None)  # last, never cut

    def watch_alert(self, alert: str) -> None:
        self.set_class(bool(alert), "-alert")

    def render(self) -> Text:
        width = self.size.width or 10_000  # not laid out yet: the full line
        for short_clock, labels in ((False, True), (True, True), (True, False)):
            line = self._line(self.site_name, self.status, short_clock, labels, brief_watch=False)
            if cell_len(line.plain) <= width:
                return line
        for brief_watch in (False, True):
            if (cut := self._without_site(width, brief_watch)) is not None:
                return cut
        # The end of the status goes last: what fits of it, the watch after it.
        fixed = self._line("", "")
        room = width - cell_len(fixed.plain) - cell_len(SEPARATOR)
        if self.status and room >= 1:
            status = Text(self.status)
            status.truncate(room, overflow="ellipsis")
            line = self._line("", status.plain)
            if cell_len(line.plain) <= width:
                return line
        line = self._line("", self.status)
        line.truncate(width, overflow="ellipsis")  # too narrow for all that: the alert first
        return line

    def _without_site(self, width: int, brief_watch: bool) -> Text | None:
        """What fits of the site name, or none of it; None when even that is too wide."""
        bare = self._line("", self.status, brief_watch=brief_watch)
        room = width - cell_len(bare.plain) - cell_len(SEPARATOR) - 1  # the site's spaces
        if room < 0:
            return None
        if room >= 4:
            site = Text(self.site_name)
            site.truncate(room, overflow="ellipsis")
            line = self._line(site.plain, self.status, brief_watch=brief_watch)
            if cell_len(line.plain) <= width:
                return line
        return bare if cell_len(bare.plain) <= width else None

    def _line(
        self,
        site_name: str,
        status: str,
        short_clock: bool = True,
        labels: bool = False,
        brief_watch: bool = True,
    ) -> Text:
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
        if status:
            parts.append(Text(status))
        if self.watched_by is not None:
            parts.append(Text(self.watched_by.text(brief=brief_watch)))
        line = Text(SEPARATOR).join(parts)
        return line if self.alert or site_name else Text(" ") + line

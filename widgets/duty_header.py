"""The header line every screen shows: site, clock in the site's zone, operator, shift.

The widget only draws what it is given; the app feeds it the time and the session.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from data.i18n import t


class DutyHeader(Widget):
    """One line: 机房名称 · 2026-11-27 19:30:05 · 值班员 张三 · 当前班次 夜班."""

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
        parts = [Text(f" {self.alert} ", style="bold")] if self.alert else []
        parts.append(Text(f" {self.site_name} ", style="bold"))
        if self.now is not None:
            parts.append(Text(self.now.strftime("%Y-%m-%d %H:%M:%S")))
        if self.operator:
            parts.append(Text(t("header.operator", name=self.operator)))
        if self.shift:
            parts.append(Text(t("header.shift", name=self.shift)))
        if self.status:
            parts.append(Text(self.status))
        return Text(" · ").join(parts)

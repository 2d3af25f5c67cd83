"""How the incidents section shows an incident: the list row with its response clock, the
details with the timeline, and the past fixes offered for it.

The response clock is a glyph and a word as well as a theme colour (breached ✖, close to
the deadline ⚠, within target ◷, met ✔), so it reads on a monochrome terminal too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from rich.style import Style
from rich.text import Text

from data.calendar import ResponseStatus
from data.exports.formatting import NONE, duration
from data.i18n import t
from data.records.incidents.model import Incident
from data.records.incidents.search import SimilarIncident
from widgets.alarm_list import format_age
from widgets.record_table import RecordTable

# The response clock and the title first: the rest may scroll off a narrow terminal.
COLUMNS = ("id", "severity", "status", "clock", "title", "device", "reported", "category", "vendor")
TITLE_CELLS = 20  # terminal cells (a Chinese character takes two)
DEVICE_CELLS = 18
SEVERITY_GLYPHS = {"critical": "✖", "major": "▲", "minor": "●"}
CLOCK_GLYPHS = {
    ResponseStatus.BREACHED: "✖",
    ResponseStatus.AT_RISK: "⚠",
    ResponseStatus.OPEN: "◷",
    ResponseStatus.MET: "✔",
}


def clock_text(incident: Incident, now: dt.datetime) -> tuple[str, ResponseStatus]:
    """The response clock as a short text: time left, time over, or how fast it was met."""
    status, remaining = incident.response(now)
    glyph = CLOCK_GLYPHS[status]
    if status is ResponseStatus.MET:
        return f"{glyph} {format_age(_seconds(incident.time_to_respond))}", status
    late = format_age(-remaining.total_seconds())
    if status is ResponseStatus.BREACHED:
        key = "incidents.clock.late" if incident.responded_at else "incidents.clock.over"
        return f"{glyph} {t(key, t=late)}", status
    return f"{glyph} {t('incidents.clock.left', t=format_age(remaining.total_seconds()))}", status


def _seconds(delta: dt.timedelta | None) -> float:
    return delta.total_seconds() if delta is not None else 0.0


def local(moment: dt.datetime | None, tz: dt.tzinfo, fmt: str = "%m-%d %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment is not None else NONE


def severity_text(severity: str) -> str:
    return f"{SEVERITY_GLYPHS.get(severity, '?')} {t(f'incident.severity.{severity}')}"


def clipped(text: str, cells: int, style: Style) -> Text:
    """At most ``cells`` terminal cells of ``text``, an ellipsis where it was cut."""
    out = Text(text, style=style, no_wrap=True)
    out.truncate(cells, overflow="ellipsis")
    return out


class IncidentTable(RecordTable):
    STYLE_PREFIX = "incident-table"

    """Incidents, one row each, keyed by id; the response clock cell is coloured by state."""

    COMPONENT_CLASSES = {
        "incident-table--breached",
        "incident-table--at_risk",
        "incident-table--open",
        "incident-table--met",
        "incident-table--done",
    }
    DEFAULT_CSS = """
    IncidentTable > .incident-table--breached { color: $error; text-style: bold reverse; }
    IncidentTable > .incident-table--at_risk { color: $warning; text-style: bold; }
    IncidentTable > .incident-table--open { color: $text; }
    IncidentTable > .incident-table--met { color: $success; }
    IncidentTable > .incident-table--done { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.incidents: dict[int, Incident] = {}

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(t(f"incidents.col.{name}"), key=name)

    def show(
        self,
        incidents: Iterable[Incident],
        now: dt.datetime,
        tz: dt.tzinfo,
        names: Mapping[str, str],
    ) -> None:
        """Show ``incidents`` in order; the cursor stays on the incident it was on."""
        current = self.current_id
        self.clear()
        self.incidents = {incident.id: incident for incident in incidents}
        for incident in self.incidents.values():
            self.add_row(*self._cells(incident, now, tz, names), key=str(incident.id))
        if current in self.incidents:
            self.move_cursor(row=self.get_row_index(str(current)), animate=False)

    def _cells(
        self, incident: Incident, now: dt.datetime, tz: dt.tzinfo, names: Mapping[str, str]
    ) -> list[Text]:
        clock, status = clock_text(incident, now)
        plain = self._style("done") if not incident.unresolved else Style()
        device = names.get(incident.device_id or "", incident.device_id or NONE)
        if incident.check_id:
            device += f"/{incident.check_id}"
        cells = [
            Text(f"#{incident.id}", style=plain),
            Text(severity_text(incident.severity), style=plain),
            Text(t(f"incident.status.{incident.status}"), style=plain),
            Text(clock, style=self._style(status.value)),
            clipped(incident.title, TITLE_CELLS, plain),
            clipped(device, DEVICE_CELLS, plain),
            Text(local(incident.reported_at, tz), style=plain),
            Text(t(f"incident.category.{incident.category}"), style=plain),
            Text(incident.vendor_ticket or (incident.vendor or ""), style=plain),
        ]
        return cells


def details(incident: Incident, now: dt.datetime, tz: dt.tzinfo, device_name: str) -> Text:
    """Everything about one incident, then its timeline (oldest entry first)."""
    out = Text()
    out.append(f"#{incident.id} {incident.title}\n", style="bold")
    clock, _ = clock_text(incident, now)
    facts = [
        ("severity", severity_text(incident.severity)),
        ("status", t(f"incident.status.{incident.status}")),
        ("device", " / ".join(x for x in (device_name, incident.check_id) if x) or NONE),
        ("reported", f"{local(incident.reported_at, tz, '%Y-%m-%d %H:%M')} ({incident.opened_by})"),
        ("respond_by", f"{local(incident.respond_by, tz)} {clock}"),
    ]
    if incident.caller or incident.department or incident.phone:
        who = " ".join(x for x in (incident.department, incident.caller, incident.phone) if x)
        facts.append(("caller", who))
    if incident.vendor:
        vendor = " ".join(x for x in (incident.vendor, incident.vendor_contact) if x)
        ticket = incident.vendor_ticket or NONE
        answered = local(incident.vendor_responded_at, tz)
        facts.append(
            (
                "vendor",
                t(
                    "incidents.vendor_line",
                    vendor=vendor,
                    ticket=ticket,
                    at=local(incident.escalated_at, tz),
                    answered=answered,
                ),
            )
        )
    respond, resolve = duration(incident.time_to_respond), duration(incident.time_to_resolve)
    facts.append(("times", t("incidents.times", respond=respond, resolve=resolve)))
    for key, value in facts:
        out.append(f"{t(f'incidents.field.{key}')}: ", style="bold").append(f"{value}\n")
    if incident.description:
        out.append(f"{incident.description}\n")
    if incident.cause or incident.solution:
        out.append(f"{t('incidents.field.cause')}: ", style="bold").append(
            f"{incident.cause or NONE}\n"
        )
        out.append(f"{t('incidents.field.solution')}: ", style="bold").append(
            f"{incident.solution or NONE}\n"
        )
    out.append(f"{t('incidents.timeline')}\n", style="bold underline")
    for entry in incident.timeline:
        what = t(f"incident.entry.{entry.kind}")
        out.append(f"{local(entry.at, tz)} {entry.who} ", style="dim")
        out.append(f"{what}", style="bold").append(f" {entry.text}\n" if entry.text else "\n")
    return out


def past_fixes(found: Sequence[SimilarIncident], tz: dt.tzinfo) -> Text:
    """Resolved incidents like this one, each with its cause and solution."""
    out = Text()
    out.append(f"{t('incidents.similar')}\n", style="bold underline")
    if not found:
        out.append(t("incidents.similar_none"), style="dim")
    for item in found:
        incident = item.incident
        out.append(f"#{incident.id} {local(incident.reported_at, tz, '%Y-%m-%d')} ", style="bold")
        out.append(f"[{t(f'incidents.reason.{item.reason}')}] ", style="dim")
        out.append(f"{incident.title}\n")
        out.append(f"  {t('incidents.field.cause')}: {incident.cause or NONE}\n")
        out.append(f"  {t('incidents.field.solution')}: {incident.solution or NONE}\n")
    return out

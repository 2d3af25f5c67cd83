"""How the device detail screen draws each section: pure functions from records to Content.

Columns are padded by terminal cells (a Chinese character takes two), colours are theme
variables, and every state also has its glyph and word, as on the wall.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from textual.content import Content

from data.i18n import t
from data.models import Device, Site
from data.records.actions.model import ActionRun
from data.records.checks.model import TransitionRow
from data.records.incidents.model import Incident
from widgets.alarm_list import attempts_text
from widgets.readings import reading_text
from widgets.sparkline import sparkline
from widgets.tile_render import KIND_GLYPH, STATE_GLYPH

TREND_WIDTH = 24
WARRANTY_WARN_DAYS = 90
SEVERITY = ("OK", "WARNING", "UNKNOWN", "CRITICAL")  # least to most severe
STATE_STYLE = {
    "OK": "$success",
    "WARNING": "$warning",
    "CRITICAL": "$error bold",
    "UNKNOWN": "$text-muted",
    "UNREACHABLE": "$text-muted",
}
NONE = "—"
MESSAGE_CELLS = 60  # of a message in a table line; the whole of it is under "messages"
CHECK_COLUMNS = (
    ("device.col.check", 14),
    ("device.col.state", 9),
    ("device.col.value", 11),
    ("device.col.last", 8),
    ("device.col.next", 8),
    ("device.col.attempt", 5),
    ("device.col.trend", TREND_WIDTH),
)


@dataclass(frozen=True)
class CheckLine:
    """One check as the table shows it, from a live snapshot or the stored latest row."""

    check_id: str
    state: str
    value: float | None
    unit: str | None
    last: dt.datetime | None
    next: dt.datetime | None  # None when only the stored row is known
    attempt: int
    max_attempts: int
    stale: bool
    flapping: bool
    message: str


def cell(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` terminal cells, and a space."""
    return set_cell_size(text, width) + " "


def first_line(message: str, width: int = MESSAGE_CELLS) -> str:
    """A message on one table line: its first line, cut to ``width`` cells, with … when
    there is more (shown in full under the check messages)."""
    lines = message.strip().splitlines() or [""]
    line = lines[0]
    if len(lines) > 1 or cell_len(line) > width:
        return set_cell_size(line, width - 2).rstrip() + " …"
    return line


def when(moment: dt.datetime | None, tz: ZoneInfo, fmt: str = "%H:%M:%S") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment else NONE


def heading(key: str) -> Content:
    return Content.styled(t(key), "bold $accent")


def state_word(state: str) -> str:
    return f"{STATE_GLYPH[state]} {t('wall.state.' + state.lower())}"


def title(device: Device, state: str) -> Content:
    return Content.assemble(
        (f"{device.name}  ({device.id})  ", "bold"), (state_word(state), STATE_STYLE[state])
    )


def warranty(until: dt.date | None, today: dt.date) -> Content:
    """The date, marked when it has passed or ends within 90 days."""
    if until is None:
        return Content(NONE)
    days = (until - today).days
    if days < 0:
        mark = Content.styled(f"  ✖ {t('device.warranty_expired')}", "$error bold")
    elif days <= WARRANTY_WARN_DAYS:
        mark = Content.styled(f"  ▲ {t('device.warranty_soon', days=days)}", "$warning bold")
    else:
        mark = Content("")
    return Content(until.isoformat()) + mark


def facts(site: Site, device: Device, today: dt.date) -> Content:
    """Two columns of label and value: where the device is and what it is."""
    asset, where = device.asset, device.location
    zones = {z.id: z.name for z in site.zones}
    spots = (("room", where.room), ("row", where.row), ("rack", where.rack), ("u", where.u))
    place = " / ".join(f"{t('device.' + key)} {value}" for key, value in spots if value)
    pairs: list[tuple[str, Content | str | None]] = [
        ("device.kind", f"{KIND_GLYPH.get(device.kind, '')} {t('device.kinds.' + device.kind)}"),
        ("device.zone", zones.get(device.zone, device.zone)),
        ("device.host", device.host),
        ("device.location", place),
        ("device.depends_on", ", ".join(device.depends_on)),
        ("device.vendor", asset.vendor),
        ("device.model", asset.model),
        ("device.serial", asset.serial),
        ("device.warranty", warranty(asset.warranty_until, today)),
        ("device.support", asset.support),
        ("device.contact", asset.contact),
    ]
    out = Content("")
    for i, (key, value) in enumerate(pairs):
        shown = value if isinstance(value, Content) else Content(value or NONE)
        gap = "\n" if i % 2 else " " * max(2, 36 - shown.cell_length)
        out += Content.styled(cell(t(key), 12), "bold") + shown + gap
    return out.rstrip()


def checks_table(
    lines: Sequence[CheckLine | str], trends: dict[str, list[float | None]], tz: ZoneInfo
) -> Content:
    """Every check: state (with stale ◷ and flapping ↯ marks), value, last and next run,
    attempt of max, trend; a check with no result yet shows as pending."""
    out = heading("device.section.checks") + "\n"
    header = "".join(cell(t(key), width) for key, width in CHECK_COLUMNS)
    out += Content.styled(header + t("device.col.message"), "$text-muted")
    if not lines:
        return out + "\n" + Content(t("device.no_checks"))
    for line in lines:
        out += "\n"
        if isinstance(line, str):
            out += Content(cell(line, 14)) + Content.styled(t("device.pending"), "$text-muted")
            continue
        value = NONE if line.value is None else reading_text(line.value, line.unit)
        marks = ("◷" if line.stale else "") + ("↯" if line.flapping else "")
        history = trends.get(line.check_id, [])
        trend = sparkline(history, TREND_WIDTH) if any(v is not None for v in history) else ""
        out += Content.assemble(
            cell(line.check_id, 14),
            (cell(state_word(line.state) + marks, 9), STATE_STYLE[line.state]),
            cell(value, 11),
            cell(when(line.last, tz), 8),
            cell(when(line.next, tz), 8),
            cell(attempts_text(line.attempt, line.max_attempts), 5),
            (cell(trend, TREND_WIDTH), "$accent"),
            (first_line(line.message), "$text-muted"),
        )
    return out + "\n" + Content.styled(t("device.marks"), "$text-muted")


def check_messages(lines: Sequence[CheckLine | str]) -> Content | None:
    """The messages the table had to cut (several lines, or too long), in full; None when
    the table showed every message whole."""
    cut = [
        line
        for line in lines
        if isinstance(line, CheckLine) and first_line(line.message) != line.message.strip()
    ]
    if not cut:
        return None
    out = heading("device.section.messages")
    for line in cut:
        text = "\n".join("    " + part for part in line.message.strip().splitlines())
        out += Content.assemble("\n", (line.check_id, "bold"), "\n", (text, "$text-muted"))
    return out


def transitions(rows: Sequence[TransitionRow], tz: ZoneInfo) -> Content:
    out = heading("device.section.transitions")
    if not rows:
        return out + "\n" + Content(NONE)
    for row in rows:
        kind = t("device.hard") if row.hard else t("device.soft")
        out += Content.assemble(
            "\n",
            cell(when(row.at, tz, "%m-%d %H:%M:%S"), 14),
            cell(row.check_id, 14),
            (
                f"{state_word(row.from_state)} → {state_word(row.to_state)}",
                STATE_STYLE[row.to_state],
            ),
            f" ({kind}) ",
            (first_line(row.message), "$text-muted"),
        )
    return out


def incidents(found: Sequence[Incident] | None, tz: ZoneInfo) -> Content:
    """Past incidents of the device with their cause and solution (None: not available)."""
    out = heading("device.section.incidents")
    if not found:
        return out + "\n" + Content(NONE)
    for incident in found:
        out += Content.assemble(
            "\n",
            cell(when(incident.reported_at, tz, "%Y-%m-%d"), 10),
            cell(f"#{incident.id}", 5),
            cell(t(f"device.incident.{incident.status}"), 8),
            incident.title[:60],
        )
        if incident.cause or incident.solution:
            detail = t(
                "device.cause_solution",
                cause=incident.cause or NONE,
                solution=incident.solution or NONE,
            )
            out += Content.styled("\n    " + detail[:160], "$text-muted")
    return out


def actions(device: Device, runs: Sequence[ActionRun], tz: ZoneInfo) -> Content:
    """The device's actions with their exact commands, and their recent runs."""
    out = heading("device.section.actions")
    if not device.actions:
        return out + "\n" + Content(t("device.no_actions"))
    for action in device.actions:
        mark = "  ⚠ " + t("device.dangerous") if action.dangerous else ""
        out += Content.assemble(
            "\n",
            (cell(action.label, 20), "bold"),
            (action.command, "reverse"),
            (f"  [{', '.join(action.roles)}]{mark}", "$text-muted"),
        )
    out += "\n" + Content.styled(t("device.recent_runs"), "bold") + "  " + t("device.x_hint")
    if not runs:
        return out + "\n" + Content(NONE)
    for run in runs:
        status = NONE if run.exit_status is None else str(run.exit_status)
        style = "$success" if run.outcome == "ok" else "$error"
        out += Content.assemble(
            "\n",
            cell(when(run.started_at, tz, "%m-%d %H:%M:%S"), 14),
            cell(run.actor, 10),
            cell(run.action_id, 16),
            (cell(t(f"action.result.{run.outcome}"), 10), style),
            t("device.exit_status", status=status),
        )
    return out

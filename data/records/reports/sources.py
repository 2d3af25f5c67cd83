"""The figures of a service report, each read from where it lives.

Availability comes from check transitions (data.records.checks), with the device's
maintenance windows cut out and counted apart. Alarm figures come from the alarms table;
restart actions from the audit trail (rows ``action.run``, outcome ``ok`` or ``failed``).

Inspections and visitors are other engineers' records: they are read only when their
tables exist, through the few columns named here, so a report still works without them:

- ``inspections``: ``template_id``, ``template_name``, ``schedule`` (daily, weekly,
  monthly), ``period`` (its label: 2026-03-02, 2026-W10, 2026-03), ``seal_sha256`` (set
  once submitted), ``amends_id`` (amendments are not counted again).
- ``access_records``: ``kind`` ('visitor' or 'staff') and ``entered_at`` (UTC text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from statistics import fmean
from typing import cast
from zoneinfo import ZoneInfo

from data.checklists import Checklist, Schedule
from data.clock import from_db, to_db
from data.models import AssurancePeriod, Device, MaintenanceWindow
from data.records.checks.availability import Availability
from data.records.checks.book import CheckRecords
from data.records.inspections.schedule import period_of, periods_ending
from data.records.reports.model import (
    ActionStats,
    AlarmStats,
    CheckAvailability,
    DeviceAvailability,
    InspectionStats,
    VisitorStats,
)
from data.store import Store

Span = tuple[datetime, datetime]
STATES = ("OK", "WARNING", "UNKNOWN", "CRITICAL")
ALARM_SEVERITIES = ("CRITICAL", "UNKNOWN", "WARNING")


def maintenance_spans(
    device_id: str,
    windows: Iterable[MaintenanceWindow],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
) -> list[Span]:
    """The device's maintenance windows clipped to [start, end), merged, in order. Naive
    window times are read in the site's time zone (as the scheduler does)."""
    spans = []
    for window in windows:
        if device_id not in window.devices:
            continue
        lo, hi = (_aware(t, tz) for t in (window.start, window.end))
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            spans.append((lo, hi))
    merged: list[Span] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def outside(spans: Sequence[Span], start: datetime, end: datetime) -> list[Span]:
    """The parts of [start, end) not covered by ``spans`` (merged, in order)."""
    parts, cursor = [], start
    for lo, hi in spans:
        if lo > cursor:
            parts.append((cursor, lo))
        cursor = max(cursor, hi)
    if cursor < end:
        parts.append((cursor, end))
    return parts


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


async def device_availability(
    checks: CheckRecords,
    device: Device,
    windows: Iterable[MaintenanceWindow],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    outages: Sequence[tuple[datetime, datetime]] | None = None,
) -> DeviceAvailability:
    spans = maintenance_spans(device.id, windows, start, end, tz)
    maintenance = sum((hi - lo).total_seconds() for lo, hi in spans)
    rows = []
    for check in device.checks:
        parts: list[Availability] = [
            await checks.availability(device.id, check.id, lo, hi, outages=outages)
            for lo, hi in outside(spans, start, end)
        ]
        seconds = {state: sum(part.seconds[state] for part in parts) for state in STATES}
        unmonitored = sum(part.unmonitored for part in parts)
        rows.append(
            CheckAvailability(device.id, device.name, check.id, seconds, unmonitored, maintenance)
        )
    return DeviceAvailability(
        device.id, device.name, device.zone, device.kind, tuple(rows), maintenance
    )


def _in(column: str, values: Sequence[str] | None) -> tuple[str, list[str]]:
    if values is None:
        return "", []
    if not values:  # SQLite's empty IN () is false; PostgreSQL refuses it
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join('?' * len(values))})", list(values)


async def alarm_stats(
    store: Store, start: datetime, end: datetime, devices: Sequence[str] | None
) -> AlarmStats:
    """Alarms raised in [start, end) on the given devices (all when None)."""
    where, params = _in("device_id", devices)
    rows = await store.fetchall(
        "SELECT severity, raised_at, first_ack_at, cleared_at FROM alarms"
        f" WHERE raised_at >= ? AND raised_at < ?{where}",
        (to_db(start), to_db(end), *params),
    )
    by_severity = dict.fromkeys(ALARM_SEVERITIES, 0)
    to_ack, to_clear = [], []
    for row in rows:
        by_severity[row["severity"]] += 1
        raised = from_db(row["raised_at"])
        if row["first_ack_at"] is not None:
            to_ack.append((from_db(row["first_ack_at"]) - raised).total_seconds())
        if row["cleared_at"] is not None:
            to_clear.append((from_db(row["cleared_at"]) - raised).total_seconds())
    return AlarmStats(
        len(rows),
        by_severity,
        len(to_ack),
        len(to_clear),
        fmean(to_ack) if to_ack else None,
        fmean(to_clear) if to_clear else None,
    )


async def action_stats(
    store: Store, start: datetime, end: datetime, devices: Sequence[str] | None
) -> ActionStats:
    rows = await store.fetchall(
        "SELECT object, outcome FROM audit WHERE action = 'action.run' AND ts >= ? AND ts < ?"
        " ORDER BY id",
        (to_db(start), to_db(end)),
    )
    by_action: dict[str, tuple[int, int]] = {}
    for row in rows:
        name = str(row["object"])
        if devices is not None and name.split("/", 1)[0] not in devices:
            continue
        ok, failed = by_action.get(name, (0, 0))
        by_action[name] = (ok + 1, failed) if row["outcome"] == "ok" else (ok, failed + 1)
    ok = sum(counts[0] for counts in by_action.values())
    failed = sum(counts[1] for counts in by_action.values())
    return ActionStats(ok + failed, ok, failed, dict(sorted(by_action.items())))


async def has_table(store: Store, name: str) -> bool:
    """Whether the table is there, on either backend."""
    if getattr(store, "dialect", "sqlite") == "postgresql":
        row = await store.fetchone(
            "SELECT 1 FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (name,),
        )
    else:
        row = await store.fetchone(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)
        )
    return row is not None


async def inspection_stats(
    store: Store,
    templates: Iterable[Checklist],
    start: datetime,
    end: datetime,
    now: datetime,
    tz: ZoneInfo,
    assurance: Sequence[AssurancePeriod] = (),
) -> tuple[InspectionStats, ...] | None:
    """Per template: periods that began in [start, min(end, now)) and how many of them
    have a submitted record (a pre-holiday checklist: those due by then, one before each
    of the ``assurance`` periods). Templates come from the site's checklists and from records
    in the table (a template removed from site.yaml still shows what was done)."""
    if not await has_table(store, "inspections"):
        return None
    known = {t.id: (t.name, str(t.schedule)) for t in templates}
    for row in await store.fetchall(
        "SELECT DISTINCT template_id, template_name, schedule FROM inspections"
        " WHERE seal_sha256 IS NOT NULL AND amends_id IS NULL"
        " AND submitted_at >= ? AND submitted_at < ?",
        (to_db(start - timedelta(days=31)), to_db(end + timedelta(days=31))),
    ):
        known.setdefault(str(row[0]), (str(row[1]), str(row[2])))
    horizon = min(end, max(start, now))
    found = []
    for template_id, (name, schedule) in sorted(known.items()):
        labels = _labels(schedule, start, horizon, tz, assurance)
        done = 0
        if labels:
            rows = await store.fetchall(
                "SELECT count(DISTINCT period) FROM inspections WHERE template_id = ?"
                " AND seal_sha256 IS NOT NULL AND amends_id IS NULL"
                f" AND period IN ({', '.join('?' * len(labels))})",
                (template_id, *labels),
            )
            done = int(rows[0][0])
        found.append(InspectionStats(template_id, name, schedule, len(labels), done))
    return tuple(found)


def _labels(
    schedule: str,
    start: datetime,
    until: datetime,
    tz: ZoneInfo,
    assurance: Sequence[AssurancePeriod] = (),
) -> list[str]:
    """Labels of the periods of ``schedule`` that begin in [start, until); for a
    pre-holiday checklist, of those due in (start, until]."""
    if schedule == "pre_assurance":
        return [p.label for p in periods_ending("pre_assurance", start, until, tz, assurance)]
    if schedule not in ("daily", "weekly", "monthly"):
        return []
    labels, moment = [], start
    while moment < until:
        period = period_of(cast(Schedule, schedule), moment, tz)
        if period.start >= start:
            labels.append(period.label)
        moment = period.end
    return labels


async def visitor_stats(store: Store, start: datetime, end: datetime) -> VisitorStats | None:
    if not await has_table(store, "access_records"):
        return None
    rows = await store.fetchall(
        "SELECT kind, count(*) FROM access_records WHERE entered_at >= ? AND entered_at < ?"
        " GROUP BY kind",
        (to_db(start), to_db(end)),
    )
    counts = {str(row[0]): int(row[1]) for row in rows}
    return VisitorStats(counts.get("visitor", 0), counts.get("staff", 0))

"""Service statistics (服务统计): a month or any date range, by zone, kind or device.

``await monthly(store, site, "2026-11")`` gathers availability per device and check
(maintenance windows apart), alarm counts with MTTA and MTTR, incidents by category and
severity with response-target compliance, inspections done vs due, visitor counts and
restart actions run. What each figure means is written on the fields of
data.records.reports.model; where each is read from, in data.records.reports.sources.

Filters narrow the devices (zone, kind, one device); alarms, incidents and actions follow
them. Incidents without a device (a phone report about no particular device) count only
in an unfiltered report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from statistics import fmean

from data.calendar import ResponseStatus
from data.checklists import Checklist
from data.clock import Clock, utc_now
from data.models import Device, Site
from data.records.assets.reader import ending_within
from data.records.checks.book import CheckRecords
from data.records.hotline.stats import hotline_stats
from data.records.incidents.model import CATEGORIES, SEVERITIES, Incident
from data.records.incidents.reader import IncidentReader
from data.records.reports.drills import drill_stats
from data.records.reports.model import (
    IncidentStats,
    Period,
    Report,
    period_bounds,
)
from data.records.reports.sources import (
    action_stats,
    alarm_stats,
    device_availability,
    inspection_stats,
    visitor_stats,
)
from data.records.roster.stats import roster_stats
from data.store import Store


def select_devices(
    site: Site, zone: str | None = None, kind: str | None = None, device_id: str | None = None
) -> list[Device]:
    return [
        device
        for device in site.devices
        if (zone is None or device.zone == zone)
        and (kind is None or device.kind == kind)
        and (device_id is None or device.id == device_id)
    ]


async def monthly(
    store: Store,
    site: Site,
    period: Period,
    zone: str | None = None,
    kind: str | None = None,
    device_id: str | None = None,
    *,
    templates: Iterable[Checklist] = (),
    clock: Clock = utc_now,
) -> Report:
    """The report for ``period`` ("2026-11", two dates, or two aware datetimes).
    ``templates`` are the site's inspection checklists (for what was due)."""
    tz = site.site.tz
    start, end, label = period_bounds(period, tz)
    now = clock()
    chosen = select_devices(site, zone, kind, device_id)
    filtered = any(value is not None for value in (zone, kind, device_id))
    ids = [device.id for device in chosen] if filtered else None
    checks = CheckRecords(store, clock)
    # Time is counted up to now: the rest of a month in progress has not happened, so it
    # is neither unmonitored nor maintenance.
    counted_until = min(end, max(start, now))
    outages = await checks.watch_outages(start, counted_until)  # once, not once per check
    devices = [
        await device_availability(
            checks, device, site.maintenance, start, counted_until, tz, outages
        )
        for device in chosen
    ]
    incidents = await IncidentReader(store, site, clock).history(start, end)
    if ids is not None:
        incidents = [i for i in incidents if i.device_id in ids]
    scope = {"zone": zone, "kind": kind, "device": device_id}
    return Report(
        site_name=site.site.name,
        label=label,
        start=start,
        end=end,
        generated_at=now,
        scope={key: value for key, value in scope.items() if value is not None},
        devices=tuple(devices),
        alarms=await alarm_stats(store, start, end, ids),
        incidents=incident_stats(incidents, now),
        inspections=await inspection_stats(
            store, templates, start, end, now, tz, site.site.calendar.assurance
        ),
        visitors=await visitor_stats(store, start, end),
        actions=await action_stats(store, start, end, ids),
        # calls concern no device: counted, like phone-reported incidents, unfiltered only
        hotline=await hotline_stats(store, start, end) if ids is None else None,
        drills=await drill_stats(store, site, start, end, now) if ids is None else None,
        warranties=tuple(
            await ending_within(store, site, counted_until.astimezone(tz).date(), devices=chosen)
        ),
        roster=await roster_stats(store, site.site, start, end) if ids is None else None,
    )


def incident_stats(incidents: Sequence[Incident], now: datetime) -> IncidentStats:
    """Figures over ``incidents``; response targets judged with all that is known ``now``
    (a response made after the period's end still counts): unanswered ones are breached
    once their deadline passed, else pending."""
    by_category = dict.fromkeys(CATEGORIES, 0)
    by_severity = dict.fromkeys(SEVERITIES, 0)
    verdicts = dict.fromkeys(ResponseStatus, 0)
    for incident in incidents:
        by_category[incident.category] += 1
        by_severity[incident.severity] += 1
        verdicts[incident.response(now).status] += 1
    respond = [t.total_seconds() for i in incidents if (t := i.time_to_respond) is not None]
    resolve = [t.total_seconds() for i in incidents if (t := i.time_to_resolve) is not None]
    return IncidentStats(
        total=len(incidents),
        by_category=by_category,
        by_severity=by_severity,
        met=verdicts[ResponseStatus.MET],
        breached=verdicts[ResponseStatus.BREACHED],
        pending=verdicts[ResponseStatus.OPEN] + verdicts[ResponseStatus.AT_RISK],
        resolved=len(resolve),
        mean_respond=fmean(respond) if respond else None,
        mean_resolve=fmean(resolve) if resolve else None,
        incidents=tuple(sorted(incidents, key=lambda i: (i.reported_at, i.id))),
    )

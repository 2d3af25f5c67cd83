"""What ``dutydesk export roster`` and ``dutydesk export assurance`` print: the duty roster
of a date range, and the daily assurance reports (保障日报) of its days under an assurance
period (data/exports/roster_doc.py renders both)."""

from __future__ import annotations

import datetime as dt

from data.desk import Desk
from data.exports.document import Document
from data.exports.roster_doc import AssuranceDay, assurance_report, roster_document


def local_days(desk: Desk, since: dt.datetime, until: dt.datetime) -> tuple[dt.date, dt.date]:
    """The site's first and last calendar day of ``[since, until)``."""
    tz = desk.site.site.tz
    return since.astimezone(tz).date(), (until - dt.timedelta(seconds=1)).astimezone(tz).date()


async def roster_export(
    desk: Desk, since: dt.datetime, until: dt.datetime, period: str
) -> Document:
    first, last = local_days(desk, since, until)
    return roster_document(
        await desk.roster.days(first, last),
        await desk.roster.swaps(first, last),
        await desk.roster.deviations(first, last),
        desk.roster.shift_names,
        site_name=desk.site.site.name,
        tz=desk.site.site.tz,
        period=period,
    )


async def assurance_export(
    desk: Desk, since: dt.datetime, until: dt.datetime, period: str
) -> Document:
    first, last = local_days(desk, since, until)
    tz = desk.site.site.tz
    incidents = await desk.incidents.history(since, until)
    swaps = await desk.roster.swaps(first, last)
    deviations = await desk.roster.deviations(first, last)
    days = [
        AssuranceDay(
            roster=day,
            incidents=[i for i in incidents if i.reported_at.astimezone(tz).date() == day.day],
            swaps=[s for s in swaps if s.day == day.day],
            deviations=[d for d in deviations if d.day == day.day],
        )
        for day in await desk.roster.days(first, last)
        if day.period is not None
    ]
    return assurance_report(
        days, desk.roster.shift_names, site_name=desk.site.site.name, tz=tz, period=period
    )

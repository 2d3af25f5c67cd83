"""What ``dutydesk export roster`` and ``dutydesk export assurance`` print: the duty roster
of a date range, and the daily assurance reports (保障日报) of its days under an assurance
period (built by data/exports/roster_doc.py)."""

from __future__ import annotations

import datetime as dt

from data.desk import Desk
from data.exports.document import Document
from data.exports.roster_doc import assurance_of, roster_of


def local_days(desk: Desk, since: dt.datetime, until: dt.datetime) -> tuple[dt.date, dt.date]:
    """The site's first and last calendar day of ``[since, until)``."""
    tz = desk.site.site.tz
    return since.astimezone(tz).date(), (until - dt.timedelta(seconds=1)).astimezone(tz).date()


async def roster_export(
    desk: Desk, since: dt.datetime, until: dt.datetime, period: str
) -> Document:
    first, last = local_days(desk, since, until)
    site = desk.site.site
    return await roster_of(desk.roster, first, last, site_name=site.name, tz=site.tz, period=period)


async def assurance_export(
    desk: Desk, since: dt.datetime, until: dt.datetime, period: str
) -> Document:
    first, last = local_days(desk, since, until)
    site = desk.site.site
    incidents = await desk.incidents.history(since, until)
    return await assurance_of(
        desk.roster, incidents, first, last, site_name=site.name, tz=site.tz, period=period
    )

"""The duty roster (data.records.roster) as printable Documents: the roster of a date range
(one row a day, a column a shift, then the swaps and the handovers taken off the roster),
and the daily assurance report (保障日报) of each day under an assurance period.

``roster_of`` and ``assurance_of`` read what they need from the roster book (the CLI's
``dutydesk export roster|assurance`` and the roster section both call them). People are
named by their full names (张三), as on every duty sheet; an account without one by its
account name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo

from data.exports.document import Document, Section, Table
from data.exports.formatting import NONE, when
from data.i18n import t
from data.records.incidents.model import Incident
from data.records.roster.book import RosterBook
from data.records.roster.model import Deviation, RosterDay, Swap
from data.records.roster.names import PeopleNames

NO_NAMES = PeopleNames()  # account names as stored

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday(day: RosterDay) -> str:
    return t(f"roster.weekday.{WEEKDAYS[day.day.weekday()]}")


def people(accounts: Sequence[str], names: PeopleNames = NO_NAMES) -> str:
    """``张三、李四``; a dash when nobody is named."""
    return "、".join(names.each(accounts)) if accounts else NONE


def leader_text(day: RosterDay) -> str:
    """``韦主任 13800001111``; a dash when nobody is named."""
    return " ".join(x for x in (day.leader, day.leader_phone) if x) or NONE


def roster_table(
    days: Sequence[RosterDay], shift_names: Sequence[str], names: PeopleNames = NO_NAMES
) -> Table:
    columns = [
        t("roster.col.day"),
        t("roster.col.weekday"),
        t("roster.col.period"),
        *shift_names,
        t("roster.col.leader"),
        t("roster.col.vendors"),
        t("roster.col.note"),
    ]
    rows = [
        [
            day.day.isoformat(),
            weekday(day),
            day.period.name if day.period else "",
            *(people(day.on(shift), names) for shift in shift_names),
            leader_text(day),
            day.vendors,
            day.note,
        ]
        for day in days
    ]
    return Table(columns, rows)


def swap_table(swaps: Sequence[Swap], tz: tzinfo, names: PeopleNames = NO_NAMES) -> Table:
    columns = [
        t("roster.col.day"),
        t("roster.col.shift"),
        t("roster.col.from"),
        t("roster.col.to"),
        t("roster.col.reason"),
        t("roster.col.recorded"),
    ]
    rows = [
        [
            s.day.isoformat(),
            s.shift,
            names.of(s.from_name),
            names.of(s.to_name),
            s.reason,
            f"{when(s.recorded_at, tz)} {names.of(s.recorded_by)}",
        ]
        for s in swaps
    ]
    return Table(columns, rows)


def deviation_table(
    deviations: Sequence[Deviation], tz: tzinfo, names: PeopleNames = NO_NAMES
) -> Table:
    columns = [
        t("roster.col.day"),
        t("roster.col.shift"),
        t("roster.col.rostered"),
        t("roster.col.incoming"),
        t("roster.col.reason"),
        t("roster.col.recorded"),
    ]
    rows = [
        [
            d.day.isoformat(),
            d.shift,
            people(d.rostered, names),
            names.of(d.incoming),
            d.reason,
            when(d.recorded_at, tz),
        ]
        for d in deviations
    ]
    return Table(columns, rows)


def roster_document(
    days: Sequence[RosterDay],
    swaps: Sequence[Swap],
    deviations: Sequence[Deviation],
    shift_names: Sequence[str],
    *,
    site_name: str,
    tz: tzinfo,
    period: str,
    names: PeopleNames = NO_NAMES,
) -> Document:
    """The roster of ``days``; the swaps and off-roster handovers follow when there are
    any (a CSV of the roster alone is one plain sheet)."""
    sections = [Section(t("roster.doc.grid"), [], roster_table(days, shift_names, names))]
    if swaps:
        sections.append(Section(t("roster.doc.swaps"), [], swap_table(swaps, tz, names)))
    if deviations:
        deviation_rows = deviation_table(deviations, tz, names)
        sections.append(Section(t("roster.doc.deviations"), [], deviation_rows))
    return Document(
        t("export.title.roster"),
        site_name,
        [(t("export.report.period"), period)],
        sections,
        [t("export.sign.prepared"), t("export.sign.reviewed")],
    )


@dataclass(frozen=True)
class AssuranceDay:
    """What one day's assurance report reads: the roster of the day, the incidents
    reported that day, its swaps and off-roster handovers."""

    roster: RosterDay
    incidents: Sequence[Incident]
    swaps: Sequence[Swap]
    deviations: Sequence[Deviation]


def assurance_report(
    days: Sequence[AssuranceDay],
    shift_names: Sequence[str],
    *,
    site_name: str,
    tz: tzinfo,
    period: str,
    names: PeopleNames = NO_NAMES,
) -> Document:
    """One section per day under an assurance period (保障日报): the period, the leader
    on call, who was on each shift, vendors' contacts, and the day's incidents."""
    sections: list[Section] = []
    for item in days:
        day = item.roster
        if day.period is None:
            continue
        lines = [
            t(
                "roster.doc.period_line",
                name=day.period.name,
                start=day.period.start,
                end=day.period.end,
            ),
            t("roster.doc.leader_line", leader=leader_text(day)),
            *(
                t("roster.doc.shift_line", shift=shift, people=people(day.on(shift), names))
                for shift in shift_names
            ),
        ]
        if day.vendors:
            lines.append(t("roster.doc.vendors_line", vendors="；".join(day.vendors.splitlines())))
        lines += [
            t(
                "roster.doc.swap_line",
                day=s.day,
                shift=s.shift,
                **{"from": names.of(s.from_name)},
                to=names.of(s.to_name),
                reason=s.reason,
            )
            for s in item.swaps
        ]
        lines += [
            t(
                "roster.doc.deviation_line",
                shift=d.shift,
                incoming=names.of(d.incoming),
                rostered=people(d.rostered, names),
                reason=d.reason,
            )
            for d in item.deviations
        ]
        lines.append(
            t("roster.doc.incidents_line", n=len(item.incidents))
            if item.incidents
            else t("roster.doc.no_incidents")
        )
        table = None
        if item.incidents:
            table = Table(
                [
                    t("roster.col.reported"),
                    t("roster.col.title"),
                    t("roster.col.severity"),
                    t("roster.col.status"),
                ],
                [
                    [
                        when(i.reported_at, tz),
                        i.title,
                        t(f"incident.severity.{i.severity}"),
                        t(f"incident.status.{i.status}"),
                    ]
                    for i in item.incidents
                ],
            )
        heading = t("roster.doc.day_heading", day=day.day.isoformat(), weekday=weekday(day))
        sections.append(Section(heading, lines, table))
    if not sections:
        sections.append(Section(t("roster.doc.no_assurance")))
    return Document(
        t("export.title.assurance"),
        site_name,
        [(t("export.report.period"), period)],
        sections,
        [t("roster.doc.sign_leader"), t("export.sign.prepared")],
    )


async def roster_of(
    book: RosterBook, first: date, last: date, *, site_name: str, tz: tzinfo, period: str
) -> Document:
    """The roster of the days ``first`` to ``last`` (both included)."""
    return roster_document(
        await book.days(first, last),
        await book.swaps(first, last),
        await book.deviations(first, last),
        book.shift_names,
        site_name=site_name,
        tz=tz,
        period=period,
        names=await book.people_names(),
    )


async def assurance_of(
    book: RosterBook,
    incidents: Sequence[Incident],
    first: date,
    last: date,
    *,
    site_name: str,
    tz: tzinfo,
    period: str,
) -> Document:
    """The daily assurance reports of the days ``first`` to ``last`` under an assurance
    period; ``incidents`` are those reported over those days (any others are left out)."""
    swaps = await book.swaps(first, last)
    deviations = await book.deviations(first, last)
    days = [
        AssuranceDay(
            roster=day,
            incidents=[i for i in incidents if i.reported_at.astimezone(tz).date() == day.day],
            swaps=[s for s in swaps if s.day == day.day],
            deviations=[d for d in deviations if d.day == day.day],
        )
        for day in await book.days(first, last)
        if day.period is not None
    ]
    return assurance_report(
        days,
        book.shift_names,
        site_name=site_name,
        tz=tz,
        period=period,
        names=await book.people_names(),
    )

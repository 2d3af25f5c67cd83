"""How the roster reads on screen: a month's grid row per day, and the selected day's
leader, vendors' contacts, note and swaps. People show by full name (``names``, read once
per reload by the screen), as on the printed roster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text

from data.exports.roster_doc import leader_text, people, weekday
from data.i18n import t
from data.records.roster.model import RosterDay, Swap
from data.records.roster.names import PeopleNames

GRID_COLUMNS = ("day", "weekday", "period")  # then a column per shift, then the leader


def month_title(first: dt.date, days: Sequence[RosterDay]) -> str:
    """``2026年10月 排班表 · 保障期：国庆节``."""
    periods = sorted({d.period.name for d in days if d.period is not None})
    title = t("roster.month_title", year=first.year, month=first.month)
    if periods:
        title += " · " + t("roster.periods", names="、".join(periods))
    return title


def grid_cells(
    day: RosterDay, shift_names: Sequence[str], today: dt.date, names: PeopleNames
) -> list[Text]:
    """The day's row: today's date in bold, an assurance period's name in reverse."""
    return [
        Text(day.day.strftime("%m-%d"), style="bold" if day.day == today else ""),
        Text(weekday(day)),
        Text(day.period.name if day.period else "", style="reverse"),
        *(Text(people(day.on(shift), names)) for shift in shift_names),
        Text(day.leader or ""),
    ]


def day_details(
    day: RosterDay, swaps: Sequence[Swap], shift_names: Sequence[str], names: PeopleNames
) -> str:
    """Every line of the selected day, for the pane under the grid."""
    lines = [t("roster.details.day", day=day.day.isoformat(), weekday=weekday(day))]
    if day.period is not None:
        lines.append(
            t(
                "roster.details.period",
                name=day.period.name,
                need=day.period.min_on_duty,
                factor=f"{day.period.interval_factor:g}",
            )
        )
    lines.append(t("roster.details.leader", leader=leader_text(day)))
    lines += [
        t("roster.details.shift", shift=shift, people=people(day.on(shift), names))
        for shift in shift_names
    ]
    vendors = "；".join(day.vendors.splitlines()) if day.vendors else "—"
    lines.append(t("roster.details.vendors", vendors=vendors))
    if day.note:
        lines.append(t("roster.details.note", note=day.note))
    lines += [
        t(
            "roster.details.swap",
            shift=swap.shift,
            to=names.of(swap.to_name),
            reason=swap.reason,
            **{"from": names.of(swap.from_name)},
        )
        for swap in swaps
    ]
    return "\n".join(lines)


def who_is_who(day: RosterDay, shift_names: Sequence[str], names: PeopleNames) -> str:
    """``白班：张三 (zhangsan)、李四 (lisi)`` per shift with people: a form asks for account
    names, the roster shows full names, so the form says which is which."""
    return "\n".join(
        t(
            "roster.details.shift",
            shift=shift,
            people="、".join(names.labelled(name) for name in day.on(shift)),
        )
        for shift in shift_names
        if day.on(shift)
    )

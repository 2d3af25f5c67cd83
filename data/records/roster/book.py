"""The duty roster (值班排班): who is on which shift each day, the leader on call and the
vendors' contacts, swaps, and the rules of assurance periods (重大节假日保障).

Rules kept here, whatever the screen:
- Reading the roster needs nothing more than a desk (the header and the handover read
  it); changing it needs Permission.EDIT_ROSTER (supervisor, admin). A refusal is
  audited, and every change writes its audit row in the same transaction.
- People on a shift are active accounts of an operator or a supervisor, stored as the
  account spells its name; shift names are site.yaml's.
- A day inside an assurance period (site.yaml ``site.calendar.assurance``) is saved only
  with at least the period's ``min_on_duty`` people on every shift (two-person duty).
- A swap replaces one person on a shift with another and is recorded with both names
  and the reason.
- The handover asks ``off_roster`` whether the incoming operator is the one rostered for
  the shift they take; when not, the handover stores the reason through
  ``record_deviation`` in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from data.audit import AuditTrail
from data.calendar import assurance_period
from data.clock import Clock, from_db, to_db, utc_now
from data.models import Site, SiteInfo
from data.records.permissions import require_audited
from data.records.roster.model import (
    MAX_TEXT,
    DayPlan,
    Deviation,
    OnRoster,
    RosterDay,
    RosterError,
    Swap,
    swap_from_row,
)
from data.records.roster.names import PeopleNames, read_people_names
from data.roles import Actor, Permission
from data.shifts import ShiftSpan, shift_at
from data.store import Store

# The incoming operator signs around the shift change, a little before or after it: the
# shift they take is the one running an hour after they sign.
HANDOVER_LEAD = dt.timedelta(hours=1)
_ON_DUTY_ROLES = ("operator", "supervisor")


def roster_obj(day: dt.date) -> str:
    return f"roster:{day.isoformat()}"


class RosterBook:
    def __init__(
        self, store: Store, audit: AuditTrail, site: Site | SiteInfo, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._audit = audit
        self._site = site.site if isinstance(site, Site) else site
        self._clock = clock

    @property
    def shift_names(self) -> list[str]:
        return [shift.name for shift in self._site.shifts]

    def today(self) -> dt.date:
        return self._clock().astimezone(self._site.tz).date()

    # Reading.

    async def days(self, first: dt.date, last: dt.date) -> list[RosterDay]:
        """Every day from ``first`` to ``last`` (both included), planned or not."""
        span = (first.isoformat(), last.isoformat())
        entries = await self._store.fetchall(
            "SELECT day, shift, operator FROM roster_entries WHERE day BETWEEN ? AND ?"
            " ORDER BY day, shift, position",
            span,
        )
        heads = await self._store.fetchall(
            "SELECT day, leader, leader_phone, vendors, note, saved_at, saved_by"
            " FROM roster_days WHERE day BETWEEN ? AND ?",
            span,
        )
        people: dict[tuple[str, str], list[str]] = {}
        for row in entries:
            people.setdefault((row["day"], row["shift"]), []).append(row["operator"])
        by_day = {row["day"]: row for row in heads}
        found: list[RosterDay] = []
        day = first
        while day <= last:
            key = day.isoformat()
            shifts = {name: tuple(people.get((key, name), ())) for name in self.shift_names}
            found.append(self._day(day, shifts, by_day.get(key)))
            day += dt.timedelta(days=1)
        return found

    async def month(self, year: int, month: int) -> list[RosterDay]:
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return await self.days(first, last)

    async def day(self, day: dt.date) -> RosterDay:
        return (await self.days(day, day))[0]

    async def people_names(self) -> PeopleNames:
        """The full name of each account, to show the roster's people by name (张三)."""
        return await read_people_names(self._store)

    async def swaps(self, first: dt.date, last: dt.date) -> list[Swap]:
        rows = await self._store.fetchall(
            "SELECT id, day, shift, from_name, to_name, reason, recorded_at, recorded_by"
            " FROM roster_swaps WHERE day BETWEEN ? AND ? ORDER BY day, id",
            (first.isoformat(), last.isoformat()),
        )
        return [swap_from_row(row) for row in rows]

    async def deviations(self, first: dt.date, last: dt.date) -> list[Deviation]:
        rows = await self._store.fetchall(
            "SELECT handover_id, incoming, day, shift, rostered, reason, recorded_at"
            " FROM roster_handover_deviations WHERE day BETWEEN ? AND ? ORDER BY day, recorded_at",
            (first.isoformat(), last.isoformat()),
        )
        return [
            Deviation(
                handover_id=int(row["handover_id"]),
                incoming=row["incoming"],
                day=dt.date.fromisoformat(row["day"]),
                shift=row["shift"],
                rostered=tuple(json.loads(row["rostered"])),
                reason=row["reason"],
                recorded_at=from_db(row["recorded_at"]),
            )
            for row in rows
        ]

    async def on_shift(self, moment: dt.datetime | None = None) -> OnRoster | None:
        """Who the roster names for the shift running at ``moment`` (default now); None
        when the shift table leaves that moment uncovered."""
        span = shift_at(self._site, moment or self._clock())
        return None if span is None else await self._on_roster(span)

    async def off_roster(self, name: str, now: dt.datetime | None = None) -> OnRoster | None:
        """The roster of the shift an incoming operator signing at ``now`` takes, when it
        names people and ``name`` is not among them; else None (rostered, or nobody is)."""
        span = shift_at(self._site, (now or self._clock()) + HANDOVER_LEAD)
        if span is None:
            return None
        rostered = await self._on_roster(span)
        folded = {person.casefold() for person in rostered.operators}
        if not folded or name.casefold() in folded:
            return None
        return rostered

    # Changing.

    async def save_day(self, actor: Actor, plan: DayPlan) -> RosterDay:
        """Store the day as planned (replacing what it had); refused whole when any rule
        fails."""
        obj = roster_obj(plan.day)
        await require_audited(self._audit, actor, [Permission.EDIT_ROSTER], "roster.save", [obj])
        unknown = [shift for shift in plan.shifts if shift not in self.shift_names]
        if unknown:
            raise RosterError(
                f"{unknown[0]} is not a shift of this site ({', '.join(self.shift_names)})",
                code="roster_unknown_shift",
                shift=unknown[0],
                shifts=", ".join(self.shift_names),
            )
        self._require_two_person_duty(plan)
        async with self._store.transaction():
            accounts = await self._accounts(n for names in plan.shifts.values() for n in names)
            before = await self.day(plan.day)
            shifts = {
                shift: [accounts[name.casefold()] for name in plan.shifts.get(shift, [])]
                for shift in self.shift_names
            }
            await self._store.write(
                "DELETE FROM roster_entries WHERE day = ?", (plan.day.isoformat(),)
            )
            await self._store.write_many(
                "INSERT INTO roster_entries (day, shift, position, operator) VALUES (?, ?, ?, ?)",
                [
                    (plan.day.isoformat(), shift, position, name)
                    for shift, names in shifts.items()
                    for position, name in enumerate(names)
                ],
            )
            await self._store.write(
                "INSERT INTO roster_days (day, leader, leader_phone, vendors, note, saved_at,"
                " saved_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day) DO UPDATE SET"
                " leader = excluded.leader, leader_phone = excluded.leader_phone,"
                " vendors = excluded.vendors, note = excluded.note,"
                " saved_at = excluded.saved_at, saved_by = excluded.saved_by",
                (
                    plan.day.isoformat(),
                    plan.leader,
                    plan.leader_phone,
                    plan.vendors,
                    plan.note,
                    to_db(self._clock()),
                    actor.name,
                ),
            )
            detail = {
                "shifts": shifts,
                "before": {shift: list(names) for shift, names in before.shifts.items()},
                "leader": plan.leader,
                "period": before.period.name if before.period else None,
            }
            await self._audit.record(actor.name, "roster.save", obj, detail=detail)
        return await self.day(plan.day)

    async def swap(
        self, actor: Actor, day: dt.date, shift: str, from_name: str, to_name: str, reason: str
    ) -> Swap:
        """``to_name`` takes ``from_name``'s place on the day's shift, for ``reason``."""
        obj = roster_obj(day)
        await require_audited(self._audit, actor, [Permission.EDIT_ROSTER], "roster.swap", [obj])
        why = " ".join(reason.split())
        if not why:
            raise RosterError("a swap needs a reason", code="roster_reason_required")
        if len(why) > MAX_TEXT:
            raise RosterError(
                f"the reason is longer than {MAX_TEXT} characters",
                code="roster_reason_too_long",
                max_length=MAX_TEXT,
            )
        if from_name.strip().casefold() == to_name.strip().casefold():
            raise RosterError("a swap needs two different people", code="roster_same_person")
        async with self._store.transaction():
            on_shift = (await self.day(day)).on(shift)
            current = {name.casefold(): name for name in on_shift}
            leaving = current.get(from_name.strip().casefold())
            if leaving is None:
                raise RosterError(
                    f"{from_name} is not rostered on {shift} of {day}",
                    code="roster_not_rostered",
                    name=from_name,
                    shift=shift,
                    day=day.isoformat(),
                )
            taking = (await self._accounts([to_name]))[to_name.strip().casefold()]
            if taking.casefold() in current:
                raise RosterError(
                    f"{taking} is already on {shift} of {day}",
                    code="roster_already_rostered",
                    name=taking,
                    shift=shift,
                    day=day.isoformat(),
                )
            await self._store.write(
                "UPDATE roster_entries SET operator = ?"
                " WHERE day = ? AND shift = ? AND operator = ?",
                (taking, day.isoformat(), shift, leaving),
            )
            rows = await self._store.write(
                "INSERT INTO roster_swaps (day, shift, from_name, to_name, reason, recorded_at,"
                " recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, day, shift,"
                " from_name, to_name, reason, recorded_at, recorded_by",
                (day.isoformat(), shift, leaving, taking, why, to_db(self._clock()), actor.name),
            )
            swap = swap_from_row(rows[0])
            detail = {"shift": shift, "from": leaving, "to": taking, "reason": why}
            await self._audit.record(actor.name, "roster.swap", obj, detail=detail)
        return swap

    async def record_deviation(
        self, handover_id: int, incoming: str, rostered: OnRoster, reason: str, now: dt.datetime
    ) -> None:
        """Store why ``incoming`` took over although the roster named others. The caller
        (the handover) holds the transaction and writes the audit row."""
        await self._store.write(
            "INSERT INTO roster_handover_deviations (handover_id, incoming, day, shift,"
            " rostered, reason, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                handover_id,
                incoming,
                rostered.day.isoformat(),
                rostered.shift,
                json.dumps(list(rostered.operators), ensure_ascii=False),
                reason,
                to_db(now),
            ),
        )

    # Parts.

    def _day(self, day: dt.date, shifts: dict[str, tuple[str, ...]], head: Any) -> RosterDay:
        period = assurance_period(self._site, day)
        leader = head["leader"] if head is not None else ""
        phone = head["leader_phone"] if head is not None else ""
        if not leader and period is not None:  # the period names the leader on call
            leader, phone = period.leader, period.leader_phone
        return RosterDay(
            day=day,
            shifts=shifts,
            leader=leader,
            leader_phone=phone,
            vendors=head["vendors"] if head is not None else "",
            note=head["note"] if head is not None else "",
            period=period,
            saved_at=from_db(head["saved_at"]) if head is not None else None,
            saved_by=head["saved_by"] if head is not None else None,
        )

    async def _on_roster(self, span: ShiftSpan) -> OnRoster:
        day = span.start.date()  # the day the shift starts on, in the site's zone
        roster = await self.day(day)
        return OnRoster(
            day=day,
            shift=span.name,
            operators=roster.on(span.name),
            leader=roster.leader,
            leader_phone=roster.leader_phone,
            vendors=roster.vendors,
            period=roster.period,
        )

    def _require_two_person_duty(self, plan: DayPlan) -> None:
        period = assurance_period(self._site, plan.day)
        if period is None:
            return
        for shift in self.shift_names:
            got = len(plan.shifts.get(shift, []))
            if got < period.min_on_duty:
                raise RosterError(
                    f"{plan.day} is in {period.name}: {shift} needs at least"
                    f" {period.min_on_duty} people on duty, not {got}",
                    code="roster_too_few_on_duty",
                    day=plan.day.isoformat(),
                    shift=shift,
                    period=period.name,
                    need=period.min_on_duty,
                    got=got,
                )

    async def _accounts(self, names: Iterable[str]) -> dict[str, str]:
        """Each name (case-folded) -> the account's own spelling; refuses a name that is
        not an active operator or supervisor."""
        wanted: Sequence[str] = [name.strip() for name in names if name.strip()]
        found: dict[str, str] = {}
        for name in wanted:
            row = await self._store.fetchone(
                "SELECT name, role, disabled FROM users WHERE name = ?", (name,)
            )
            if row is None or row["disabled"] or row["role"] not in _ON_DUTY_ROLES:
                raise RosterError(
                    f"{name} is not an active operator or supervisor account",
                    code="roster_unknown_operator",
                    name=name,
                )
            found[name.casefold()] = str(row["name"])
        return found

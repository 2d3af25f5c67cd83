"""Shift handover (交接班): who is on duty, the watch's summary, and the dual sign-off.

A handover record is one operator's watch. The first operator takes duty with
``open_shift``; from then on duty changes hands only through a handover: the outgoing
operator writes notes and pending items, signs with their password (``sign_outgoing``
freezes the compiled summary they signed), then the incoming operator reviews it and
signs with theirs (``sign_incoming``): the record is sealed (data.records.sealing) and a
new watch opens for the incoming operator, its summary starting where this one ended.
The incoming operator may ``refuse`` with a reason instead: the refusal is recorded and
the watch stays with the outgoing operator, who may sign again. Two different accounts
are required. A sealed handover is corrected only by ``amend`` (a new, sealed record).

Pending items are not part of one handover: each is carried from watch to watch until
someone closes it (who, when and how are kept).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.clock import Clock, to_db, utc_now
from data.models import Shift, Site, SiteInfo
from data.records.handover import pending as pending_items
from data.records.handover.model import (
    COLUMNS,
    Handover,
    HandoverError,
    HandoverSummary,
    OnDuty,
    PendingItem,
    checked_text,
    handover_from_row,
)
from data.records.handover.summary import compile_summary
from data.records.inspections.book import InspectionBook
from data.records.permissions import require_audited
from data.records.roster.book import RosterBook
from data.records.sealing import content_hash, refuse_sealed, seal_in_chain, seal_record
from data.roles import Actor, Permission
from data.shifts import ShiftSpan, shift_at
from data.store import Store


def handover_obj(handover_id: int) -> str:
    return f"handover:{handover_id}"


class HandoverBook:
    """The handover records of one store: reading them, and every action of a watch."""

    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        accounts: Accounts,
        site: Site | SiteInfo,
        clock: Clock = utc_now,
        *,
        inspections: InspectionBook | None = None,
        roster: RosterBook | None = None,
    ) -> None:
        """With ``roster``, the incoming operator signing is checked against it: one the
        roster does not name for the shift signs only with a reason, kept and audited."""
        self._store = store
        self._audit = audit
        self._accounts = accounts
        self._site = site.site if isinstance(site, Site) else site
        self._clock = clock
        self._inspections = inspections
        self._roster = roster

    @property
    def site(self) -> SiteInfo:
        """The site the book keeps shifts for (its name and time zone head a document)."""
        return self._site

    # Reading.

    async def get(self, handover_id: int) -> Handover:
        row = await self._store.fetchone(
            f"SELECT {COLUMNS} FROM handovers WHERE id = ?", (handover_id,)
        )
        if row is None:
            raise HandoverError(f"no handover {handover_id}", code="no_such_handover")
        return await self._with_refusals(row)

    async def current(self, now: datetime | None = None) -> Handover | None:
        """The open watch (its handover not sealed yet), or None before anyone took duty.
        ``now`` is accepted for symmetry: a watch lasts until it is handed over."""
        found = await self._select("kind = 'shift' AND status != 'sealed'", ())
        return found[0] if found else None

    async def history(self, since: datetime, until: datetime) -> list[Handover]:
        """Sealed handovers and amendments sealed in [since, until), oldest first."""
        return await self._select(
            "seal_sha256 IS NOT NULL AND sealed_at >= ? AND sealed_at < ? ORDER BY sealed_at, id",
            (to_db(since), to_db(until)),
        )

    async def amendments(self, handover_id: int) -> list[Handover]:
        return await self._select("amends_id = ? ORDER BY id", (handover_id,))

    async def verify(self, handover: Handover) -> bool:
        """The record matches its seal and the seal's row in the audit chain."""
        return await seal_in_chain(self._store, handover, handover_obj(handover.id))

    # Who is on duty.

    async def on_duty(self, now: datetime | None = None) -> OnDuty | None:
        watch = await self.current()
        if watch is None:
            return None
        span = shift_at(self._site, now or self._clock())
        return OnDuty(watch.operator, span or self._span_of(watch), watch.id)

    async def open_shift(self, actor: Actor, now: datetime | None = None) -> Handover:
        """Take duty when nobody holds it; the actor's own open watch is returned as it
        is. Refused (``handover_required``, audited) while someone else is on duty."""
        await self._require(actor, "shift.open", "shift")
        moment = now or self._clock()
        watch = await self.current()
        if watch is not None and watch.operator.casefold() == actor.name.casefold():
            return watch
        if watch is not None:
            raise await self._handover_required(actor, watch.operator)
        span = shift_at(self._site, moment)
        if span is None:
            raise HandoverError("no shift of the shift table covers now", code="no_shift")
        try:
            async with self._store.transaction():
                new_id = await self._insert_watch(actor.name, span, span.start, moment, None)
                detail = {"shift": span.name}
                await self._audit.record(
                    actor.name, "shift.open", handover_obj(new_id), detail=detail
                )
        except sqlite3.IntegrityError:  # the one-watch index: someone took duty meanwhile
            holder = await self.current()
            raise await self._handover_required(actor, holder.operator if holder else "?") from None
        return await self.get(new_id)

    # The outgoing operator's notes and pending items.

    async def set_notes(self, actor: Actor, handover_id: int, text: str) -> Handover:
        watch = await self._own_open_watch(actor, handover_id, "handover.notes")
        notes = checked_text(text, allow_empty=True)
        async with self._store.transaction():
            await self._store.write(
                "UPDATE handovers SET notes = ? WHERE id = ?", (notes, watch.id)
            )
            detail = {"length": len(notes)}
            await self._audit.record(
                actor.name, "handover.notes", handover_obj(watch.id), detail=detail
            )
        return await self.get(watch.id)

    async def add_pending(self, actor: Actor, handover_id: int, text: str) -> PendingItem:
        """A pending item written on the actor's open watch."""
        watch = await self._own_open_watch(actor, handover_id, "handover.pending_add")
        body = checked_text(text)
        return await pending_items.add_item(
            self._store, self._audit, actor.name, watch.id, body, self._clock()
        )

    async def close_pending(self, actor: Actor, item_id: int, note: str = "") -> PendingItem:
        """Close a carried-forward item (any operator may); who and when are kept."""
        await self._require(actor, "handover.pending_close", pending_items.pending_obj(item_id))
        text = checked_text(note, allow_empty=True)
        watch = await self.current()
        return await pending_items.close_item(
            self._store,
            self._audit,
            actor.name,
            item_id,
            text,
            watch.id if watch else None,
            self._clock(),
        )

    async def pending(self, include_closed: bool = False) -> list[PendingItem]:
        """Open items (all, with ``include_closed``), oldest first."""
        return await pending_items.list_items(self._store, include_closed)

    # The summary.

    async def compile_summary(
        self,
        shift_span: ShiftSpan,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        notes: str = "",
    ) -> HandoverSummary:
        """The summary of [since, until), by default the whole shift span."""
        return await compile_summary(
            self._store,
            since or shift_span.start,
            until or shift_span.end,
            notes=notes,
            inspections=self._inspections,
        )

    async def preview(self, handover_id: int, now: datetime | None = None) -> HandoverSummary:
        """What the outgoing operator would sign now (once signed: what they signed).
        The watch's summary runs from where the previous handover ended."""
        watch = await self.get(handover_id)
        if watch.summary is not None:
            return watch.summary
        return await compile_summary(
            self._store,
            watch.period_start,
            now or self._clock(),
            notes=watch.notes,
            inspections=self._inspections,
        )

    # Sign-off.

    async def sign_outgoing(self, actor: Actor, handover_id: int, password: str) -> Handover:
        """The outgoing operator's signature: freezes the summary they sign."""
        watch = await self._own_open_watch(actor, handover_id, "handover.sign_out")
        await self._accounts.authenticate(actor.name, password, "handover.sign_out")
        now = self._clock()
        summary = await self.preview(watch.id, now)
        async with self._store.transaction():
            updated = await self._store.write(
                "UPDATE handovers SET status = 'signed_out', summary_json = ?, out_signed_at = ?"
                " WHERE id = ? AND status = 'open' RETURNING id",
                (summary.model_dump_json(), to_db(now), watch.id),
            )
            if not updated:  # signed meanwhile (another terminal)
                raise HandoverError("signed already", code="handover_signed_out")
            stored = await self.get(watch.id)
            detail = {"summary_sha256": content_hash(stored.content["summary"])}
            await self._audit.record(
                actor.name, "handover.sign_out", handover_obj(watch.id), detail=detail
            )
        return stored

    async def sign_incoming(
        self, incoming_name: str, password: str, handover_id: int, off_roster_reason: str = ""
    ) -> Handover:
        """The incoming operator's signature: seals the handover and gives them duty. One
        the roster does not name for the shift they take must give ``off_roster_reason``
        (refused with ``handover_off_roster`` naming who is rostered, until they do)."""
        user = await self._accounts.authenticate(incoming_name, password, "handover.sign_in")
        watch = await self._awaiting_incoming(user, handover_id, "handover.sign_in")
        now, obj = self._clock(), handover_obj(watch.id)
        rostered = await self._roster.off_roster(user.name, now) if self._roster else None
        why = " ".join(off_roster_reason.split())
        if rostered is not None and not why and self._roster is not None:
            names = await self._roster.people_names()  # the operator reads 张三, not zhangsan
            raise HandoverError(
                f"{user.name} is not on the roster of {rostered.shift} ({rostered.day}):"
                f" rostered {', '.join(rostered.operators)}; say why you take over",
                code="handover_off_roster",
                name=names.of(user.name),
                shift=rostered.shift,
                rostered="、".join(names.each(rostered.operators)),
            )
        async with self._store.transaction():
            updated = await self._store.write(
                "UPDATE handovers SET status = 'sealed', incoming = ?, in_signed_at = ?"
                " WHERE id = ? AND status = 'signed_out' RETURNING id",
                (user.name, to_db(now), watch.id),
            )
            if not updated:  # taken over or refused meanwhile (another terminal)
                raise HandoverError("no longer waiting for a signature", code="not_signed_out")
            signed = await self.get(watch.id)
            await seal_record(
                self._store,
                self._audit,
                table="handovers",
                row_id=watch.id,
                content=signed.content,
                action="handover.seal",
                obj=obj,
                user=user.name,
                now=now,
            )
            span = shift_at(self._site, now) or self._span_of(watch)
            start = watch.out_signed_at or now  # the next summary starts where this one ended
            new_id = await self._insert_watch(user.name, span, start, now, watch.id)
            detail: dict[str, Any] = {"from": watch.operator, "watch": new_id}
            if rostered is not None and self._roster is not None:
                await self._roster.record_deviation(watch.id, user.name, rostered, why, now)
                detail["off_roster"] = {
                    "day": rostered.day.isoformat(),
                    "shift": rostered.shift,
                    "rostered": list(rostered.operators),
                    "reason": why,
                }
            await self._audit.record(user.name, "handover.sign_in", obj, detail=detail)
        return await self.get(watch.id)

    async def refuse(
        self, incoming_name: str, password: str, handover_id: int, reason: str
    ) -> Handover:
        """Refuse to take over: recorded with the reason; the watch stays with the
        outgoing operator and is open again (to fix and sign again)."""
        text = checked_text(reason, code="refusal_reason_required")
        user = await self._accounts.authenticate(incoming_name, password, "handover.refuse")
        watch = await self._awaiting_incoming(user, handover_id, "handover.refuse")
        refused = content_hash(watch.content["summary"])
        async with self._store.transaction():
            rows = await self._store.write(
                "INSERT INTO handover_refusals (handover_id, refused_by, refused_at, reason,"
                " summary_sha256) VALUES (?, ?, ?, ?, ?) RETURNING id",
                (watch.id, user.name, to_db(self._clock()), text, refused),
            )
            await self._store.write(
                "UPDATE handovers SET status = 'open', summary_json = NULL,"
                " out_signed_at = NULL WHERE id = ?",
                (watch.id,),
            )
            detail = {"reason": text, "refusal": int(rows[0][0])}
            obj = handover_obj(watch.id)
            await self._audit.record(user.name, "handover.refuse", obj, "refused", detail)
        return await self.get(watch.id)

    async def amend(self, actor: Actor, handover_id: int, text: str, password: str) -> Handover:
        """A signed, sealed amendment of a sealed handover (which itself never changes)."""
        await self._require(actor, "handover.amend", handover_obj(handover_id))
        original = await self.get(handover_id)
        if not original.sealed:
            raise HandoverError("only a sealed handover is amended", code="not_sealed")
        body = checked_text(text)
        await self._accounts.authenticate(actor.name, password, "handover.amend")
        now = self._clock()
        times = [original.shift_start, original.shift_end, original.period_start, now]
        async with self._store.transaction():
            rows = await self._store.write(
                "INSERT INTO handovers (kind, operator, shift_name, shift_start, shift_end,"
                " period_start, opened_at, amends_id, notes, status, out_signed_at)"
                " VALUES ('amendment', ?, ?, ?, ?, ?, ?, ?, ?, 'sealed', ?) RETURNING id",
                [
                    actor.name,
                    original.shift_name,
                    *map(to_db, times),
                    original.id,
                    body,
                    to_db(now),
                ],
            )
            new_id = int(rows[0][0])
            obj = handover_obj(new_id)
            await self._audit.record(
                actor.name, "handover.amend", obj, detail={"amends": original.id}
            )
            stored = await self.get(new_id)
            await seal_record(
                self._store,
                self._audit,
                table="handovers",
                row_id=new_id,
                content=stored.content,
                action="handover.seal",
                obj=obj,
                user=actor.name,
                now=now,
            )
        return await self.get(new_id)

    # Checks that open each action.

    async def _require(self, actor: Actor, action: str, obj: str) -> None:
        await require_audited(self._audit, actor, [Permission.SIGN_HANDOVER], action, [obj])

    async def _own_open_watch(self, actor: Actor, handover_id: int, action: str) -> Handover:
        """The actor's own watch, still open (not signed, not sealed)."""
        obj = handover_obj(handover_id)
        await self._require(actor, action, obj)
        watch = await self.get(handover_id)
        if watch.sealed:
            raise await refuse_sealed(self._audit, actor.name, action, obj)
        if watch.operator.casefold() != actor.name.casefold():
            detail = {"reason": "not_on_duty", "on_duty": watch.operator}
            await self._audit.record(actor.name, action, obj, "denied", detail)
            raise HandoverError(
                f"{watch.operator} holds this watch", code="not_on_duty", on_duty=watch.operator
            )
        if watch.status != "open":
            raise HandoverError(
                "signed already: waiting for the incoming operator", code="handover_signed_out"
            )
        return watch

    async def _awaiting_incoming(self, user: User, handover_id: int, action: str) -> Handover:
        """A handover the outgoing operator signed, which ``user`` (another account) may
        sign or refuse."""
        obj = handover_obj(handover_id)
        await self._require(user, action, obj)
        watch = await self.get(handover_id)
        if watch.sealed:
            raise await refuse_sealed(self._audit, user.name, action, obj)
        if watch.status != "signed_out":
            raise HandoverError("the outgoing operator has not signed", code="not_signed_out")
        if watch.operator.casefold() == user.name.casefold():
            await self._audit.record(user.name, action, obj, "denied", {"reason": "same_account"})
            raise HandoverError(
                "the incoming operator must be another account", code="same_account"
            )
        return watch

    async def _handover_required(self, actor: Actor, on_duty: str) -> HandoverError:
        detail = {"reason": "handover_required", "on_duty": on_duty}
        await self._audit.record(actor.name, "shift.open", "shift", "denied", detail)
        return HandoverError(
            f"{on_duty} is on duty: duty changes hands only through a handover",
            code="handover_required",
            on_duty=on_duty,
        )

    # Rows.

    async def _insert_watch(
        self, operator: str, span: ShiftSpan, start: datetime, now: datetime, previous: int | None
    ) -> int:
        rows = await self._store.write(
            "INSERT INTO handovers (kind, operator, shift_name, shift_start, shift_end,"
            " period_start, opened_at, previous_id, status)"
            " VALUES ('shift', ?, ?, ?, ?, ?, ?, ?, 'open') RETURNING id",
            [operator, span.name, *map(to_db, (span.start, span.end, start, now)), previous],
        )
        return int(rows[0][0])

    async def _select(self, where: str, params: Sequence[Any]) -> list[Handover]:
        rows = await self._store.fetchall(f"SELECT {COLUMNS} FROM handovers WHERE {where}", params)
        return [await self._with_refusals(row) for row in rows]

    async def _with_refusals(self, row: Any) -> Handover:
        refusals = await self._store.fetchall(
            "SELECT id, refused_by, refused_at, reason FROM handover_refusals"
            " WHERE handover_id = ? ORDER BY id",
            (row["id"],),
        )
        return handover_from_row(row, refusals)

    def _span_of(self, watch: Handover) -> ShiftSpan:
        """The shift span the watch recorded (for moments the shift table leaves out)."""
        tz = self._site.tz
        start, end = watch.shift_start.astimezone(tz), watch.shift_end.astimezone(tz)
        shift = next((s for s in self._site.shifts if s.name == watch.shift_name), None)
        if shift is None:  # the shift table changed since: rebuild the one recorded
            try:
                shift = Shift(name=watch.shift_name, start=start.time(), end=end.time())
            except ValidationError:  # a 24-hour shift
                shift = Shift(
                    name=watch.shift_name,
                    start=start.time(),
                    end=(end - dt.timedelta(minutes=1)).time(),
                )
        return ShiftSpan(shift, start, end)

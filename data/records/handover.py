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

import sqlite3
from datetime import datetime

from data.clock import to_db
from data.records import handover_pending as pending_items
from data.records.handover_records import HandoverRecords, handover_obj
from data.records.handover_rows import Handover, HandoverError, OnDuty, Refusal, checked_text
from data.records.handover_summary import HandoverSummary, PendingItem, compile_summary
from data.records.sealing import content_hash, seal_record
from data.roles import Actor
from data.shifts import ShiftSpan, shift_at

__all__ = ["Handover", "HandoverBook", "HandoverError", "HandoverSummary", "OnDuty", "Refusal"]


class HandoverBook(HandoverRecords):
    """``HandoverBook(store, audit, accounts, site, clock, inspections=InspectionBook)``;
    the reading side (get, current, history, amendments, verify, to_document) is in
    ``HandoverRecords``."""

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
            self._store, self._audit, actor.name, item_id, text,
            watch.id if watch else None, self._clock(),
        )  # fmt: skip

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
            self._store, since or shift_span.start, until or shift_span.end, notes=notes,
            inspections=self._inspections,
        )  # fmt: skip

    async def preview(self, handover_id: int, now: datetime | None = None) -> HandoverSummary:
        """What the outgoing operator would sign now (once signed: what they signed).
        The watch's summary runs from where the previous handover ended."""
        watch = await self.get(handover_id)
        if watch.summary is not None:
            return watch.summary
        return await compile_summary(
            self._store, watch.period_start, now or self._clock(), notes=watch.notes,
            inspections=self._inspections,
        )  # fmt: skip

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

    async def sign_incoming(self, incoming_name: str, password: str, handover_id: int) -> Handover:
        """The incoming operator's signature: seals the handover and gives them duty."""
        user = await self._accounts.authenticate(incoming_name, password, "handover.sign_in")
        watch = await self._awaiting_incoming(user, handover_id, "handover.sign_in")
        now, obj = self._clock(), handover_obj(watch.id)
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
                self._store, self._audit, table="handovers", row_id=watch.id,
                content=signed.content, action="handover.seal", obj=obj, user=user.name, now=now,
            )  # fmt: skip
            span = shift_at(self._site, now) or self._span_of(watch)
            start = watch.out_signed_at or now  # the next summary starts where this one ended
            new_id = await self._insert_watch(user.name, span, start, now, watch.id)
            detail = {"from": watch.operator, "watch": new_id}
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
                self._store, self._audit, table="handovers", row_id=new_id,
                content=stored.content, action="handover.seal", obj=obj, user=actor.name, now=now,
            )  # fmt: skip
        return await self.get(new_id)

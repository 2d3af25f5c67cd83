"""Reading handover records, and the checks every handover action starts with.

``HandoverRecords`` is the base of ``data.records.handover.HandoverBook``: it holds the
services, reads handovers (a watch, its handover and any amendments) and refuses what a
record's state does not allow, auditing each refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.clock import Clock, to_db, utc_now
from data.exports.document import Document
from data.models import Shift, Site, SiteInfo
from data.records.alarm_rows import require_audited
from data.records.documents import handover_document
from data.records.handover_rows import COLUMNS, Handover, HandoverError, handover_from_row
from data.records.inspections import InspectionBook
from data.records.sealing import refuse_sealed, seal_in_chain
from data.roles import Actor, Permission
from data.shifts import ShiftSpan
from data.store import Store


def handover_obj(handover_id: int) -> str:
    return f"handover:{handover_id}"


class HandoverRecords:
    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        accounts: Accounts,
        site: Site | SiteInfo,
        clock: Clock = utc_now,
        *,
        inspections: InspectionBook | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._accounts = accounts
        self._site = site.site if isinstance(site, Site) else site
        self._clock = clock
        self._inspections = inspections

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

    def to_document(self, handover: Handover) -> Document:
        """The handover as a printable document (see data.exports)."""
        return handover_document(handover, self._site)

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
                shift = Shift(name=watch.shift_name, start=start.time(),
                              end=(end - dt.timedelta(minutes=1)).time())  # fmt: skip
        return ShiftSpan(shift, start, end)

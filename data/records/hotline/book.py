"""The service hotline (服务热线值守) and follow-up visits (回访服务).

A call is logged in a few fields (caller, unit, phone, topic, what was done); it may be
turned into an incident (data.records.incidents, opened with the caller, the unit and the
masked number: the incident book keeps no encrypted fields) or linked to one not yet
closed, which gets a timeline note. Once an incident someone reported is closed (linked to
a call, or opened with a caller), a follow-up is due: who was reached, how satisfied
(满意/基本满意/不满意) and remarks. A reopened incident, closed again, is due again.

Rules kept here, whatever the screen:
- Phone numbers are stored only encrypted (data.crypto, field "phone") with a keyed blind
  index (exact-match search) and a masked copy; every call returned shows the masked copy.
  ``reveal_phone`` gives the full number to supervisors (Permission.VIEW_ID_NUMBERS) only,
  and every reveal, granted or denied, is audited.
- Reading needs VIEW_STATUS; logging, linking and following up WRITE_RECORDS; refusals
  are audited. Every change writes its audit row in the same transaction, naming ids,
  the masked number and the satisfaction: never a caller's name or full number.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from data.audit import AuditTrail
from data.clock import Clock, from_db, to_db, utc_now
from data.crypto import DecryptError, FieldCipher
from data.i18n import t
from data.phones import parse_phone
from data.records.hotline.model import (
    CALL_COLUMNS,
    FOLLOWUP_COLUMNS,
    Call,
    CallEntry,
    FollowUp,
    FollowUpDue,
    FollowUpEntry,
    HotlineError,
    call_from_row,
    followup_from_row,
    validated,
)
from data.records.hotline.stats import DUE_SQL, count_due
from data.records.incidents.book import IncidentBook
from data.records.incidents.model import Incident
from data.records.permissions import require_audited
from data.roles import Actor, Permission
from data.store import Store

MAX_LIMIT = 5000


class HotlineBook:
    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        cipher: FieldCipher,
        incidents: IncidentBook,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._audit = audit
        self._cipher = cipher
        self._incidents = incidents
        self._clock = clock

    # Calls.

    async def log_call(
        self,
        actor: Actor,
        *,
        caller: str,
        topic: str,
        unit: str = "",
        phone: str = "",
        action: str = "",
    ) -> Call:
        """Log a call received now; HotlineError (HotlineRefused for several problems)
        names each bad field and nothing is stored."""
        await self._require(actor, Permission.WRITE_RECORDS, "hotline.call", "call:new")
        entry = validated(
            CallEntry, caller=caller, unit=unit, phone=phone, topic=topic, action=action
        )
        number = entry.phone.normalised if entry.phone else None
        row = {
            "received_at": to_db(self._clock()),
            "taken_by": actor.name,
            "caller": entry.caller,
            "unit": entry.unit,
            "phone_cipher": self._cipher.encrypt(number, field="phone") if number else None,
            "phone_index": self._cipher.blind_index(number, field="phone") if number else None,
            "phone_masked": entry.phone.masked if entry.phone else None,
            "topic": entry.topic,
            "action_taken": entry.action,
        }
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        async with self._store.transaction():
            rows = await self._store.write(
                f"INSERT INTO hotline_calls ({names}) VALUES ({marks}) RETURNING id", row
            )
            call_id = int(rows[0][0])
            detail = {"phone_masked": row["phone_masked"]}
            await self._audit.record(actor.name, "hotline.call", _call(call_id), detail=detail)
        return await self._load(call_id)

    async def get(self, actor: Actor, call_id: int) -> Call:
        await self._require(actor, Permission.VIEW_STATUS, "hotline.read", _call(call_id))
        return await self._load(call_id)

    async def calls(
        self,
        actor: Actor,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        phone: str | None = None,
        text: str | None = None,
        limit: int = 200,
    ) -> list[Call]:
        """Calls received in [since, until), newest first. ``phone`` matches the whole
        number (any accepted spelling, through the blind index); ``text`` a part of the
        caller, unit or topic."""
        await self._require(actor, Permission.VIEW_STATUS, "hotline.read", "call:list")
        where, params = _between("received_at", since, until)
        clauses = [where]
        if phone is not None and phone.strip():
            number = parse_phone(phone).normalised
            clauses.append("phone_index = ?")
            params.append(self._cipher.blind_index(number, field="phone"))
        if text is not None and text.strip():
            pattern = f"%{_escape_like(text.strip())}%"
            clauses.append(
                "(caller LIKE ? ESCAPE '\\' OR unit LIKE ? ESCAPE '\\' OR topic LIKE ? ESCAPE '\\')"
            )
            params += [pattern] * 3
        rows = await self._store.fetchall(
            f"SELECT {CALL_COLUMNS} FROM hotline_calls WHERE {' AND '.join(clauses)}"
            " ORDER BY received_at DESC, id DESC LIMIT ?",
            (*params, max(1, min(int(limit), MAX_LIMIT))),
        )
        return [call_from_row(row) for row in rows]

    async def open_incident(
        self, actor: Actor, call_id: int, severity: str, category: str, title: str = ""
    ) -> Incident:
        """Turn the call into an incident (its clock starts now), titled by the call's
        topic unless ``title`` says otherwise, and link the call to it."""
        obj = _call(call_id)
        await self._require(actor, Permission.WRITE_RECORDS, "hotline.incident", obj)
        async with self._store.transaction():
            call = await self._unlinked(call_id)
            incident = await self._incidents.open_manual(
                actor,
                title.strip() or call.topic,
                severity,
                category,
                caller=call.caller,
                department=call.unit,
                phone=call.phone_masked,  # the incident book stores it in clear
                description="\n".join(x for x in (call.topic, call.action) if x),
            )
            await self._link(actor, call_id, incident.id)
            detail = {"incident": incident.id, "severity": severity, "category": category}
            await self._audit.record(actor.name, "hotline.incident", obj, detail=detail)
        return incident

    async def link(self, actor: Actor, call_id: int, incident_id: int) -> Call:
        """Link the call to an incident not yet closed (the caller reports a fault already
        known); the incident's timeline notes the call."""
        obj = _call(call_id)
        await self._require(actor, Permission.WRITE_RECORDS, "hotline.link", obj)
        async with self._store.transaction():
            call = await self._unlinked(call_id)
            incident = await self._incidents.get(incident_id)
            if incident.status == "closed":
                raise HotlineError(
                    "the incident is closed", code="incident_closed", incident_id=incident_id
                )
            note = t("hotline.timeline.linked", id=call_id, topic=call.topic)
            await self._incidents.add_entry(actor, incident_id, note)
            await self._link(actor, call_id, incident_id)
            await self._audit.record(
                actor.name, "hotline.link", obj, detail={"incident": incident_id}
            )
        return await self._load(call_id)

    async def reveal_phone(self, actor: Actor, call_id: int) -> str:
        """The caller's full number (to call back): supervisors only; granted and denied
        attempts are both audited."""
        obj = _call(call_id)
        await self._require(actor, Permission.VIEW_ID_NUMBERS, "hotline.reveal", obj)
        row = await self._store.fetchone(
            "SELECT phone_cipher, phone_masked FROM hotline_calls WHERE id = ?", (call_id,)
        )
        if row is None:
            raise HotlineError("there is no such call", code="no_such_call", call_id=call_id)
        if row["phone_cipher"] is None:
            raise HotlineError("the caller left no number", code="no_phone")
        try:
            number = self._cipher.decrypt(row["phone_cipher"], field="phone")
        except DecryptError as exc:
            detail = {"reason": exc.code}
            await self._audit.record(actor.name, "hotline.reveal", obj, "failed", detail)
            raise
        detail = {"phone_masked": row["phone_masked"]}
        await self._audit.record(actor.name, "hotline.reveal", obj, detail=detail)
        return number

    # Follow-ups.

    async def count_due(self) -> int:
        """How many follow-ups are due: the header shows it (no actor; nothing personal)."""
        return await count_due(self._store)

    async def followups_due(self, actor: Actor) -> list[FollowUpDue]:
        """Follow-ups due, the longest waiting first."""
        await self._require(actor, Permission.VIEW_STATUS, "hotline.read", "followup:due")
        rows = await self._store.fetchall(f"{DUE_SQL} ORDER BY i.closed_at, i.id")
        return [await self._due(row) for row in rows]

    async def record_followup(
        self,
        actor: Actor,
        incident_id: int,
        *,
        contact: str,
        satisfaction: str,
        remarks: str = "",
    ) -> FollowUp:
        """Record the follow-up of a closed incident's caller, done now."""
        await self._require(
            actor, Permission.WRITE_RECORDS, "hotline.followup", f"incident:{incident_id}"
        )
        entry = validated(
            FollowUpEntry, contact=contact, satisfaction=satisfaction, remarks=remarks
        )
        async with self._store.transaction():
            incident = await self._incidents.get(incident_id)
            if incident.status != "closed":
                raise HotlineError(
                    "follow up once the incident is closed",
                    code="incident_not_closed",
                    incident_id=incident_id,
                )
            due = await self._store.fetchone(f"{DUE_SQL} AND i.id = ?", (incident_id,))
            if due is None:
                raise HotlineError(
                    "no follow-up is due for this incident",
                    code="followup_not_due",
                    incident_id=incident_id,
                )
            rows = await self._store.write(
                "INSERT INTO hotline_followups (incident_id, contact, satisfaction, remarks,"
                " done_at, done_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    incident_id,
                    entry.contact,
                    entry.satisfaction,
                    entry.remarks,
                    to_db(self._clock()),
                    actor.name,
                ),
            )
            followup_id = int(rows[0][0])
            detail = {"incident": incident_id, "satisfaction": entry.satisfaction}
            await self._audit.record(
                actor.name, "hotline.followup", f"followup:{followup_id}", detail=detail
            )
        row = await self._store.fetchone(
            f"SELECT {FOLLOWUP_COLUMNS} FROM hotline_followups WHERE id = ?", (followup_id,)
        )
        assert row is not None  # written just now in this transaction
        return followup_from_row(row)

    async def followups(
        self, actor: Actor, since: datetime | None = None, until: datetime | None = None
    ) -> list[FollowUp]:
        """Follow-ups done in [since, until), oldest first."""
        await self._require(actor, Permission.VIEW_STATUS, "hotline.read", "followup:list")
        clauses, params = _between("done_at", since, until)
        rows = await self._store.fetchall(
            f"SELECT {FOLLOWUP_COLUMNS} FROM hotline_followups WHERE {clauses}"
            " ORDER BY done_at, id",
            params,
        )
        return [followup_from_row(row) for row in rows]

    # Internals.

    async def _load(self, call_id: int) -> Call:
        row = await self._store.fetchone(
            f"SELECT {CALL_COLUMNS} FROM hotline_calls WHERE id = ?", (call_id,)
        )
        if row is None:
            raise HotlineError("there is no such call", code="no_such_call", call_id=call_id)
        return call_from_row(row)

    async def _unlinked(self, call_id: int) -> Call:
        call = await self._load(call_id)
        if call.incident_id is not None:
            raise HotlineError(
                "the call is already linked to an incident",
                code="call_linked",
                incident_id=call.incident_id,
            )
        return call

    async def _link(self, actor: Actor, call_id: int, incident_id: int) -> None:
        await self._store.write(
            "UPDATE hotline_calls SET incident_id = ?, linked_at = ?, linked_by = ? WHERE id = ?",
            (incident_id, to_db(self._clock()), actor.name, call_id),
        )

    async def _due(self, row: sqlite3.Row) -> FollowUpDue:
        calls = await self._store.fetchall(
            "SELECT id FROM hotline_calls WHERE incident_id = ? ORDER BY id", (row["id"],)
        )
        ids = [int(call[0]) for call in calls]
        first = await self._load(ids[0]) if ids else None
        return FollowUpDue(
            incident_id=int(row["id"]),
            title=row["title"],
            closed_at=from_db(row["closed_at"]),
            caller=first.caller if first else row["incident_caller"] or "",
            unit=first.unit if first else row["department"] or "",
            phone_masked=first.phone_masked if first else None,
            call_ids=tuple(ids),
        )

    async def _require(self, actor: Actor, permission: Permission, action: str, obj: str) -> None:
        """Return if allowed, else audit the refusal and raise PermissionDenied."""
        await require_audited(self._audit, actor, [permission], action, [obj])


def _call(call_id: int) -> str:
    return f"call:{call_id}"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _between(column: str, since: datetime | None, until: datetime | None) -> tuple[str, list[str]]:
    """The SQL condition (and its parameters) of ``column`` in [since, until)."""
    clauses, params = ["1 = 1"], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(to_db(since))
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(to_db(until))
    return " AND ".join(clauses), params

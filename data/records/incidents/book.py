"""Incidents (故障处置): fault records from an alarm or a phone report to their closing.

Life of an incident: ``open`` -> ``responding`` (someone answered) -> ``escalated`` (to the
vendor, optional) -> ``resolved`` (cause and solution written down, both required) ->
``closed``. A resolved or closed one may be reopened. Escalating or resolving also counts
as the desk's response when nobody pressed "respond" first.

The response clock runs from ``reported_at`` (the alarm's raise, or the moment a phone
report was written down) against the site calendar's target for that day, fixed when the
incident is opened (data.calendar). Every change adds a timeline entry and an audit row in
the same transaction; roles are checked here (WRITE_RECORDS) and refusals audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from data.audit import AuditTrail
from data.calendar import WorkCalendar
from data.clock import Clock, to_db, utc_now
from data.models import Site
from data.records.alarms.model import Alarm
from data.records.incidents.model import (
    CATEGORIES,
    COUNTS_AS_RESPONSE,
    MAX_TEXT,
    MAX_TITLE,
    SEVERITIES,
    Incident,
    IncidentError,
    checked_choice,
    entry_kind,
    not_done,
    optional,
    required,
)
from data.records.incidents.reader import UNRESOLVED_SQL, IncidentReader
from data.records.permissions import require_audited
from data.roles import Actor, Permission
from data.store import Store


def _obj(incident_id: int) -> str:
    return f"incident:{incident_id}"


class IncidentBook(IncidentReader):
    def __init__(self, store: Store, audit: AuditTrail, site: Site, clock: Clock = utc_now) -> None:
        super().__init__(store, site, clock)
        self._audit = audit
        self._calendar = WorkCalendar(site.site)

    # Opening.

    async def open_from_alarm(
        self, actor: Actor, alarm: Alarm, severity: str, category: str, title: str
    ) -> Incident:
        """An incident linked to the alarm, its device and check; the clock starts when the
        alarm was raised. Refused (``alarm_has_incident``) while one is still unresolved."""
        existing = await self._store.fetchone(
            f"SELECT id FROM incidents WHERE alarm_id = ? AND {UNRESOLVED_SQL}", (alarm.id,)
        )
        if existing is not None:
            raise IncidentError(
                "this alarm already has an open incident",
                code="alarm_has_incident",
                incident_id=int(existing[0]),
            )
        fields = {"device_id": alarm.device_id, "check_id": alarm.check_id, "alarm_id": alarm.id}
        return await self._open(
            actor,
            title,
            severity,
            category,
            alarm.message,
            min(alarm.raised_at, self._clock()),
            fields,
        )

    async def open_manual(
        self,
        actor: Actor,
        title: str,
        severity: str,
        category: str,
        device_id: str | None = None,
        caller: str | None = None,
        department: str | None = None,
        phone: str | None = None,
        description: str = "",
    ) -> Incident:
        """A fault reported by phone or found on a round; the clock starts now."""
        if device_id is not None and device_id not in {d.id for d in self._site.devices}:
            raise IncidentError(f"no device {device_id!r}", code="no_such_device", device=device_id)
        fields = {
            "device_id": device_id,
            "caller": optional(caller),
            "department": optional(department),
            "phone": optional(phone),
        }
        return await self._open(
            actor, title, severity, category, description, self._clock(), fields
        )

    async def _open(
        self,
        actor: Actor,
        title: str,
        severity: str,
        category: str,
        description: str,
        reported_at: datetime,
        fields: dict[str, Any],
    ) -> Incident:
        await require_audited(
            self._audit, actor, [Permission.WRITE_RECORDS], "incident.open", ["incident:new"]
        )
        values = {
            **fields,
            "title": required(title, "title_required", MAX_TITLE),
            "severity": checked_choice(severity, SEVERITIES, "bad_severity"),
            "category": checked_choice(category, CATEGORIES, "bad_category"),
            "description": optional(description, MAX_TEXT) or "",
            "opened_by": actor.name,
            "opened_at": to_db(self._clock()),
            "reported_at": to_db(reported_at),
            "respond_by": to_db(self._calendar.deadline(reported_at)),
            "target_seconds": int(self._calendar.response_target(reported_at).total_seconds()),
        }
        names = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        async with self._store.transaction():
            rows = await self._store.write(
                f"INSERT INTO incidents ({names}) VALUES ({marks}) RETURNING id", values
            )
            incident_id = int(rows[0][0])
            await self._entry(incident_id, actor, "opened", values["title"])
            detail = {k: values[k] for k in ("severity", "category", "title", "reported_at")}
            detail.update({k: fields.get(k) for k in ("device_id", "check_id", "alarm_id")})
            await self._audit.record(actor.name, "incident.open", _obj(incident_id), detail=detail)
        return await self.get(incident_id)

    # Working on it.

    async def respond(self, actor: Actor, incident_id: int, note: str) -> Incident:
        text = required(note, "text_required")
        now = to_db(self._clock())

        def check(current: Incident) -> str | None:
            not_done(current)
            if current.responded_at is not None:
                raise IncidentError("already responded to", code="already_responded")
            return None

        sets = {"responded_at": now, "responded_by": actor.name, "status": "responding"}
        return await self._change(actor, incident_id, "respond", check, sets, text)

    async def add_entry(self, actor: Actor, incident_id: int, text: str) -> Incident:
        """A timeline note: what was done, seen or said (also an action run's outcome)."""
        note = required(text, "text_required")

        def check(current: Incident) -> str | None:
            if current.status == "closed":
                raise IncidentError("the incident is closed", code="incident_closed")
            return None

        return await self._change(actor, incident_id, "note", check, {}, note)

    async def escalate(
        self,
        actor: Actor,
        incident_id: int,
        vendor: str | None = None,
        contact: str | None = None,
        ticket: str | None = None,
        note: str = "",
    ) -> Incident:
        """Hand the fault to the vendor; ``vendor`` and ``contact`` default to the device's
        asset data (vendor; contact and support hotline)."""
        asset = self.asset_of((await self.get(incident_id)).device_id)
        default_contact = " / ".join(x for x in (asset.contact, asset.support) if x)
        name = optional(vendor) or asset.vendor
        if not name:
            raise IncidentError("name the vendor", code="vendor_required")
        sets = {
            "vendor": optional(name),
            "vendor_contact": optional(contact) or optional(default_contact),
            "vendor_ticket": optional(ticket),
            "escalated_at": to_db(self._clock()),
            "vendor_responded_at": None,
            "status": "escalated",
        }
        text = " ".join(x for x in (sets["vendor"], sets["vendor_ticket"], note.strip()) if x)
        return await self._change(actor, incident_id, "escalate", not_done, sets, text)

    async def vendor_responded(
        self, actor: Actor, incident_id: int, at: datetime | None = None, note: str = ""
    ) -> Incident:
        now = self._clock()
        moment = now if at is None else at

        def check(current: Incident) -> str | None:
            not_done(current)
            if current.status != "escalated" or current.escalated_at is None:
                raise IncidentError("not escalated to a vendor", code="incident_not_escalated")
            if not current.escalated_at <= moment <= now:
                raise IncidentError("between the escalation and now", code="bad_vendor_time")
            return None

        sets = {"vendor_responded_at": to_db(moment)}
        return await self._change(actor, incident_id, "vendor_responded", check, sets, note)

    async def resolve(self, actor: Actor, incident_id: int, cause: str, solution: str) -> Incident:
        sets = {
            "cause": required(cause, "cause_required"),
            "solution": required(solution, "solution_required"),
            "resolved_at": to_db(self._clock()),
            "resolved_by": actor.name,
            "status": "resolved",
        }
        text = f"{sets['cause']}\n{sets['solution']}"
        return await self._change(actor, incident_id, "resolve", not_done, sets, text)

    async def close(self, actor: Actor, incident_id: int) -> Incident:
        def check(current: Incident) -> str | None:
            if current.status == "closed":
                raise IncidentError("already closed", code="incident_closed")
            if current.status != "resolved":
                raise IncidentError("resolve it first", code="incident_not_resolved")
            return None

        sets = {"closed_at": to_db(self._clock()), "closed_by": actor.name, "status": "closed"}
        return await self._change(actor, incident_id, "close", check, sets, "")

    async def reopen(self, actor: Actor, incident_id: int, reason: str) -> Incident:
        """Back to work: the old cause and solution move into the timeline entry."""
        why = required(reason, "text_required")

        def check(current: Incident) -> str | None:
            if current.status not in ("resolved", "closed"):
                raise IncidentError("it is not resolved", code="incident_not_resolved")
            return "\n".join([why, current.cause or "", current.solution or ""])

        sets: dict[str, Any] = dict.fromkeys(
            ("resolved_at", "resolved_by", "cause", "solution", "closed_at", "closed_by")
        )
        sets["status"] = "responding"
        return await self._change(actor, incident_id, "reopen", check, sets, why)

    # Internals.

    async def _change(
        self,
        actor: Actor,
        incident_id: int,
        kind: str,
        check: Callable[[Incident], str | None],
        sets: dict[str, Any],
        text: str,
    ) -> Incident:
        """Load, ``check(current)`` (raises to refuse; may return the timeline text
        instead of ``text``), update, add the timeline entry and the audit row: all in
        one transaction."""
        action = f"incident.{kind}"
        obj = _obj(incident_id)
        await require_audited(self._audit, actor, [Permission.WRITE_RECORDS], action, [obj])
        async with self._store.transaction():
            current = await self.get(incident_id)
            entry_text = check(current)
            if kind in COUNTS_AS_RESPONSE and current.responded_at is None:
                sets = {**sets, "responded_at": to_db(self._clock()), "responded_by": actor.name}
            if sets:
                assignments = ", ".join(f"{name} = :{name}" for name in sets)
                await self._store.write(
                    f"UPDATE incidents SET {assignments} WHERE id = :id",
                    {**sets, "id": incident_id},
                )
            await self._entry(incident_id, actor, entry_kind(kind), entry_text or text)
            detail = {"status": sets.get("status", current.status), "from": current.status}
            detail.update({k: v for k, v in sets.items() if k.startswith("vendor")})
            await self._audit.record(actor.name, action, obj, detail=detail)
        return await self.get(incident_id)

    async def _entry(self, incident_id: int, actor: Actor, kind: str, text: str) -> None:
        await self._store.write(
            "INSERT INTO incident_entries (incident_id, at, who, kind, text)"
            " VALUES (?, ?, ?, ?, ?)",
            (incident_id, to_db(self._clock()), actor.name, kind, text),
        )

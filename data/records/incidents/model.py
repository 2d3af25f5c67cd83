"""What data.records.incidents reads and returns: the Incident and TimelineEntry records,
the incident errors, and the vocabularies (severity, category, status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from data.calendar import ResponseClock, response_status
from data.clock import from_db
from data.errors import DutyDeskError

SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")  # most severe first
CATEGORIES: tuple[str, ...] = (
    "network",
    "hardware",
    "application",
    "environment",
    "security",
    "operation_error",
)
STATUSES: tuple[str, ...] = ("open", "responding", "escalated", "resolved", "closed")
UNRESOLVED: tuple[str, ...] = ("open", "responding", "escalated")
MAX_TITLE = 200
MAX_TEXT = 4000  # a description, note, cause or solution
MAX_FIELD = 100  # caller, department, phone, vendor, contact, ticket

COLUMNS = (
    "id, title, severity, category, status, device_id, check_id, alarm_id, caller, department,"
    " phone, description, opened_by, opened_at, reported_at, respond_by, target_seconds,"
    " responded_at, responded_by, vendor, vendor_contact, vendor_ticket, escalated_at,"
    " vendor_responded_at, resolved_at, resolved_by, cause, solution, closed_at, closed_by"
)
# Most severe first, then the oldest first.
SEVERITY_ORDER = "CASE severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 ELSE 2 END"


class IncidentError(DutyDeskError):
    """Codes: no_such_incident, no_such_device, bad_severity, bad_category, title_required,
    text_required, text_too_long, cause_required, solution_required, incident_closed,
    incident_resolved, incident_not_resolved, incident_not_escalated, already_responded,
    vendor_required, bad_vendor_time, alarm_has_incident."""

    code = "incident_error"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    kind: str  # opened, responded, note, escalated, vendor_responded, resolved, closed, reopened
    text: str


@dataclass(frozen=True)
class Incident:
    """One fault record. The response clock runs from ``reported_at`` (the alarm's raise,
    or the moment a phone report was written down) to ``responded_at`` against
    ``target``, fixed when it was reported. ``timeline`` is filled by ``IncidentBook.get``
    only; lists leave it empty."""

    id: int
    title: str
    severity: str
    category: str
    status: str
    device_id: str | None
    check_id: str | None
    alarm_id: int | None
    caller: str | None
    department: str | None
    phone: str | None
    description: str
    opened_by: str
    opened_at: datetime
    reported_at: datetime
    respond_by: datetime
    target: timedelta
    responded_at: datetime | None
    responded_by: str | None
    vendor: str | None
    vendor_contact: str | None
    vendor_ticket: str | None
    escalated_at: datetime | None
    vendor_responded_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    cause: str | None
    solution: str | None
    closed_at: datetime | None
    closed_by: str | None
    timeline: tuple[TimelineEntry, ...] = ()

    @property
    def unresolved(self) -> bool:
        return self.status in UNRESOLVED

    @property
    def time_to_respond(self) -> timedelta | None:
        return None if self.responded_at is None else self.responded_at - self.reported_at

    @property
    def time_to_resolve(self) -> timedelta | None:
        return None if self.resolved_at is None else self.resolved_at - self.reported_at

    @property
    def vendor_time_to_respond(self) -> timedelta | None:
        if self.escalated_at is None or self.vendor_responded_at is None:
            return None
        return self.vendor_responded_at - self.escalated_at

    def response(self, now: datetime) -> ResponseClock:
        """Met, breached, at risk or open, and the time left (negative when late)."""
        return response_status(self.reported_at, self.target, self.responded_at, now)


def checked_choice(value: str, allowed: tuple[str, ...], code: str) -> str:
    if value not in allowed:
        raise IncidentError(f"{value!r} is not one of {', '.join(allowed)}", code=code)
    return value


def required(text: str | None, code: str, limit: int = MAX_TEXT) -> str:
    """``text`` stripped; an IncidentError with ``code`` when blank, ``text_too_long`` when
    longer than ``limit`` characters."""
    stripped = (text or "").strip()
    if not stripped:
        raise IncidentError("this text is required", code=code)
    return limited(stripped, limit)


def optional(text: str | None, limit: int = MAX_FIELD) -> str | None:
    stripped = (text or "").strip()
    return limited(stripped, limit) if stripped else None


def limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise IncidentError(f"at most {limit} characters", code="text_too_long", max_length=limit)
    return text


def incident_from_row(row: Any, timeline: tuple[TimelineEntry, ...] = ()) -> Incident:
    return Incident(
        id=int(row["id"]),
        title=row["title"],
        severity=row["severity"],
        category=row["category"],
        status=row["status"],
        device_id=row["device_id"],
        check_id=row["check_id"],
        alarm_id=row["alarm_id"],
        caller=row["caller"],
        department=row["department"],
        phone=row["phone"],
        description=row["description"],
        opened_by=row["opened_by"],
        opened_at=from_db(row["opened_at"]),
        reported_at=from_db(row["reported_at"]),
        respond_by=from_db(row["respond_by"]),
        target=timedelta(seconds=int(row["target_seconds"])),
        responded_at=_time(row["responded_at"]),
        responded_by=row["responded_by"],
        vendor=row["vendor"],
        vendor_contact=row["vendor_contact"],
        vendor_ticket=row["vendor_ticket"],
        escalated_at=_time(row["escalated_at"]),
        vendor_responded_at=_time(row["vendor_responded_at"]),
        resolved_at=_time(row["resolved_at"]),
        resolved_by=row["resolved_by"],
        cause=row["cause"],
        solution=row["solution"],
        closed_at=_time(row["closed_at"]),
        closed_by=row["closed_by"],
        timeline=timeline,
    )


def entry_from_row(row: Any) -> TimelineEntry:
    return TimelineEntry(from_db(row["at"]), row["who"], row["kind"], row["text"])


def _time(text: str | None) -> datetime | None:
    return from_db(text) if text is not None else None


ALARM_SEVERITY = {"CRITICAL": "critical", "UNKNOWN": "major", "WARNING": "minor"}
# The audit action incident.<verb> and the timeline entry kind it leaves.
ENTRY_KIND = {
    "respond": "responded",
    "note": "note",
    "escalate": "escalated",
    "vendor_responded": "vendor_responded",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "reopened",
}
COUNTS_AS_RESPONSE = ("escalate", "resolve")


def severity_for_alarm(alarm_severity: str) -> str:
    """The incident severity an alarm suggests (the operator may choose another)."""
    return ALARM_SEVERITY.get(alarm_severity, "major")


def entry_kind(action: str) -> str:
    return ENTRY_KIND[action]


def not_done(current: Incident) -> str | None:
    if current.status == "closed":
        raise IncidentError("the incident is closed", code="incident_closed")
    if current.status == "resolved":
        raise IncidentError("the incident is resolved: reopen it first", code="incident_resolved")
    return None

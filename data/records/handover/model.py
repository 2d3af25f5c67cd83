"""What the handover book reads and returns: the Handover and Refusal records, the summary
a watch is handed over with (and its lines), the pending items, the handover errors, and
the duty operator shown in the header.

The summary is a pydantic model so that the version the outgoing operator signed is
stored as JSON (``model_dump(mode="json")``) and read back unchanged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from data.clock import from_db
from data.errors import DutyDeskError
from data.records.alarms.model import Alarm
from data.records.checks.model import TransitionRow
from data.records.sealing import SEAL_ANCHOR_COLUMN, Seal, row_content, seal_from_row
from data.shifts import ShiftSpan

COLUMNS = (
    "id, kind, operator, shift_name, shift_start, shift_end, period_start, opened_at,"
    " previous_id, amends_id, notes, status, summary_json, out_signed_at, incoming,"
    " in_signed_at, seal_sha256, sealed_at, seal_audit_id, " + SEAL_ANCHOR_COLUMN
)
MAX_TEXT = 4000  # notes, a pending item, a refusal reason


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PersonInRoom(_Model):
    record_id: int
    kind: str  # "visitor" or "staff"
    name: str
    organisation: str
    badge: str | None
    escort: str | None
    entered_at: datetime

    @property
    def visitor(self) -> bool:
        """A visitor still inside at shift end is flagged in the handover."""
        return self.kind == "visitor"


class IncidentLine(_Model):
    id: int
    title: str
    severity: str | None
    status: str | None
    opened_at: datetime
    closed_at: datetime | None


class IncidentSummary(_Model):
    opened: list[IncidentLine]
    closed: list[IncidentLine]
    still_open: list[IncidentLine]


class ActionLine(_Model):
    at: datetime
    user: str | None
    target: str  # the audit row's object, e.g. "device:srv-1/restart-nginx"
    outcome: str
    detail: dict[str, Any]


class InspectionLine(_Model):
    template_id: str
    template_name: str
    period: str
    due_by: datetime
    state: Literal["done", "due", "missed"]
    record_id: int | None


class PendingItem(_Model):
    id: int
    handover_id: int  # the handover it was written in
    text: str
    opened_by: str
    opened_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_note: str | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None


class HandoverSummary(_Model):
    since: datetime
    until: datetime
    transitions: list[TransitionRow]
    alarms_raised: list[Alarm]
    alarms_cleared: list[Alarm]
    alarms_open: list[Alarm]
    actions: list[ActionLine]
    people_in_room: list[PersonInRoom] | None  # None: no access log in this store
    incidents: IncidentSummary | None  # None: no incident records in this store
    inspections: list[InspectionLine]
    notes: str
    pending: list[PendingItem]

    @property
    def visitors_inside(self) -> list[PersonInRoom]:
        return [p for p in self.people_in_room or [] if p.visitor]

    @property
    def open_pending(self) -> list[PendingItem]:
        return [item for item in self.pending if item.open]


class HandoverError(DutyDeskError):
    """Codes: no_such_handover, no_shift (the shift table leaves this moment uncovered),
    handover_required (someone else is on duty: param on_duty), not_on_duty (the actor
    is not this watch's operator), handover_signed_out (waiting for the incoming
    operator), not_signed_out, same_account (outgoing and incoming must differ),
    refusal_reason_required, handover_text_required, text_too_long, not_sealed (amend
    only sealed records), no_such_pending_item, item_closed."""

    code = "handover_error"


class OnDuty(NamedTuple):
    """The operator on duty and the shift the header shows (the table's shift covering
    now; the watch's own shift when the table leaves now uncovered)."""

    user: str
    span: ShiftSpan | None
    handover_id: int


@dataclass(frozen=True)
class Refusal:
    id: int
    refused_by: str
    refused_at: datetime
    reason: str


@dataclass(frozen=True)
class Handover:
    """One operator's watch and the handover closing it (kind "shift"), or an amendment
    of a sealed one (kind "amendment", ``amends_id`` set).

    status: "open" while the operator is on duty; "signed_out" once they signed
    (``summary`` is what they signed); "sealed" once the incoming operator signed too
    (``incoming``, ``in_signed_at``). An amendment is sealed as soon as it is signed.
    """

    id: int
    kind: str
    operator: str
    shift_name: str
    shift_start: datetime
    shift_end: datetime
    period_start: datetime
    opened_at: datetime
    previous_id: int | None
    amends_id: int | None
    notes: str
    status: str
    summary: HandoverSummary | None
    out_signed_at: datetime | None
    incoming: str | None
    in_signed_at: datetime | None
    refusals: tuple[Refusal, ...]
    content: Mapping[str, Any]  # what the seal hashes (the stored row)
    seal: Seal | None

    @property
    def sealed(self) -> bool:
        return self.seal is not None

    @property
    def outgoing(self) -> str:
        return self.operator


def handover_from_row(row: Any, refusals: list[Any]) -> Handover:
    summary = row["summary_json"]
    return Handover(
        id=int(row["id"]),
        kind=row["kind"],
        operator=row["operator"],
        shift_name=row["shift_name"],
        shift_start=from_db(row["shift_start"]),
        shift_end=from_db(row["shift_end"]),
        period_start=from_db(row["period_start"]),
        opened_at=from_db(row["opened_at"]),
        previous_id=row["previous_id"],
        amends_id=row["amends_id"],
        notes=row["notes"],
        status=row["status"],
        summary=HandoverSummary.model_validate(json.loads(summary)) if summary else None,
        out_signed_at=_time(row["out_signed_at"]),
        incoming=row["incoming"],
        in_signed_at=_time(row["in_signed_at"]),
        refusals=tuple(
            Refusal(int(r["id"]), r["refused_by"], from_db(r["refused_at"]), r["reason"])
            for r in refusals
        ),
        content=row_content(row, ("summary_json",)),
        seal=seal_from_row(row),
    )


def checked_text(text: str, code: str = "handover_text_required", allow_empty: bool = False) -> str:
    """``text`` stripped; HandoverError ``code`` when blank (unless allowed), or
    ``text_too_long``."""
    stripped = text.strip()
    if not stripped and not allow_empty:
        raise HandoverError("some text is required", code=code)
    if len(stripped) > MAX_TEXT:
        raise HandoverError(
            f"at most {MAX_TEXT} characters", code="text_too_long", max_length=MAX_TEXT
        )
    return stripped


def _time(text: str | None) -> datetime | None:
    return from_db(text) if text else None


def pending_from_row(row: Any) -> PendingItem:
    return PendingItem.model_validate(with_times(dict(row), "opened_at", "closed_at"))


def with_times(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``row`` with the stored times under ``keys`` read back (None stays None)."""
    for key in keys:
        if row.get(key) is not None:
            row[key] = from_db(row[key])
    return row

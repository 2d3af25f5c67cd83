"""What the inspection book reads and returns: the Inspection and Answer records, which
template periods are due, the inspection errors, and the answer rules (normalising a
value, flagging it).

An answer's ``value`` is stored as text: ``pass``/``fail``, a reading as a number
(``repr(float)``, e.g. ``23.5``), one of the item's choices, or free text. A reading
outside the item's range and a ``fail`` are flagged and need a note before submitting.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from data.checklists import Checklist, ChecklistItem
from data.clock import from_db
from data.errors import DutyDeskError
from data.records.checks.model import Key, LatestRow
from data.records.inspections.schedule import Period
from data.records.sealing import SEAL_ANCHOR_COLUMN, Seal, row_content, seal_from_row

PASS, FAIL = "pass", "fail"
MAX_NOTE = 2000

INSPECTION_COLUMNS = (
    "id, template_id, template_name, schedule, template_json, inspector, started_at,"
    " submitted_at, period, amends_id, seal_sha256, sealed_at, seal_audit_id, " + SEAL_ANCHOR_COLUMN
)
ANSWER_COLUMNS = (
    "inspection_id, item_id, value, note, prefilled_value, prefilled_at, overridden, flagged,"
    " answered_by, answered_at"
)


class DueStatus(NamedTuple):
    template: Checklist
    period: Period
    done: bool
    record_id: int | None
    due_by: datetime


class InspectionError(DutyDeskError):
    """Codes: no_such_template, no_such_draft, inspection_not_submitted (amending a
    draft), no_such_checklist_item, bad_answer (params item, kind), text_too_long,
    answers_missing and note_required (param items: the item ids, comma-separated),
    not_your_draft (param inspector)."""

    code = "inspection_error"


class LiveReading(NamedTuple):
    """The latest result of a live check, for ``InspectionBook.prefill``. A plain
    ``(value, at)`` pair works too; ``state`` (e.g. "OK") pre-fills pass/fail items."""

    value: float | None
    at: datetime
    state: str | None = None


@dataclass(frozen=True)
class Answer:
    item_id: str
    value: str | None  # None: not answered
    note: str
    prefilled_value: str | None  # the live value offered, kept after an override
    prefilled_at: datetime | None  # the time of that live reading
    overridden: bool
    flagged: bool
    answered_by: str | None  # None: filled in from a live check, not yet touched
    answered_at: datetime

    @property
    def prefilled(self) -> bool:
        """The value shown is the live one (marked as such on the form)."""
        return self.prefilled_value is not None and not self.overridden


@dataclass(frozen=True)
class FlaggedItem:
    """A flagged answer: what the UI offers to open an incident for."""

    item_id: str
    text: str
    value: str
    unit: str | None
    allowed: str | None  # the item's range, e.g. "18..27"
    reason: str  # "out_of_range" or "fail"
    note: str


@dataclass(frozen=True)
class Inspection:
    """A draft (``seal`` None) or a submitted, sealed record. ``template`` is the
    checklist as it was when the inspection started."""

    id: int
    template: Checklist
    inspector: str
    started_at: datetime
    submitted_at: datetime | None
    period: str | None
    amends_id: int | None
    answers: Mapping[str, Answer]
    content: Mapping[str, Any]  # what the seal hashes (the stored rows)
    seal: Seal | None

    @property
    def template_id(self) -> str:
        return self.template.id

    @property
    def sealed(self) -> bool:
        return self.seal is not None

    def value(self, item_id: str) -> str | None:
        answer = self.answers.get(item_id)
        return answer.value if answer is not None else None

    def missing(self) -> list[str]:
        """Required items not answered yet, in template order."""
        return [i.id for i in self.template.items() if i.required and self.value(i.id) is None]

    def flagged(self) -> list[FlaggedItem]:
        found = []
        for item in self.template.items():
            answer = self.answers.get(item.id)
            reason = flag_reason(item, answer.value) if answer is not None else None
            if answer is not None and answer.value is not None and reason is not None:
                allowed = str(item.range) if item.range is not None else None
                found.append(
                    FlaggedItem(
                        item.id, item.text, answer.value, item.unit, allowed, reason, answer.note
                    )
                )
        return found


def normalise(item: ChecklistItem, value: object) -> str | None:
    """The stored text of an answer, or None for "not answered"; InspectionError
    ``bad_answer`` when the value does not fit the item's kind."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if item.kind == "passfail":
        if isinstance(value, bool):
            return PASS if value else FAIL
        if isinstance(value, str) and value.strip().lower() in (PASS, FAIL):
            return value.strip().lower()
    elif item.kind == "reading":
        number = _number(value)
        if number is not None:
            return repr(number)
    elif item.kind == "choice":
        if isinstance(value, str) and value.strip() in item.choices:
            return value.strip()
    elif isinstance(value, str):
        return value.strip()
    raise InspectionError(
        f"{value!r} is not an answer to {item.id} ({item.kind})",
        code="bad_answer",
        item=item.id,
        kind=item.kind,
    )


def flag_reason(item: ChecklistItem, value: str | None) -> str | None:
    """Why a stored answer is flagged ("out_of_range", "fail"), or None."""
    if value is None:
        return None
    if item.kind == "passfail" and value == FAIL:
        return "fail"
    if item.kind == "reading" and item.range is not None and not item.range.holds(float(value)):
        return "out_of_range"
    return None


def live_value(item: ChecklistItem, reading: tuple[Any, ...]) -> str | None:
    """What a live reading pre-fills into ``item`` (None: nothing usable). A pass/fail
    item takes the check's state: OK passes, WARNING or CRITICAL fails, UNKNOWN says
    nothing; a reading item takes the value."""
    if item.kind == "passfail":
        state = reading[2] if len(reading) > 2 else None
        return {"OK": PASS, "WARNING": FAIL, "CRITICAL": FAIL}.get(str(state))
    if item.kind == "reading":
        number = _number(reading[0])
        return repr(number) if number is not None else None
    return None


def live_readings(latest: Mapping[Key, LatestRow]) -> dict[Key, LiveReading]:
    """``CheckRecords.latest()`` made into ``prefill`` input; stale results are left out
    (a stale value must never be passed off as the current reading)."""
    return {
        key: LiveReading(row.value, row.at, row.state)
        for key, row in latest.items()
        if not row.stale
    }


def template_json(checklist: Checklist) -> str:
    """The template as stored with a record; ``template_from_json`` reads it back."""
    data = checklist.model_dump(mode="json", exclude_none=True)
    for section in data["sections"]:
        for item in section["items"]:
            if isinstance(item.get("range"), dict):
                item["range"] = item["range"]["text"]  # a Threshold is stored as its text
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def template_from_json(text: str) -> Checklist:
    return Checklist.model_validate(json.loads(text))


def inspection_from_rows(row: Any, answer_rows: list[Any]) -> Inspection:
    answers = {a["item_id"]: _answer(a) for a in answer_rows}
    content = row_content(row, ("template_json",))
    content["answers"] = [row_content(a) for a in sorted(answer_rows, key=lambda a: a["item_id"])]
    return Inspection(
        id=int(row["id"]),
        template=template_from_json(row["template_json"]),
        inspector=row["inspector"],
        started_at=from_db(row["started_at"]),
        submitted_at=from_db(row["submitted_at"]) if row["submitted_at"] else None,
        period=row["period"],
        amends_id=row["amends_id"],
        answers=answers,
        content=content,
        seal=seal_from_row(row),
    )


def _answer(row: Any) -> Answer:
    return Answer(
        item_id=row["item_id"],
        value=row["value"],
        note=row["note"],
        prefilled_value=row["prefilled_value"],
        prefilled_at=from_db(row["prefilled_at"]) if row["prefilled_at"] else None,
        overridden=bool(row["overridden"]),
        flagged=bool(row["flagged"]),
        answered_by=row["answered_by"],
        answered_at=from_db(row["answered_at"]),
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None

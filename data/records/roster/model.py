"""What data.records.roster takes and returns: a day's plan as the supervisor enters it
(validated by pydantic), a day of the roster as stored, swaps, who is rostered now, and
the roster's errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from data.clock import from_db
from data.errors import DutyDeskError
from data.models import AssurancePeriod

MAX_NAME = 64  # an account or leader name
MAX_TEXT = 1000  # vendors' contacts, a note, a reason
MAX_ON_SHIFT = 10


class RosterError(DutyDeskError):
    """Codes: roster_bad_plan (``field`` and ``problem``), roster_unknown_shift,
    roster_unknown_operator (``name``), roster_too_few_on_duty (``shift``, ``period``,
    ``need``, ``got``), roster_not_rostered and roster_already_rostered (``name``,
    ``shift``, ``day``), roster_reason_required, roster_reason_too_long,
    roster_same_person."""

    code = "roster_error"


def _clean(text: str) -> str:
    return " ".join(text.split())


class DayPlan(BaseModel):
    """A day of the roster as the supervisor enters it: ``shifts`` maps each shift name
    of site.yaml to the account names on it (in order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: dt.date
    shifts: dict[str, list[str]] = {}
    leader: str = Field(default="", max_length=MAX_NAME)
    leader_phone: str = Field(default="", max_length=40)
    vendors: str = Field(default="", max_length=MAX_TEXT)
    note: str = Field(default="", max_length=MAX_TEXT)

    @field_validator("leader", "leader_phone")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _clean(value)

    @field_validator("vendors", "note")
    @classmethod
    def _lines(cls, value: str) -> str:
        return "\n".join(line.strip() for line in value.strip().splitlines() if line.strip())

    @field_validator("shifts")
    @classmethod
    def _names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        for shift, names in value.items():
            people = [_clean(name) for name in names if _clean(name)]
            if len(people) > MAX_ON_SHIFT:
                raise ValueError(f"at most {MAX_ON_SHIFT} people on a shift")
            if any(len(name) > MAX_NAME for name in people):
                raise ValueError(f"a name is at most {MAX_NAME} characters")
            folded = [name.casefold() for name in people]
            if len(set(folded)) != len(folded):
                raise ValueError(f"{shift}: the same person is listed twice")
            cleaned[shift] = people
        return cleaned


def plan(**fields: Any) -> DayPlan:
    """A ``DayPlan`` from loose values, or a ``RosterError`` naming the first bad field."""
    try:
        return DayPlan(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "plan"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise RosterError(
            f"{where}: {message}", code="roster_bad_plan", field=where, problem=message
        ) from None


@dataclass(frozen=True)
class RosterDay:
    """A day of the roster: every shift of the site (empty when nobody is rostered), the
    leader on call (the assurance period's when the day names none), vendors' contacts,
    and the assurance period the day is in."""

    day: dt.date
    shifts: dict[str, tuple[str, ...]]
    leader: str
    leader_phone: str
    vendors: str
    note: str
    period: AssurancePeriod | None
    saved_at: dt.datetime | None
    saved_by: str | None

    @property
    def planned(self) -> bool:
        return any(self.shifts.values()) or bool(self.leader and self.saved_at)

    def on(self, shift: str) -> tuple[str, ...]:
        return self.shifts.get(shift, ())


@dataclass(frozen=True)
class Swap:
    id: int
    day: dt.date
    shift: str
    from_name: str
    to_name: str
    reason: str
    recorded_at: dt.datetime
    recorded_by: str


@dataclass(frozen=True)
class OnRoster:
    """Who the roster names for one shift: the day it belongs to (a night shift's is the
    day it starts), the shift, its people, and the day's leader and vendors."""

    day: dt.date
    shift: str
    operators: tuple[str, ...]
    leader: str
    leader_phone: str
    vendors: str
    period: AssurancePeriod | None


@dataclass(frozen=True)
class Deviation:
    """A handover signed by someone the roster did not name, and why."""

    handover_id: int
    incoming: str
    day: dt.date
    shift: str
    rostered: tuple[str, ...]
    reason: str
    recorded_at: dt.datetime


def swap_from_row(row: Any) -> Swap:
    return Swap(
        id=int(row["id"]),
        day=dt.date.fromisoformat(row["day"]),
        shift=row["shift"],
        from_name=row["from_name"],
        to_name=row["to_name"],
        reason=row["reason"],
        recorded_at=from_db(row["recorded_at"]),
        recorded_by=row["recorded_by"],
    )

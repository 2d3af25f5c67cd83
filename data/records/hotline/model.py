"""What data.records.hotline takes and returns: a call as typed (validated by pydantic),
the calls and follow-ups as stored (phone numbers masked), the follow-ups due, and the
hotline's errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from data.clock import from_db
from data.errors import DutyDeskError
from data.phones import Phone, PhoneError, parse_phone

MAX_NAME = 100  # a caller, unit or contact
MAX_TOPIC = 200
MAX_TEXT = 2000  # what was done, a follow-up's remarks
SATISFACTIONS: tuple[str, ...] = ("satisfied", "mostly_satisfied", "dissatisfied")
Satisfaction = Literal["satisfied", "mostly_satisfied", "dissatisfied"]

CALL_COLUMNS = (
    "id, received_at, taken_by, caller, unit, phone_masked, topic, action_taken, incident_id,"
    " linked_at, linked_by"
)
FOLLOWUP_COLUMNS = "id, incident_id, contact, satisfaction, remarks, done_at, done_by"
Model = TypeVar("Model", bound="BaseModel")


class HotlineError(DutyDeskError):
    """Codes: caller_required, topic_required, contact_required, remarks_required (a
    dissatisfied caller's complaint), text_too_long (params ``field``, ``max_length``),
    bad_satisfaction, no_such_call, call_linked (already linked to an incident),
    incident_closed (a call is linked to an incident still open), incident_not_closed
    (a follow-up before the incident closed), followup_not_due (nobody called about it,
    or it was followed up since it closed), no_phone (nothing to reveal). A bad phone number
    is phone_bad_format. ``params["field"]`` names the field a refusal is about."""

    code = "hotline_error"


class HotlineRefused(HotlineError):
    """Refused for more than one reason: ``problems`` in the order of the form's fields;
    the code and params are the first problem's."""

    def __init__(self, problems: Sequence[HotlineError]) -> None:
        first = problems[0]
        super().__init__(
            "; ".join(str(problem) for problem in problems), code=first.code, **first.params
        )
        self.problems = tuple(problems)


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
OptionalName = Annotated[str, Field(max_length=MAX_NAME)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class CallEntry(BaseModel):
    """A call as the operator typed it. The phone number is optional (a caller may
    withhold it) but must be a mainland number when given; ``phone`` holds it parsed."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    caller: Name
    unit: OptionalName = ""
    phone: Phone | None = None
    topic: Annotated[str, Field(min_length=1, max_length=MAX_TOPIC)]
    action: Text = ""

    @field_validator("phone", mode="before")
    @classmethod
    def _parse_phone(cls, value: object) -> Phone | None:
        if isinstance(value, Phone) or value is None:
            return value
        text = str(value).strip()
        if not text:
            return None
        try:
            return parse_phone(text)
        except PhoneError as error:  # pydantic collects only its own errors, with the others
            raise PydanticCustomError(error.code, str(error)) from None

    def __repr__(self) -> str:  # never the phone number in a log or a traceback
        return f"CallEntry(caller={self.caller!r}, topic={self.topic!r}, ...)"


class FollowUpEntry(BaseModel):
    """A follow-up as typed: who was reached, how satisfied, and remarks (required when
    dissatisfied: the complaint is what the supervisor acts on)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    contact: Name
    satisfaction: Satisfaction
    remarks: Annotated[str, Field(max_length=MAX_TEXT, validate_default=True)] = ""

    @field_validator("remarks")
    @classmethod
    def _complaint_written(cls, remarks: str, info: ValidationInfo) -> str:
        if info.data.get("satisfaction") == "dissatisfied" and not remarks:
            raise PydanticCustomError(
                "remarks_required", "write down what the caller is dissatisfied with"
            )
        return remarks


def validated(model: type[Model], **values: Any) -> Model:
    """``model`` built from ``values``, or a HotlineError naming each bad field (one
    error as itself, several as HotlineRefused)."""
    try:
        return model(**values)
    except ValidationError as invalid:
        problems = [_problem(error) for error in invalid.errors()]
    raise problems[0] if len(problems) == 1 else HotlineRefused(problems)


def _problem(error: Any) -> HotlineError:
    field = str(error["loc"][0]) if error["loc"] else ""
    kind = error["type"]
    if kind == "string_too_short":
        return HotlineError(f"the {field} is required", code=f"{field}_required", field=field)
    if kind == "string_too_long":
        limit = error["ctx"]["max_length"]
        return HotlineError(
            f"the {field} is longer than {limit} characters",
            code="text_too_long",
            field=field,
            max_length=limit,
        )
    if kind == "literal_error":
        return HotlineError(
            f"the {field} is one of {', '.join(SATISFACTIONS)}",
            code=f"bad_{field}",
            field=field,
        )
    return HotlineError(error["msg"], code=kind, field=field)


@dataclass(frozen=True)
class Call:
    """One hotline call as anyone may see it: the phone number masked."""

    id: int
    received_at: datetime
    taken_by: str
    caller: str
    unit: str
    phone_masked: str | None
    topic: str
    action: str
    incident_id: int | None
    linked_at: datetime | None
    linked_by: str | None


@dataclass(frozen=True)
class FollowUp:
    id: int
    incident_id: int
    contact: str
    satisfaction: str
    remarks: str
    done_at: datetime
    done_by: str


@dataclass(frozen=True)
class FollowUpDue:
    """A closed incident someone reported whose caller has not been followed up since it
    closed: whom to reach (the first linked call's caller, else the incident's)."""

    incident_id: int
    title: str
    closed_at: datetime
    caller: str
    unit: str
    phone_masked: str | None
    call_ids: tuple[int, ...]


def call_from_row(row: Any) -> Call:
    return Call(
        id=int(row["id"]),
        received_at=from_db(row["received_at"]),
        taken_by=row["taken_by"],
        caller=row["caller"],
        unit=row["unit"],
        phone_masked=row["phone_masked"],
        topic=row["topic"],
        action=row["action_taken"],
        incident_id=row["incident_id"],
        linked_at=from_db(row["linked_at"]) if row["linked_at"] else None,
        linked_by=row["linked_by"],
    )


def followup_from_row(row: Any) -> FollowUp:
    return FollowUp(
        id=int(row["id"]),
        incident_id=int(row["incident_id"]),
        contact=row["contact"],
        satisfaction=row["satisfaction"],
        remarks=row["remarks"],
        done_at=from_db(row["done_at"]),
        done_by=row["done_by"],
    )

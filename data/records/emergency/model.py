"""What data.records.emergency reads and returns: a plan run (from an incident, or a
drill) with its step log, what a caller sends to log a step or close a drill (validated by
pydantic, each refusal a code the console translates), and the errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from data.clock import from_db
from data.emergency_plans import EmergencyPlan
from data.errors import DutyDeskError

RunKind = Literal["incident", "drill"]
Outcome = Literal["done", "skipped"]
MAX_TEXT = 2000  # a note, a reason, a scenario, the findings
MAX_NAME = 100  # a participant, a follow-up action
MAX_LIST = 50  # participants or follow-up actions

COLUMNS = (
    "id, plan_id, plan_name, steps_json, kind, incident_id, scenario, status, started_by,"
    " started_at, finished_by, finished_at, participants, findings, follow_ups"
)


class EmergencyError(DutyDeskError):
    """Codes: no_such_plan, no_such_run, no_such_incident, incident_closed,
    plan_already_running, no_such_step, step_logged, run_finished, steps_pending,
    reason_required, scenario_required, participants_required, findings_required,
    text_too_long, too_many, bad_value. ``field`` (when given) names the form field it is about."""

    code = "emergency_error"


class EmergencyRefused(EmergencyError):
    """Several problems at once (a drill's closing form): ``problems`` in field order."""

    def __init__(self, problems: Sequence[EmergencyError]) -> None:
        first = problems[0]
        super().__init__("; ".join(str(p) for p in problems), code=first.code, **first.params)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class RunStep:
    """A step of the plan as it was when the run started, and what the log says of it."""

    id: str
    text: str
    role: str  # the role's name, e.g. 值班员
    notify: tuple[str, ...]
    outcome: Outcome | None = None  # None: not logged yet
    at: datetime | None = None
    who: str | None = None
    note: str = ""


@dataclass(frozen=True)
class PlanRun:
    id: int
    plan_id: str
    plan_name: str
    kind: RunKind
    incident_id: int | None
    scenario: str
    status: str  # running, finished
    started_by: str
    started_at: datetime
    finished_by: str | None
    finished_at: datetime | None
    participants: tuple[str, ...]
    findings: str
    follow_ups: tuple[str, ...]
    steps: tuple[RunStep, ...]

    @property
    def is_drill(self) -> bool:
        return self.kind == "drill"

    @property
    def pending(self) -> tuple[RunStep, ...]:
        return tuple(step for step in self.steps if step.outcome is None)

    @property
    def next_step(self) -> RunStep | None:
        """The first step not logged yet (steps may be logged out of order)."""
        return next(iter(self.pending), None)

    def step(self, step_id: str) -> RunStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise EmergencyError(f"the plan has no step {step_id!r}", code="no_such_step", step=step_id)


def plan_snapshot(plan: EmergencyPlan) -> str:
    """The plan's steps as the run keeps them (JSON), roles resolved to their names."""
    steps = [
        {"id": s.id, "text": s.text, "role": plan.role(s.role).name, "notify": list(s.notify)}
        for s in plan.steps
    ]
    return json.dumps(steps, ensure_ascii=False)


def run_from_rows(row: Any, logged: Sequence[Any]) -> PlanRun:
    by_step = {entry["step_id"]: entry for entry in logged}
    steps = []
    for step in json.loads(row["steps_json"]):
        entry = by_step.get(step["id"])
        steps.append(
            RunStep(
                id=step["id"],
                text=step["text"],
                role=step["role"],
                notify=tuple(step["notify"]),
                outcome=entry["outcome"] if entry else None,
                at=from_db(entry["at"]) if entry else None,
                who=entry["who"] if entry else None,
                note=entry["note"] if entry else "",
            )
        )
    return PlanRun(
        id=int(row["id"]),
        plan_id=row["plan_id"],
        plan_name=row["plan_name"],
        kind=row["kind"],
        incident_id=row["incident_id"],
        scenario=row["scenario"],
        status=row["status"],
        started_by=row["started_by"],
        started_at=from_db(row["started_at"]),
        finished_by=row["finished_by"],
        finished_at=from_db(row["finished_at"]) if row["finished_at"] else None,
        participants=tuple(json.loads(row["participants"])),
        findings=row["findings"],
        follow_ups=tuple(json.loads(row["follow_ups"])),
        steps=tuple(steps),
    )


# What callers send, validated. Each refusal's pydantic type is the EmergencyError code.
INPUT_CODES = frozenset(
    {
        "reason_required",
        "scenario_required",
        "participants_required",
        "findings_required",
        "text_too_long",
        "too_many",
    }
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise PydanticCustomError(
            "text_too_long", "at most {max_length} characters", {"max_length": limit}
        )
    return text


def _names(items: Sequence[str]) -> tuple[str, ...]:
    """Blank lines dropped, each stripped and limited, at most MAX_LIST of them."""
    names = tuple(_limited(item.strip(), MAX_NAME) for item in items if item.strip())
    if len(names) > MAX_LIST:
        raise PydanticCustomError("too_many", "at most {count} of them", {"count": MAX_LIST})
    return names


class StepLog(_Input):
    """One step done (or skipped: then the reason is required)."""

    step_id: str
    outcome: Outcome = "done"
    note: str = ""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("outcome") == "skipped" and not value:
            raise PydanticCustomError("reason_required", "a skipped step needs a reason")
        return _limited(value, MAX_TEXT)


class DrillStart(_Input):
    plan_id: str
    scenario: str

    @field_validator("scenario")
    @classmethod
    def _scenario(cls, value: str) -> str:
        if not value:
            raise PydanticCustomError("scenario_required", "describe the drill's scenario")
        return _limited(value, MAX_TEXT)


class DrillClose(_Input):
    """What a drill ends with: who took part, what it showed, what is to be done."""

    participants: tuple[str, ...]
    findings: str
    follow_ups: tuple[str, ...] = ()

    @field_validator("participants")
    @classmethod
    def _participants(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = _names(value)
        if not names:
            raise PydanticCustomError("participants_required", "name who took part")
        return names

    @field_validator("findings")
    @classmethod
    def _findings(cls, value: str) -> str:
        if not value:
            raise PydanticCustomError("findings_required", "write down what the drill showed")
        return _limited(value, MAX_TEXT)

    @field_validator("follow_ups")
    @classmethod
    def _follow_ups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _names(value)


def refusal(error: ValidationError) -> EmergencyError:
    """pydantic's errors as one EmergencyError (several: ``EmergencyRefused``), each with
    the field it is about; a type we did not name is a plain ``bad_value``."""
    problems = []
    for err in error.errors(include_url=False, include_input=False):
        field = str(err["loc"][0]) if err["loc"] else ""
        code = err["type"] if err["type"] in INPUT_CODES else "bad_value"
        params = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, int | str)}
        problems.append(EmergencyError(f"{field}: {err['msg']}", code=code, field=field, **params))
    return problems[0] if len(problems) == 1 else EmergencyRefused(problems)

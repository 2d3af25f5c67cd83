"""Emergency plan runs (应急预案启动) and drills (应急演练): the timed step log.

A plan is started from an incident (the run is attached to it and shown with it) or as a
drill (a scenario instead of an incident). Each step is then logged as done, or skipped
with a reason, by whoever did it, when; steps may be logged in any order, once each. A run
is finished when every step is logged; a drill is finished with its participants, its
findings and the follow-up actions it calls for.

Roles are checked here (WRITE_RECORDS: operators and supervisors) and refusals audited;
every change writes its rows and one audit row in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError

from data.audit import AuditTrail
from data.clock import Clock, to_db, utc_now
from data.emergency_plans import EmergencyPlan
from data.records.emergency.model import (
    COLUMNS,
    DrillClose,
    DrillStart,
    EmergencyError,
    Outcome,
    PlanRun,
    RunKind,
    StepLog,
    plan_snapshot,
    refusal,
    run_from_rows,
)
from data.records.permissions import require_audited
from data.roles import Actor, Permission
from data.store import Store


def run_object(run_id: int) -> str:
    """The audit trail's name for a run: ``plan_run:12``."""
    return f"plan_run:{run_id}"


class RunReader:
    """The runs as they are stored: what the book, the screens and the report read."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, run_id: int) -> PlanRun:
        row = await self._store.fetchone(f"SELECT {COLUMNS} FROM plan_runs WHERE id = ?", (run_id,))
        if row is None:
            raise EmergencyError(f"no plan run {run_id}", code="no_such_run", run=run_id)
        return (await self._with_steps([row]))[0]

    async def for_incident(self, incident_id: int) -> list[PlanRun]:
        """The runs attached to the incident, oldest first."""
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM plan_runs WHERE incident_id = ? ORDER BY started_at, id",
            (incident_id,),
        )
        return await self._with_steps(rows)

    async def recent(self, limit: int = 200) -> list[PlanRun]:
        """Running ones first, then the latest started."""
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM plan_runs"
            " ORDER BY status = 'finished', started_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return await self._with_steps(rows)

    async def history(
        self, since: datetime, until: datetime, kind: RunKind | None = None
    ) -> list[PlanRun]:
        """Runs started in [since, until), oldest first; ``kind`` keeps one kind."""
        # CAST: PostgreSQL must know the type of a parameter that is only tested for NULL.
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM plan_runs WHERE started_at >= ? AND started_at < ?"
            " AND (CAST(? AS TEXT) IS NULL OR kind = ?) ORDER BY started_at, id",
            (to_db(since), to_db(until), kind, kind),
        )
        return await self._with_steps(rows)

    async def _with_steps(self, rows: Sequence[sqlite3.Row]) -> list[PlanRun]:
        """The runs of ``rows`` with their step logs, read in one query."""
        ids = [int(row["id"]) for row in rows]
        logged: dict[int, list[sqlite3.Row]] = {run_id: [] for run_id in ids}
        if ids:
            marks = ", ".join("?" * len(ids))
            for entry in await self._store.fetchall(
                "SELECT run_id, step_id, outcome, at, who, note FROM plan_run_steps"
                f" WHERE run_id IN ({marks})",
                ids,
            ):
                logged[int(entry["run_id"])].append(entry)
        return [run_from_rows(row, logged[int(row["id"])]) for row in rows]


class EmergencyBook(RunReader):
    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        plans: Sequence[EmergencyPlan],
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(store)
        self._audit = audit
        self.plans = tuple(plans)
        self._clock = clock

    def plan(self, plan_id: str) -> EmergencyPlan:
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        raise EmergencyError(f"no plan {plan_id!r}", code="no_such_plan", plan=plan_id)

    # Starting.

    async def start_for_incident(self, actor: Actor, plan_id: str, incident_id: int) -> PlanRun:
        """Run ``plan_id`` for the incident (not closed; not already running this plan)."""
        await self._allowed(actor, "plan.start", f"incident:{incident_id}")
        plan = self.plan(plan_id)
        async with self._store.transaction():
            row = await self._store.fetchone(
                "SELECT status FROM incidents WHERE id = ?", (incident_id,)
            )
            if row is None:
                raise EmergencyError(
                    f"no incident {incident_id}", code="no_such_incident", incident=incident_id
                )
            if row["status"] == "closed":
                raise EmergencyError("the incident is closed", code="incident_closed")
            running = await self._store.fetchone(
                "SELECT id FROM plan_runs WHERE incident_id = ? AND plan_id = ?"
                " AND status = 'running'",
                (incident_id, plan_id),
            )
            if running is not None:
                raise EmergencyError(
                    "this plan is already running for the incident",
                    code="plan_already_running",
                    run=int(running["id"]),
                )
            run_id = await self._insert(actor, plan, "incident", incident_id, "")
        return await self.get(run_id)

    async def start_drill(self, actor: Actor, plan_id: str, scenario: str) -> PlanRun:
        """A drill of ``plan_id``: the same run, with a scenario instead of an incident."""
        await self._allowed(actor, "plan.start", "drill:new")
        try:
            start = DrillStart(plan_id=plan_id, scenario=scenario)
        except ValidationError as e:
            raise refusal(e) from None
        plan = self.plan(start.plan_id)
        async with self._store.transaction():
            run_id = await self._insert(actor, plan, "drill", None, start.scenario)
        return await self.get(run_id)

    async def _insert(
        self,
        actor: Actor,
        plan: EmergencyPlan,
        kind: RunKind,
        incident_id: int | None,
        scenario: str,
    ) -> int:
        rows = await self._store.write(
            "INSERT INTO plan_runs (plan_id, plan_name, steps_json, kind, incident_id, scenario,"
            " started_by, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                plan.id,
                plan.name,
                plan_snapshot(plan),
                kind,
                incident_id,
                scenario,
                actor.name,
                to_db(self._clock()),
            ),
        )
        run_id = int(rows[0][0])
        detail = {"plan": plan.id, "kind": kind, "incident_id": incident_id}
        await self._audit.record(actor.name, "plan.start", run_object(run_id), detail=detail)
        return run_id

    # The step log.

    async def log_step(
        self, actor: Actor, run_id: int, step_id: str, outcome: Outcome = "done", note: str = ""
    ) -> PlanRun:
        """Log a step done (or skipped: ``note`` is then the required reason)."""
        await self._allowed(actor, "plan.step", run_object(run_id))
        try:
            entry = StepLog(step_id=step_id, outcome=outcome, note=note)
        except ValidationError as e:
            raise refusal(e) from None
        async with self._store.transaction():
            run = await self.get(run_id)
            self._not_finished(run)
            if run.step(entry.step_id).outcome is not None:
                raise EmergencyError(
                    "this step is logged already", code="step_logged", step=entry.step_id
                )
            await self._store.write(
                "INSERT INTO plan_run_steps (run_id, step_id, outcome, at, who, note)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    entry.step_id,
                    entry.outcome,
                    to_db(self._clock()),
                    actor.name,
                    entry.note,
                ),
            )
            detail = {"step": entry.step_id, "outcome": entry.outcome, "note": entry.note}
            await self._audit.record(actor.name, "plan.step", run_object(run_id), detail=detail)
        return await self.get(run_id)

    async def finish(
        self,
        actor: Actor,
        run_id: int,
        participants: Sequence[str] = (),
        findings: str = "",
        follow_ups: Sequence[str] = (),
    ) -> PlanRun:
        """Close the run once every step is logged; a drill also needs its participants and
        findings (and may name follow-up actions)."""
        await self._allowed(actor, "plan.finish", run_object(run_id))
        async with self._store.transaction():
            run = await self.get(run_id)
            self._not_finished(run)
            if run.pending:
                raise EmergencyError(
                    "log every step first (done, or skipped with a reason)",
                    code="steps_pending",
                    count=len(run.pending),
                )
            sets: dict[str, object] = {
                "status": "finished",
                "finished_by": actor.name,
                "finished_at": to_db(self._clock()),
            }
            if run.is_drill:
                try:
                    close = DrillClose(
                        participants=tuple(participants),
                        findings=findings,
                        follow_ups=tuple(follow_ups),
                    )
                except ValidationError as e:
                    raise refusal(e) from None
                sets |= {
                    "participants": json.dumps(close.participants, ensure_ascii=False),
                    "findings": close.findings,
                    "follow_ups": json.dumps(close.follow_ups, ensure_ascii=False),
                }
            assignments = ", ".join(f"{name} = :{name}" for name in sets)
            await self._store.write(
                f"UPDATE plan_runs SET {assignments} WHERE id = :id", {**sets, "id": run_id}
            )
            detail = {k: v for k, v in sets.items() if k not in ("status", "finished_by")}
            await self._audit.record(actor.name, "plan.finish", run_object(run_id), detail=detail)
        return await self.get(run_id)

    # Internals.

    async def _allowed(self, actor: Actor, action: str, obj: str) -> None:
        await require_audited(self._audit, actor, [Permission.WRITE_RECORDS], action, [obj])

    @staticmethod
    def _not_finished(run: PlanRun) -> None:
        if run.status == "finished":
            raise EmergencyError("the run is finished", code="run_finished")

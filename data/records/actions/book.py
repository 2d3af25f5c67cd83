"""Remote action runs (README "Security"): who may run them, and their record.

Roles are enforced here, not only in the dialog: ``authorize`` refuses an actor whose role
lacks ``RUN_ACTION`` or is not among the action's ``roles``, and audits the refusal. A
run is recorded once it is over, in one transaction: the ``action_runs`` row (with the
output, cut to 64 KiB, for the device screen) and the audit row ``action.run`` (who, when,
target, command, exit status and the output's SHA-256 and size - never the output itself,
which may hold anything the remote side printed).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from data.audit import AuditTrail
from data.clock import Clock, to_db, utc_now
from data.masking import mask
from data.models import Action, Device
from data.records.actions.model import (
    OUTCOMES,
    ActionError,
    ActionRun,
    keep_output,
    object_name,
    run_from_row,
)
from data.roles import Actor, Permission, PermissionDenied, require
from data.store import Store

REPEAT_WINDOW = timedelta(seconds=60)
AUDIT_ACTION = "action.run"
_COLUMNS = (
    "id, device_id, action_id, actor, host, ssh_user, command, started_at, finished_at,"
    " duration_ms, exit_status, outcome, reason, output, output_bytes, output_sha256,"
    " recheck_state, audit_id"
)


class ActionLog:
    def __init__(self, store: Store, audit: AuditTrail, clock: Clock = utc_now) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def authorize(self, actor: Actor, device: Device, action: Action) -> None:
        """Return if ``actor`` may run ``action`` on ``device``; else audit the refusal and
        raise ``PermissionDenied`` (or ``ActionError`` for an action not configured there)."""
        obj = object_name(device, action)
        if action not in device.actions:
            await self._audit.record(
                actor.name, AUDIT_ACTION, obj, "denied", {"reason": "unknown_action"}
            )
            raise ActionError(
                f"{action.id} is not an action of {device.id}",
                code="unknown_action",
                device=device.id,
                action=action.id,
            )
        try:
            require(actor, Permission.RUN_ACTION)
        except PermissionDenied as denied:
            detail = {"permission": denied.params["permission"]}
            await self._audit.record(actor.name, AUDIT_ACTION, obj, "denied", detail)
            raise
        role = str(actor.role)
        if role not in action.roles:
            detail = {"reason": "role_not_in_action_roles", "roles": list(action.roles)}
            await self._audit.record(actor.name, AUDIT_ACTION, obj, "denied", detail)
            raise PermissionDenied(
                f"{actor.name} ({role}) may not run {action.id} on {device.id};"
                f" allowed roles: {', '.join(action.roles)}",
                code="action_not_allowed",
                user=actor.name,
                role=role,
                action=action.label,
                roles=", ".join(action.roles),
            )

    async def recent_run(
        self, device_id: str, action_id: str, within: timedelta = REPEAT_WINDOW
    ) -> ActionRun | None:
        """The latest run of this action on this device that started within ``within``
        of now (the dialog warns and asks again), else None."""
        since = self._clock() - within
        row = await self._store.fetchone(
            f"SELECT {_COLUMNS} FROM action_runs"
            " WHERE device_id = ? AND action_id = ? AND started_at >= ?"
            " ORDER BY started_at DESC, id DESC LIMIT 1",
            (device_id, action_id, to_db(since)),
        )
        return None if row is None else run_from_row(row)

    async def recent(self, device_id: str, limit: int = 10) -> list[ActionRun]:
        """The device's runs, newest first."""
        rows = await self._store.fetchall(
            f"SELECT {_COLUMNS} FROM action_runs WHERE device_id = ?"
            " ORDER BY started_at DESC, id DESC LIMIT ?",
            (device_id, limit),
        )
        return [run_from_row(row) for row in rows]

    async def record(
        self,
        actor: Actor,
        device: Device,
        action: Action,
        exit_status: int | None,
        outcome: str,
        output: str,
        started: datetime,
        finished: datetime,
        recheck_state: str | None,
        *,
        ssh_user: str,
        port: int | None = None,
        reason: str = "",
        duration_ms: float | None = None,
    ) -> ActionRun:
        """Write the run and its audit row together; returns the stored run."""
        if outcome not in OUTCOMES:
            raise ActionError(f"unknown outcome {outcome!r}", code="bad_outcome")
        data = output.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        if duration_ms is None:
            duration_ms = (finished - started).total_seconds() * 1000
        millis = max(0, round(duration_ms))
        detail: dict[str, Any] = {
            "host": device.host,
            "port": port,
            "user": ssh_user,
            "command": mask(action.command),  # a ${ENV} secret inside it stays out
            "exit_status": exit_status,
            "outcome": outcome,
            "reason": reason,
            "output_sha256": digest,
            "output_bytes": len(data),
            "duration_ms": millis,
            "recheck": {"check": action.recheck, "state": recheck_state}
            if action.recheck
            else None,
        }
        async with self._store.transaction():
            audit_id = await self._audit.record(
                actor.name,
                AUDIT_ACTION,
                object_name(device, action),
                "ok" if outcome == "ok" else "failed",
                detail,
            )
            rows = await self._store.write(
                "INSERT INTO action_runs (device_id, action_id, actor, host, ssh_user, command,"
                " started_at, finished_at, duration_ms, exit_status, outcome, reason, output,"
                " output_bytes, output_sha256, recheck_state, audit_id)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
                (
                    device.id,
                    action.id,
                    actor.name,
                    device.host,
                    ssh_user,
                    mask(action.command),
                    to_db(started),
                    to_db(finished),
                    millis,
                    exit_status,
                    outcome,
                    reason,
                    mask(keep_output(output)),
                    len(data),
                    digest,
                    recheck_state,
                    audit_id,
                ),
            )
        return run_from_row(rows[0])

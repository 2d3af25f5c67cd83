"""What the action log reads and returns: a run of a remote action, its errors, and the
names and limits it is recorded with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from data.clock import from_db
from data.errors import DutyDeskError
from data.models import Action, Device

OUTCOMES = ("ok", "failed", "refused", "timeout", "host_key", "auth")
OUTPUT_KEEP = 64 * 1024  # bytes of output kept per run in the table


class ActionError(DutyDeskError):
    """Codes: unknown_action (the action is not configured for that device), bad_outcome."""

    code = "action_error"


@dataclass(frozen=True)
class ActionRun:
    id: int
    device_id: str
    action_id: str
    actor: str
    host: str
    ssh_user: str
    command: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    exit_status: int | None
    outcome: str
    reason: str
    output: str  # at most OUTPUT_KEEP bytes of it
    output_bytes: int
    output_sha256: str
    recheck_state: str | None
    audit_id: int

    @property
    def output_cut(self) -> bool:
        return len(self.output.encode("utf-8")) < self.output_bytes


def object_name(device: Device, action: Action) -> str:
    """The audit trail's name for an action on a device: ``web-1/restart-nginx``."""
    return f"{device.id}/{action.id}"


def keep_output(output: str, limit: int = OUTPUT_KEEP) -> str:
    """At most ``limit`` bytes of ``output``, never ending in half a UTF-8 character."""
    data = output.encode("utf-8")
    return output if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def run_from_row(row: Any) -> ActionRun:
    return ActionRun(
        id=int(row["id"]),
        device_id=row["device_id"],
        action_id=row["action_id"],
        actor=row["actor"],
        host=row["host"],
        ssh_user=row["ssh_user"],
        command=row["command"],
        started_at=from_db(row["started_at"]),
        finished_at=from_db(row["finished_at"]),
        duration_ms=int(row["duration_ms"]),
        exit_status=row["exit_status"],
        outcome=row["outcome"],
        reason=row["reason"],
        output=row["output"],
        output_bytes=int(row["output_bytes"]),
        output_sha256=row["output_sha256"],
        recheck_state=row["recheck_state"],
        audit_id=int(row["audit_id"]),
    )

"""Alarms and their acknowledgement (docs/architecture.md "An acknowledgement").

An alarm is a hard non-OK state of one check; a check has at most one active alarm (a
unique index says so). Roles are enforced here, not only in the UI, and every
acknowledgement, refusal, withdrawal and expiry is audited, one row per alarm, in the
same transaction as the change.

- An acknowledgement needs a comment and lasts ``DEFAULT_ACK`` (2 h) unless told
  otherwise; ``expire_acks`` removes the ones that ran out, and the caller rings the bell
  for the alarms it returns. A sticky one (supervisors only) lasts until recovery.
- A severity that gets worse (e.g. WARNING to CRITICAL) withdraws a non-sticky ack, as an
  expiry does: the operator acknowledged a lesser problem.
- Raising and clearing are the system following the checks: they are not audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from data.audit import AuditEvent, AuditTrail
from data.clock import Clock, to_db, utc_now
from data.records.alarms.bell_mutes import BellMutes
from data.records.alarms.model import (
    ACTIVE_ORDER,
    COLUMNS,
    Alarm,
    AlarmError,
    BellMute,
    alarm_from_row,
    required_text,
    severity_rank,
)
from data.records.permissions import require_audited
from data.roles import Actor, Permission
from data.store import Store

DEFAULT_ACK = timedelta(hours=2)
_NO_ACK = "ack_by = NULL, ack_at = NULL, ack_comment = NULL, ack_until = NULL, sticky = 0"


class AlarmBook:
    def __init__(self, store: Store, audit: AuditTrail, clock: Clock = utc_now) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock
        self._bell = BellMutes(store, audit, clock)

    # The system's side: following the checks.

    async def raise_or_update(
        self,
        device_id: str,
        check_id: str,
        severity: str,
        message: str,
        at: datetime,
        attempts: int,
        flapping: bool = False,
    ) -> Alarm:
        """Raise the check's alarm, or update its active one (severity, message, ...)."""
        rank = severity_rank(severity)
        async with self._store.transaction():
            current = await self.active_for(device_id, check_id)
            if current is None:
                rows = await self._store.write(
                    "INSERT INTO alarms (device_id, check_id, severity, message, raised_at,"
                    f" attempts, flapping) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
                    (device_id, check_id, severity, message, to_db(at), attempts, int(flapping)),
                )
                return alarm_from_row(rows[0])
            worse = rank > severity_rank(current.severity)
            withdraw = current.acknowledged and not current.sticky and worse
            rows = await self._store.write(
                "UPDATE alarms SET severity = ?, message = ?, attempts = ?, flapping = ?"
                + (f", {_NO_ACK}, reraised_count = reraised_count + 1" if withdraw else "")
                + f" WHERE id = ? RETURNING {COLUMNS}",
                (severity, message, attempts, int(flapping), current.id),
            )
            if withdraw:
                await self._audit.record(
                    None,
                    "alarm.ack_escalated",
                    _obj(current.id),
                    detail={**_about(current), "ack_by": current.ack_by, "to_severity": severity},
                )
        return alarm_from_row(rows[0])

    async def clear(self, device_id: str, check_id: str, at: datetime) -> Alarm | None:
        """Recovery: the active alarm (if any) is cleared; a sticky ack ends with it."""
        rows = await self._store.write(
            "UPDATE alarms SET cleared_at = :at,"
            " ack_until = CASE WHEN sticky = 1 THEN :at ELSE ack_until END"
            " WHERE device_id = :device AND check_id = :check AND cleared_at IS NULL"
            f" RETURNING {COLUMNS}",
            {"at": to_db(at), "device": device_id, "check": check_id},
        )
        return alarm_from_row(rows[0]) if rows else None

    async def expire_acks(self, now: datetime | None = None) -> list[Alarm]:
        """Remove acknowledgements whose time ran out; the caller rings the bell for the
        alarms returned (each ``reraised_count`` is one higher)."""
        moment = to_db(now or self._clock())
        async with self._store.transaction() as db:
            expired = [
                alarm_from_row(row)
                for row in await self._store.fetchall(
                    f"SELECT {COLUMNS} FROM alarms WHERE cleared_at IS NULL AND sticky = 0"
                    " AND ack_until IS NOT NULL AND ack_until <= ? ORDER BY id",
                    (moment,),
                )
            ]
            if not expired:
                return []
            await db.executemany(
                f"UPDATE alarms SET {_NO_ACK}, reraised_count = reraised_count + 1 WHERE id = ?",
                [(alarm.id,) for alarm in expired],
            )
            await self._audit.record_many(
                AuditEvent(
                    None,
                    "alarm.ack_expired",
                    _obj(alarm.id),
                    detail={**_about(alarm), "ack_by": alarm.ack_by, "until": alarm.ack_until},
                )
                for alarm in expired
            )
            return await self._by_ids([alarm.id for alarm in expired])

    # Reading.

    async def get(self, alarm_id: int) -> Alarm | None:
        row = await self._store.fetchone(f"SELECT {COLUMNS} FROM alarms WHERE id = ?", (alarm_id,))
        return alarm_from_row(row) if row is not None else None

    async def active_for(self, device_id: str, check_id: str) -> Alarm | None:
        row = await self._store.fetchone(
            f"SELECT {COLUMNS} FROM alarms"
            " WHERE device_id = ? AND check_id = ? AND cleared_at IS NULL",
            (device_id, check_id),
        )
        return alarm_from_row(row) if row is not None else None

    async def active(self) -> list[Alarm]:
        """Active alarms, the most severe first, then the oldest first."""
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM alarms WHERE cleared_at IS NULL ORDER BY {ACTIVE_ORDER}"
        )
        return [alarm_from_row(row) for row in rows]

    async def history(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        device_id: str | None = None,
        severity: str | None = None,
        limit: int = 500,
    ) -> list[Alarm]:
        """Alarms raised in [since, until), active or cleared, newest first."""
        where, params = ["1 = 1"], list[Any]()
        for clause, value in (
            ("raised_at >= ?", to_db(since) if since else None),
            ("raised_at < ?", to_db(until) if until else None),
            ("device_id = ?", device_id),
            ("severity = ?", severity),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM alarms WHERE {' AND '.join(where)}"
            " ORDER BY raised_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [alarm_from_row(row) for row in rows]

    # The operator's side: acknowledging, and the bell.

    async def acknowledge(
        self,
        actor: Actor,
        alarm_ids: Sequence[int],
        comment: str,
        duration: timedelta | None = None,
        sticky: bool = False,
    ) -> list[Alarm]:
        """Acknowledge the alarms, all or none: one transaction, one audit row each."""
        ids = list(dict.fromkeys(alarm_ids))
        if not ids:
            return []
        needed = [Permission.ACK_ALARM] + ([Permission.STICKY_ACK] if sticky else [])
        await self._require(actor, needed, "alarm.ack", ids)
        text = required_text(comment, "ack_comment_required")
        span = DEFAULT_ACK if duration is None else duration
        if span <= timedelta(0):
            raise AlarmError("an acknowledgement must last some time", code="bad_ack_duration")
        now = self._clock()
        until = None if sticky else now + span
        try:
            async with self._store.transaction() as db:
                alarms = await self._active_by_ids(ids)
                await db.executemany(
                    "UPDATE alarms SET ack_by = ?, ack_at = ?, ack_comment = ?, ack_until = ?,"
                    " sticky = ?, first_ack_at = coalesce(first_ack_at, ?) WHERE id = ?",
                    [
                        (
                            actor.name,
                            to_db(now),
                            text,
                            to_db(until) if until else None,
                            int(sticky),
                            to_db(now),
                            alarm.id,
                        )
                        for alarm in alarms
                    ],
                )
                detail = {"comment": text, "until": until, "sticky": sticky}
                await self._audit.record_many(
                    AuditEvent(actor.name, "alarm.ack", _obj(a.id), detail={**_about(a), **detail})
                    for a in alarms
                )
                return await self._by_ids(ids)
        except AlarmError as error:
            await self._audit_all(actor, "alarm.ack", ids, "failed", {"error": error.code})
            raise

    async def unacknowledge(self, actor: Actor, alarm_id: int, reason: str) -> Alarm:
        """Withdraw an acknowledgement (the alarm is loud again); audited."""
        await self._require(actor, [Permission.ACK_ALARM], "alarm.unack", [alarm_id])
        text = required_text(reason, "unack_reason_required")
        async with self._store.transaction():
            (alarm,) = await self._active_by_ids([alarm_id])
            if not alarm.acknowledged:
                raise AlarmError(
                    f"alarm {alarm_id} is not acknowledged",
                    code="alarm_not_acknowledged",
                    alarm_id=alarm_id,
                )
            await self._store.write(f"UPDATE alarms SET {_NO_ACK} WHERE id = ?", (alarm_id,))
            await self._audit.record(
                actor.name,
                "alarm.unack",
                _obj(alarm_id),
                detail={**_about(alarm), "reason": text, "ack_by": alarm.ack_by},
            )
            return (await self._by_ids([alarm_id]))[0]

    async def mute_bell(self, actor: Actor, minutes: int, reason: str) -> BellMute:
        """Silence the alarm bell for ``minutes`` (1..240); audited."""
        return await self._bell.mute(actor, minutes, reason)

    async def unmute_bell(self, actor: Actor) -> None:
        await self._bell.unmute(actor)

    async def bell_muted(self, now: datetime | None = None) -> BellMute | None:
        return await self._bell.muted(now)

    # Helpers.

    async def _require(
        self, actor: Actor, permissions: list[Permission], action: str, ids: list[int]
    ) -> None:
        await require_audited(self._audit, actor, permissions, action, [_obj(i) for i in ids])

    async def _audit_all(
        self, actor: Actor, action: str, ids: list[int], outcome: str, detail: dict[str, Any]
    ) -> None:
        await self._audit.record_many(
            AuditEvent(actor.name, action, _obj(i), outcome, detail) for i in ids
        )

    async def _by_ids(self, ids: list[int]) -> list[Alarm]:
        marks = ", ".join("?" * len(ids))
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM alarms WHERE id IN ({marks})", ids
        )
        found = {alarm.id: alarm for alarm in map(alarm_from_row, rows)}
        return [found[alarm_id] for alarm_id in ids if alarm_id in found]

    async def _active_by_ids(self, ids: list[int]) -> list[Alarm]:
        """The alarms, in the order asked; AlarmError if one is missing or cleared."""
        alarms = await self._by_ids(ids)
        missing = sorted(set(ids) - {alarm.id for alarm in alarms})
        if missing:
            raise AlarmError(f"no alarm {missing}", code="no_such_alarm", ids=missing)
        cleared = [alarm.id for alarm in alarms if not alarm.active]
        if cleared:
            raise AlarmError(
                f"alarm {cleared} has already cleared", code="alarm_cleared", ids=cleared
            )
        return alarms


def _obj(alarm_id: int) -> str:
    return f"alarm:{alarm_id}"


def _about(alarm: Alarm) -> dict[str, Any]:
    return {"device": alarm.device_id, "check": alarm.check_id, "severity": alarm.severity}

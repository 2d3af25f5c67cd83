"""Muting the alarm bell: who silenced it, from when, until when, and why. Audited.

The console asks ``muted(now)`` before ringing; a mute never hides an alarm, it only keeps
the bell quiet for at most ``MAX_MUTE_MINUTES``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from data.audit import AuditTrail
from data.clock import Clock, to_db, utc_now
from data.records.alarms.model import AlarmError, BellMute, bell_mute_from_row, required_text
from data.records.permissions import require_audited
from data.roles import Actor, Permission
from data.store import Store

MAX_MUTE_MINUTES = 240  # a machine room's bell is not silenced for longer than this
_BELL = "bell"  # the audit object
_COLUMNS = "id, who, muted_at, until, reason"


class BellMutes:
    def __init__(self, store: Store, audit: AuditTrail, clock: Clock = utc_now) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def mute(self, actor: Actor, minutes: int, reason: str) -> BellMute:
        """Silence the bell for ``minutes`` (1..240), needs ACK_ALARM and a reason."""
        await require_audited(self._audit, actor, [Permission.ACK_ALARM], "bell.mute", [_BELL])
        if not 1 <= minutes <= MAX_MUTE_MINUTES:
            raise AlarmError(
                f"the bell can be muted for 1 to {MAX_MUTE_MINUTES} minutes",
                code="bad_mute_minutes",
                max_minutes=MAX_MUTE_MINUTES,
            )
        text = required_text(reason, "mute_reason_required")
        now = self._clock()
        until = now + timedelta(minutes=minutes)
        async with self._store.transaction():
            rows = await self._store.write(
                "INSERT INTO bell_mutes (who, muted_at, until, reason) VALUES (?, ?, ?, ?)"
                f" RETURNING {_COLUMNS}",
                (actor.name, to_db(now), to_db(until), text),
            )
            await self._audit.record(
                actor.name, "bell.mute", _BELL, detail={"until": until, "reason": text}
            )
        return bell_mute_from_row(rows[0])

    async def unmute(self, actor: Actor) -> None:
        """End every mute in force now."""
        await require_audited(self._audit, actor, [Permission.ACK_ALARM], "bell.unmute", [_BELL])
        now = self._clock()
        async with self._store.transaction():
            await self._store.write(
                "UPDATE bell_mutes SET until = ? WHERE until > ? AND muted_at <= ?",
                (to_db(now), to_db(now), to_db(now)),
            )
            await self._audit.record(actor.name, "bell.unmute", _BELL)

    async def muted(self, now: datetime | None = None) -> BellMute | None:
        """The mute in force at ``now`` (the one lasting longest), or None."""
        moment = to_db(now or self._clock())
        row = await self._store.fetchone(
            f"SELECT {_COLUMNS} FROM bell_mutes WHERE muted_at <= ? AND until > ?"
            " ORDER BY until DESC LIMIT 1",
            (moment, moment),
        )
        return bell_mute_from_row(row) if row is not None else None

"""What the alarm book and the bell mutes read and return: the Alarm and BellMute records,
the alarm errors, and the rules they share (severity order, required text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from data.clock import from_db
from data.errors import DutyDeskError

SEVERITIES: tuple[str, ...] = ("WARNING", "UNKNOWN", "CRITICAL")  # least to most severe
MAX_TEXT = 500  # characters in an ack comment, a withdrawal or mute reason

COLUMNS = (
    "id, device_id, check_id, severity, message, raised_at, cleared_at, attempts, flapping,"
    " ack_by, ack_at, ack_comment, ack_until, sticky, first_ack_at, reraised_count"
)
# Most severe first, then the oldest first.
ACTIVE_ORDER = (
    "CASE severity WHEN 'CRITICAL' THEN 0 WHEN 'UNKNOWN' THEN 1 ELSE 2 END, raised_at, id"
)


class AlarmError(DutyDeskError):
    """Codes: ack_comment_required, unack_reason_required, mute_reason_required (blank or
    longer than 500 characters), bad_ack_duration, bad_mute_minutes, no_such_alarm,
    alarm_cleared (it recovered meanwhile), alarm_not_acknowledged."""

    code = "alarm_error"


@dataclass(frozen=True)
class Alarm:
    """One alarm. ``cleared_at`` is None while active; the ack fields are None when it
    is not acknowledged (``ack_until`` is None for a sticky ack, which lasts until
    recovery). ``first_ack_at`` survives an expired or withdrawn ack (for MTTA);
    ``reraised_count`` counts acks that expired or were withdrawn by a worse severity."""

    id: int
    device_id: str
    check_id: str
    severity: str
    message: str
    raised_at: datetime
    cleared_at: datetime | None
    attempts: int
    flapping: bool
    ack_by: str | None
    ack_at: datetime | None
    ack_comment: str | None
    ack_until: datetime | None
    sticky: bool
    first_ack_at: datetime | None
    reraised_count: int

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    @property
    def acknowledged(self) -> bool:
        return self.ack_by is not None


@dataclass(frozen=True)
class BellMute:
    id: int
    who: str
    muted_at: datetime
    until: datetime
    reason: str


def severity_rank(severity: str) -> int:
    if severity not in SEVERITIES:
        raise ValueError(f"an alarm's severity is one of {', '.join(SEVERITIES)}, not {severity!r}")
    return SEVERITIES.index(severity)


def required_text(text: str, code: str) -> str:
    """``text`` stripped; an AlarmError with ``code`` if blank or too long."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_TEXT:
        raise AlarmError(
            f"a text of 1 to {MAX_TEXT} characters is required", code=code, max_length=MAX_TEXT
        )
    return stripped


def alarm_from_row(row: Any) -> Alarm:
    return Alarm(
        id=int(row["id"]),
        device_id=row["device_id"],
        check_id=row["check_id"],
        severity=row["severity"],
        message=row["message"],
        raised_at=from_db(row["raised_at"]),
        cleared_at=_time(row["cleared_at"]),
        attempts=int(row["attempts"]),
        flapping=bool(row["flapping"]),
        ack_by=row["ack_by"],
        ack_at=_time(row["ack_at"]),
        ack_comment=row["ack_comment"],
        ack_until=_time(row["ack_until"]),
        sticky=bool(row["sticky"]),
        first_ack_at=_time(row["first_ack_at"]),
        reraised_count=int(row["reraised_count"]),
    )


def bell_mute_from_row(row: Any) -> BellMute:
    return BellMute(
        int(row["id"]), row["who"], from_db(row["muted_at"]), from_db(row["until"]), row["reason"]
    )


def _time(text: str | None) -> datetime | None:
    return from_db(text) if text is not None else None

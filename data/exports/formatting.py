"""How exported documents write numbers, durations and times (in the active language)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from data.i18n import t

NONE = "—"


def percent(ratio: float | None, digits: int = 2) -> str:
    return NONE if ratio is None else f"{ratio * 100:.{digits}f}%"


def duration(value: float | timedelta | None) -> str:
    """``1 h 05 min`` / ``1小时05分``; under a minute ``45 s``; None as a dash."""
    if value is None:
        return NONE
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    if whole < 60:
        return sign + t("export.seconds", s=whole)
    hours, minutes = divmod(whole // 60, 60)
    if hours == 0:
        return sign + t("export.minutes", m=minutes)
    return sign + t("export.hours_minutes", h=hours, m=f"{minutes:02d}")


def hours(seconds: float) -> str:
    """Seconds as hours with one decimal (availability tables)."""
    return f"{seconds / 3600:.1f}"


def when(moment: datetime | None, tz: tzinfo) -> str:
    """A stored (UTC) time as the site's local time."""
    return NONE if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def masked_phone(phone: str | None) -> str:
    """Keep the first three and last four digits: enough to recognise, not to dial."""
    if not phone:
        return NONE
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]

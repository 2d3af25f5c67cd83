"""How a check's reading reads: a number with its unit, or a duration when the unit is
time (an SNMP uptime comes in days: 0.0047 d reads 6m 46s, 3.2 d reads 3d 4h).

Shared by the tile wall and the device detail, so one reading looks the same on both.
"""

from __future__ import annotations

SECONDS_PER = {"s": 1, "min": 60, "h": 3600, "d": 86400}  # the units that are durations
_STEPS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def duration_text(seconds: float) -> str:
    """The two largest units: 47s, 6m 47s, 3h 5m, 3d 4h."""
    left = max(0, int(seconds))
    for i, (name, size) in enumerate(_STEPS[:-1]):
        if left >= size:
            smaller, smaller_size = _STEPS[i + 1]
            return f"{left // size}{name} {left % size // smaller_size}{smaller}"
    return f"{left}s"


def reading_text(value: float, unit: str | None, significant: int = 6) -> str:
    """``value`` with its unit; a duration when the unit is time. Less than a minute in
    seconds stays a number: a response time of 0.25 s is not "0s"."""
    if unit in SECONDS_PER:
        seconds = value * SECONDS_PER[unit]
        if unit != "s" or seconds >= 60:
            return duration_text(seconds)
    return f"{value:.{significant}g}{unit or ''}"

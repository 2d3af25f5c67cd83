"""What a probe returns and what the state machine says: the vocabulary of checks/."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class CheckState(enum.IntEnum):
    """Check states, ordered by severity so max() picks the worst."""

    OK = 0
    WARNING = 1
    UNKNOWN = 2
    CRITICAL = 3


class DeviceState(enum.Enum):
    UP = "UP"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"
    UNREACHABLE = "UNREACHABLE"  # a parent in depends_on is down: no alarm of its own


@dataclass(frozen=True)
class ProbeResult:
    """One probe run. ``value`` is the headline number (for thresholds and sparklines);
    ``values`` carries the rest (e.g. sysName, ports down by name)."""

    state: CheckState
    message: str
    value: float | None = None
    unit: str | None = None
    values: dict[str, object] = field(default_factory=dict)
    duration_ms: float = 0.0

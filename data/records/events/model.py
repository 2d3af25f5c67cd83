"""What the event log reads and returns: one logged event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """One logged event; ``id`` is None until stored."""

    at: datetime
    source: str  # 'trap', 'system', ...
    kind: str  # e.g. 'linkDown', 'unknown_sender', 'started'
    message: str
    device_id: str | None = None
    detail: Mapping[str, Any] | None = None
    id: int | None = None

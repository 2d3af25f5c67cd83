"""Rows of the watch's tables (migration 0008)."""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

WatchKind = Literal["serve", "console"]


@dataclass(frozen=True)
class Holder:
    """One process that may hold the lease: ``id`` is unique per process start."""

    id: str
    host: str
    pid: int
    kind: WatchKind

    @classmethod
    def this_process(cls, kind: WatchKind) -> Holder:
        host = socket.gethostname()
        pid = os.getpid()
        return cls(f"{host}:{pid}:{secrets.token_hex(4)}", host, pid, kind)


@dataclass(frozen=True)
class LeaseRow:
    holder: str
    host: str
    pid: int
    kind: WatchKind
    epoch: int
    acquired_at: float  # Unix seconds
    beat: float
    released_at: float | None
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> LeaseRow:
        return cls(
            row["holder"],
            row["host"],
            row["pid"],
            row["kind"],
            row["epoch"],
            row["acquired_at"],
            row["beat"],
            row["released_at"],
            json.loads(row["stats"] or "{}"),
        )


@dataclass(frozen=True)
class WatchOutage:
    """Time nobody watched the room: reports count it as unmonitored."""

    started_at: datetime
    ended_at: datetime
    previous_holder: str
    new_holder: str
    reason: Literal["stale", "released"]

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class ConsoleRow:
    id: str
    host: str
    pid: int
    user: str | None
    attached_at: float
    seen_at: float

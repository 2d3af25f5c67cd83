"""The scheduler's events as JSON, for the live feed attached consoles read from the store
(data.records.watch.feed). ``decode(encode(e))`` gives back an equal event, but for a
result's extra ``values``, which stay with the watch (consoles show the snapshot).

Traps are not in the feed: they are rows of the event log already.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from checks.feed import (
    AlarmCleared,
    AlarmRaised,
    CheckSnapshot,
    CheckStale,
    DeviceStateChanged,
    Event,
    FlappingStarted,
    FlappingStopped,
    ResultEvent,
    Transition,
)
from checks.result import CheckState, DeviceState, ProbeResult

_KINDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        ResultEvent,
        Transition,
        AlarmRaised,
        AlarmCleared,
        FlappingStarted,
        FlappingStopped,
        CheckStale,
        DeviceStateChanged,
    )
}
_TIMES = {"at", "last_run", "last_change", "next_run"}
_CHECK_STATES = {"state", "from_state", "to_state", "alarm"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, CheckState):
        return value.name
    if isinstance(value, DeviceState):
        return value.value
    return value


def snapshot_fields(snapshot: CheckSnapshot) -> dict[str, Any]:
    return {f.name: _plain(getattr(snapshot, f.name)) for f in dataclasses.fields(snapshot)}


def encode_snapshot(snapshot: CheckSnapshot) -> str:
    return json.dumps(snapshot_fields(snapshot), ensure_ascii=False, separators=(",", ":"))


def decode_snapshot(body: str) -> CheckSnapshot:
    return _snapshot(json.loads(body))


def _snapshot(raw: dict[str, Any]) -> CheckSnapshot:
    return CheckSnapshot(**_typed(raw, device_states=False))


def _typed(raw: dict[str, Any], *, device_states: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value is not None and name in _TIMES:
            value = dt.datetime.fromisoformat(value)
        elif value is not None and name in _CHECK_STATES and not device_states:
            value = CheckState[value]
        elif value is not None and name in {"from_state", "to_state"} and device_states:
            value = DeviceState(value)
        out[name] = value
    return out


def encode(event: Event) -> str:
    body: dict[str, Any] = {"kind": type(event).__name__}
    if isinstance(event, ResultEvent):
        result = event.result
        body |= {
            "device_id": event.device_id,
            "check_id": event.check_id,
            "at": _plain(event.at),
            "snapshot": snapshot_fields(event.snapshot),
            "result": {
                "state": result.state.name,
                "message": result.message,
                "value": result.value,
                "unit": result.unit,
                "duration_ms": result.duration_ms,
            },
        }
    else:
        body |= {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> Event:
    raw = json.loads(text)
    kind = _KINDS[raw.pop("kind")]
    if kind is ResultEvent:
        result = raw["result"]
        return ResultEvent(
            raw["device_id"],
            raw["check_id"],
            ProbeResult(
                CheckState[result["state"]],
                result["message"],
                result["value"],
                result["unit"],
                duration_ms=result["duration_ms"],
            ),
            _snapshot(raw["snapshot"]),
            dt.datetime.fromisoformat(raw["at"]),
        )
    event: Event = kind(**_typed(raw, device_states=kind is DeviceStateChanged))
    return event

"""The access log as the console uses it: one AccessLog per app, the accounts that may
escort a visitor, and the count of people in the room for the header.

The AccessLog is made when first needed with the database's field key, created beside the
database (``<db>.key``, mode 0600) when missing. ``room_count`` is asked every second by
the header: it returns the last count and re-counts in the background when that is older
than ROOM_COUNT_MAX_AGE (another desk may register people too); the visitors screen sets
it whenever it reloads.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from data.crypto import ensure_key, open_cipher
from data.errors import DutyDeskError
from data.records.visitors.book import AccessLog
from data.store import Store

if TYPE_CHECKING:
    from console.app import DutyDeskApp

ROOM_COUNT_MAX_AGE = 15.0  # seconds before the header's count is re-read


@dataclass
class _AppState:
    log: AccessLog | None = None
    count: int = 0
    counted_at: float | None = None
    counting: bool = False


_STATE: WeakKeyDictionary[DutyDeskApp, _AppState] = WeakKeyDictionary()


def _state(app: DutyDeskApp) -> _AppState:
    return _STATE.setdefault(app, _AppState())


def access_log(app: DutyDeskApp) -> AccessLog:
    """The app's access log; KeyFileError when the key file is unusable."""
    state = _state(app)
    if state.log is None:
        db_path = app.config.db_path
        ensure_key(db_path)  # created (mode 0600) when missing, else checked
        services = app.services
        state.log = AccessLog(
            services.store,
            services.audit,
            open_cipher(db_path),
            app.config.clock,
            tz=app.site.site.tz,
        )
    return state.log


async def escort_choices(store: Store) -> list[tuple[str, str]]:
    """(label, account name) of every active operator and supervisor: who may escort."""
    rows = await store.fetchall(
        "SELECT name, full_name FROM users WHERE role IN ('operator', 'supervisor')"
        " AND NOT disabled ORDER BY name"
    )
    return [
        (f"{r['full_name']} ({r['name']})" if r["full_name"] else r["name"], r["name"])
        for r in rows
    ]


def room_count(app: DutyDeskApp) -> int:
    """People in the room as last counted (0 before the first count)."""
    state = _state(app)
    stale = state.counted_at is None or app.config.monotonic() - state.counted_at >= (
        ROOM_COUNT_MAX_AGE
    )
    if stale and not state.counting:
        state.counting = True
        app.run_worker(_recount(app), group="room-count", exit_on_error=False)
    return state.count


async def _recount(app: DutyDeskApp) -> None:
    try:
        row = await app.services.store.fetchone(
            "SELECT count(*) FROM access_records WHERE exited_at IS NULL"
        )
        set_room_count(app, int(row[0]) if row is not None else 0)
    except (DutyDeskError, sqlite3.Error, ValueError, RuntimeError):
        pass  # e.g. the store closing as the app exits: the header keeps the last count
    finally:
        _state(app).counting = False


def set_room_count(app: DutyDeskApp, count: int) -> None:
    state = _state(app)
    state.counted_at = app.config.monotonic()
    if state.count != count:
        state.count = count
        app.refresh_header()

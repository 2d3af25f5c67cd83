"""The outgoing operators' pending items (待办事项): each is carried from handover to
handover until someone closes it; who wrote it, who closed it, when and how are kept.
A trigger (migration 0004) lets only the closing columns change, once."""

from __future__ import annotations

from datetime import datetime

from data.audit import AuditTrail
from data.clock import to_db
from data.records.handover.model import HandoverError, PendingItem, pending_from_row
from data.store import Store

_SELECT = (
    "SELECT id, handover_id, text, opened_by, opened_at, closed_by, closed_at, close_note"
    " FROM handover_pending"
)


def pending_obj(item_id: int) -> str:
    return f"pending:{item_id}"


async def add_item(
    store: Store, audit: AuditTrail, user: str, handover_id: int, text: str, now: datetime
) -> PendingItem:
    async with store.transaction():
        rows = await store.write(
            "INSERT INTO handover_pending (handover_id, text, opened_by, opened_at)"
            " VALUES (?, ?, ?, ?) RETURNING id",
            (handover_id, text, user, to_db(now)),
        )
        item_id = int(rows[0][0])
        detail = {"handover": handover_id}
        await audit.record(user, "handover.pending_add", pending_obj(item_id), detail=detail)
    return await get_item(store, item_id)


async def close_item(
    store: Store,
    audit: AuditTrail,
    user: str,
    item_id: int,
    note: str,
    watch_id: int | None,
    now: datetime,
) -> PendingItem:
    """Close an open item; ``watch_id`` is the watch it was closed in."""
    item = await get_item(store, item_id)
    if not item.open:
        raise HandoverError(f"item {item_id} is already closed", code="item_closed")
    async with store.transaction():
        await store.write(
            "UPDATE handover_pending SET closed_by = ?, closed_at = ?, close_note = ?,"
            " closed_in = ? WHERE id = ? AND closed_at IS NULL",
            (user, to_db(now), note, watch_id, item_id),
        )
        await audit.record(
            user, "handover.pending_close", pending_obj(item_id), detail={"note": note}
        )
    return await get_item(store, item_id)


async def list_items(store: Store, include_closed: bool = False) -> list[PendingItem]:
    where = "" if include_closed else " WHERE closed_at IS NULL"
    rows = await store.fetchall(f"{_SELECT}{where} ORDER BY opened_at, id")
    return [pending_from_row(row) for row in rows]


async def get_item(store: Store, item_id: int) -> PendingItem:
    row = await store.fetchone(f"{_SELECT} WHERE id = ?", (item_id,))
    if row is None:
        raise HandoverError(f"no pending item {item_id}", code="no_such_pending_item")
    return pending_from_row(row)

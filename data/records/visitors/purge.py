"""Retention of the access log: delete what is older than the configured period so that it
cannot be read back from the file.

In one transaction, with ``PRAGMA secure_delete = ON`` (SQLite overwrites deleted content
with zeros instead of leaving it in free pages): the access records of people who left
before the cutoff, their items (ON DELETE CASCADE) and the door-controller events before
the cutoff, plus one audit row with the counts and the cutoff, never the content. After
the commit, a ``wal_checkpoint(TRUNCATE)`` moves the zeroed pages into the database and
empties the write-ahead log, which would otherwise still hold the old page images. The
audit trail itself is never purged. Records of people still inside are kept whatever
their age (they have not left yet).

On PostgreSQL the same rows go in the same transaction, but the server has no
``secure_delete``: the deleted rows cannot be read through SQL, while the space they held
in the server's files (until VACUUM reuses it), its WAL and its backups are the site's DBA's
to manage (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data.audit import AuditTrail
from data.clock import to_db
from data.store import Store


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    records: int
    items: int
    door_events: int


async def purge_exited_before(
    store: Store, audit: AuditTrail, user: str, cutoff: datetime
) -> PurgeReport:
    """Delete records that exited before ``cutoff`` and door events before it."""
    moment = to_db(cutoff)
    sqlite = getattr(store, "dialect", "sqlite") == "sqlite"
    previous = await store.fetchone("PRAGMA secure_delete") if sqlite else None
    try:
        async with store.transaction() as db:
            if sqlite:
                await db.execute("PRAGMA secure_delete = ON")
            doomed = "SELECT id FROM access_records WHERE exited_at IS NOT NULL AND exited_at < ?"
            counted = await store.fetchone(
                f"SELECT count(*) FROM access_items WHERE record_id IN ({doomed})", (moment,)
            )
            items = int(counted[0]) if counted is not None else 0
            # Door events matched to a doomed record go with it, whatever their own time.
            events = await store.write(
                f"DELETE FROM door_events WHERE at < ? OR record_id IN ({doomed}) RETURNING id",
                (moment, moment),
            )
            records = await store.write(
                "DELETE FROM access_records WHERE exited_at IS NOT NULL AND exited_at < ?"
                " RETURNING id",
                (moment,),
            )
            report = PurgeReport(cutoff, len(records), items, len(events))
            await audit.record(
                user,
                "access.purge",
                "access:purge",
                detail={
                    "before": cutoff,
                    "records": report.records,
                    "items": report.items,
                    "door_events": report.door_events,
                },
            )
        if sqlite:
            await store.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        if previous is not None:
            await store.fetchall(f"PRAGMA secure_delete = {int(previous[0])}")
    return report

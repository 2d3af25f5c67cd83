"""A few days of history for the demo database, so every screen has something to show.

``seed_history`` replays the last watches of the demo machine room through the public
record APIs on a manual clock (demo.seed_desk): three days of check samples with
a few faults and their transitions, the alarms they raised (all cleared since), three
incidents (two resolved, one escalated to the vendor; one still being worked on), a
restart action, visitors (one still inside), the daily and monthly inspections, and four
watches of which three were handed over and sealed; the fourth, open now, belongs to the
operator on duty. Every change is audited as it would be at the console, so the audit
chain verifies.

It costs ten password checks (two logins, two signatures per handover, one per
inspection): at full scrypt cost about 0.3-0.4 s each, which is most of the time taken.
The history is the same for the same ``now`` (no randomness without a fixed seed); the
counts are the same for any ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from data.clock import utc_now
from data.config import load_site_config
from data.store import Store
from data.stores import open_store
from demo.seed_assets import plan_assets
from demo.seed_checks import CheckHistory
from demo.seed_desk import SeedDesk
from demo.seed_events import faults, plan_events
from demo.seed_hotline import plan_hotline
from demo.seed_plans import plan_drills
from demo.seed_roster import plan_roster
from demo.seed_visits import plan_visits
from demo.seed_watches import plan_watches

# What the screens read: each holds seeded rows afterwards.
COUNTED: Mapping[str, str] = {
    "sealed_handovers": "SELECT count(*) FROM handovers WHERE seal_sha256 IS NOT NULL",
    "open_watches": "SELECT count(*) FROM handovers WHERE status = 'open'",
    "pending_open": "SELECT count(*) FROM handover_pending WHERE closed_at IS NULL",
    "pending_closed": "SELECT count(*) FROM handover_pending WHERE closed_at IS NOT NULL",
    "inspections": "SELECT count(*) FROM inspections WHERE seal_sha256 IS NOT NULL",
    "visits": "SELECT count(*) FROM access_records",
    "inside_now": "SELECT count(*) FROM access_records WHERE exited_at IS NULL",
    "incidents_open": "SELECT count(*) FROM incidents"
    " WHERE status IN ('open', 'responding', 'escalated')",
    "incidents_resolved": "SELECT count(*) FROM incidents WHERE status IN ('resolved', 'closed')",
    "incidents_escalated": "SELECT count(*) FROM incidents WHERE vendor IS NOT NULL",
    "alarms": "SELECT count(*) FROM alarms",
    "alarms_active": "SELECT count(*) FROM alarms WHERE cleared_at IS NULL",
    "alarms_acknowledged": "SELECT count(*) FROM alarms WHERE first_ack_at IS NOT NULL",
    "transitions": "SELECT count(*) FROM check_transitions",
    "rollup_hours": "SELECT count(*) FROM check_rollups",
    "latest_results": "SELECT count(*) FROM check_latest",
    "action_runs": "SELECT count(*) FROM action_runs",
    "hotline_calls": "SELECT count(*) FROM hotline_calls",
    "hotline_followups": "SELECT count(*) FROM hotline_followups",
    "drills": "SELECT count(*) FROM plan_runs WHERE kind = 'drill' AND status = 'finished'",
    "plan_runs": "SELECT count(*) FROM plan_runs WHERE kind = 'incident'",
    "roster_days": "SELECT count(DISTINCT day) FROM roster_entries",
    "roster_swaps": "SELECT count(*) FROM roster_swaps",
    "assets": "SELECT count(*) FROM assets",
    "contracts": "SELECT count(*) FROM maintenance_contracts",
    "audit_rows": "SELECT count(*) FROM audit",
}
_PASSWORD_CHECKS = (
    "SELECT count(*) FROM audit WHERE outcome = 'ok' AND object LIKE 'user:%'"
    " AND action IN ('login', 'handover.sign_out', 'handover.sign_in', 'inspection.sign')"
)


@dataclass(frozen=True)
class SeedSummary:
    counts: Mapping[str, int]  # by the names of ``COUNTED``
    on_duty: str  # who holds the watch open now
    authentications: int  # password checks made while seeding


async def seed_history(
    site_path: Path, db_path: Path | str, now: datetime | None = None
) -> SeedSummary:
    """Seed the fresh demo database at ``db_path`` (its accounts and field key made by
    ``demo.setup.prepare``) with the history of the site at ``site_path`` up to
    ``now`` (default: the current time)."""
    loaded = load_site_config(site_path)
    moment = now or utc_now()
    store = cast(Store, await open_store(db_path))  # a file or a PostgreSQL DSN
    try:
        before = await _password_checks(store)
        desk = SeedDesk(store, loaded, moment)
        history = CheckHistory(desk.site, moment, faults(desk))
        await desk.checks.persist(history.batch)
        plan_events(desk, history.faults)
        plan_visits(desk)
        plan_assets(desk)
        plan_hotline(desk)
        plan_drills(desk)
        plan_roster(desk)
        plan_watches(desk, history)
        await desk.run()
        counts = {name: await _count(store, sql) for name, sql in COUNTED.items()}
        return SeedSummary(counts, desk.operators[-1], await _password_checks(store) - before)
    finally:
        await store.close()


async def _count(store: Store, sql: str) -> int:
    row = await store.fetchone(sql)
    return int(row[0]) if row is not None else 0


async def _password_checks(store: Store) -> int:
    return await _count(store, _PASSWORD_CHECKS)

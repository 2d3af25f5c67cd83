"""The demo's seeded history: every screen has rows, the audit chain verifies, and the
same ``now`` seeds the same history."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from data import passwords
from data.accounts import Accounts
from data.audit import AuditTrail
from data.clock import ManualClock, from_db
from data.config import load_site_config
from data.crypto import ensure_key
from data.idnumbers import validate_resident_id
from data.records.handover.book import HandoverBook
from data.records.incidents.book import IncidentBook
from data.records.inspections.book import InspectionBook
from data.store import Store
from demo.seed import SeedSummary, seed_history
from demo.seed_desk import ON_DUTY_NOW
from demo.seed_visits import VISITS, resident_id
from demo.setup import DEMO_ACCOUNTS, FULL_NAMES, copy_demo_site, prepare

NOW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)  # 14:00 in Asia/Shanghai: a day shift
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
EDGES = [
    NOW,
    datetime(2026, 3, 4, 2, 0, tzinfo=SHANGHAI),  # the small hours of a night shift
    datetime(2026, 3, 4, 8, 30, tzinfo=SHANGHAI),  # the very moment the day shift starts
    datetime(2026, 3, 4, 17, 31, 10, tzinfo=SHANGHAI),  # a minute into the night shift
]
EXPECTED = {
    "sealed_handovers": 3,
    "open_watches": 1,
    "pending_open": 2,
    "pending_closed": 1,
    "inspections": 2,
    "visits": 5,
    "inside_now": 1,
    "incidents_open": 1,
    "incidents_resolved": 3,  # one of them from a hotline call (demo.seed_hotline)
    "incidents_escalated": 1,
    "alarms": 5,
    "alarms_active": 0,
    "alarms_acknowledged": 5,
    "transitions": 10,
    "action_runs": 1,
    "hotline_calls": 3,
    "hotline_followups": 1,
    "drills": 1,  # demo.seed_plans: a ransomware drill
    "plan_runs": 1,  # and the core-switch plan for the switch incident
}


async def fresh_demo_db(tmp_path: Path, name: str = "demo.db") -> tuple[Path, Path]:
    """What ``prepare`` makes before it seeds: the site, the demo accounts (made a week
    before ``NOW``) and the field key."""
    site_path = tmp_path / "site" / "site.yaml"
    copy_demo_site(site_path)
    db_path = tmp_path / name
    store = await Store.open(db_path)
    try:
        clock = ManualClock(NOW - timedelta(days=7))
        accounts = Accounts(store, AuditTrail(store, terminal="test", clock=clock), clock=clock)
        admin_pw = next(pw for name, pw, role in DEMO_ACCOUNTS if role == "admin")
        admin = await accounts.bootstrap_admin("admin", admin_pw, FULL_NAMES["admin"])
        for account, password, role in DEMO_ACCOUNTS:
            if role != "admin":
                await accounts.add(
                    admin, account, password, role, FULL_NAMES[account], must_change=False
                )
    finally:
        await store.close()
    ensure_key(db_path)
    return site_path, db_path


@asynccontextmanager
async def opened(db_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(db_path)
    try:
        yield store
    finally:
        await store.close()


async def seeded(tmp_path: Path, now: datetime, name: str = "demo.db") -> tuple[Path, SeedSummary]:
    site_path, db_path = await fresh_demo_db(tmp_path, name)
    return db_path, await seed_history(site_path, db_path, now)


@pytest.mark.parametrize("now", EDGES, ids=["day", "night", "shift-change", "night-start"])
async def test_seeding_fills_every_screen_up_to_now(
    tmp_path: Path, fast_scrypt: None, now: datetime
) -> None:
    db_path, summary = await seeded(tmp_path, now)

    assert {key: summary.counts[key] for key in EXPECTED} == EXPECTED
    assert summary.on_duty == ON_DUTY_NOW
    assert summary.authentications == 10  # two logins, 3 handovers x 2, 2 inspections
    loaded = load_site_config(tmp_path / "site" / "site.yaml")
    checks = sum(len(device.checks) for device in loaded.site.devices)
    assert summary.counts["latest_results"] == checks
    assert summary.counts["rollup_hours"] == checks * 72  # three days of hourly rollups
    async with opened(db_path) as store:
        audit = AuditTrail(store, terminal="test", clock=ManualClock(now))
        verdict = await audit.verify()
        assert verdict.ok, verdict.reason
        stamps = [
            from_db(row[0]) for row in await store.fetchall("SELECT ts FROM audit ORDER BY id")
        ]
        assert stamps == sorted(stamps), "the history walks forward"
        assert stamps[-1] <= now
        times = await store.fetchall(
            "SELECT max(at) FROM check_transitions UNION ALL SELECT max(raised_at) FROM alarms"
            " UNION ALL SELECT max(opened_at) FROM incidents"
            " UNION ALL SELECT max(entered_at) FROM access_records"
        )
        assert all(from_db(row[0]) <= now for row in times)


async def test_the_open_watch_and_the_records_read_back_through_the_books(
    tmp_path: Path, fast_scrypt: None
) -> None:
    db_path, _ = await seeded(tmp_path, NOW)
    loaded = load_site_config(tmp_path / "site" / "site.yaml")
    async with opened(db_path) as store:
        clock = ManualClock(NOW)
        audit = AuditTrail(store, terminal="test", clock=clock)
        accounts = Accounts(store, audit, clock=clock)
        inspections = InspectionBook(store, audit, accounts, loaded.site, loaded.checklists, clock)
        handovers = HandoverBook(
            store, audit, accounts, loaded.site, clock, inspections=inspections
        )
        watch = await handovers.current()
        assert watch is not None and watch.operator == ON_DUTY_NOW
        assert watch.status == "open" and watch.notes
        on_duty = await handovers.on_duty(NOW)
        assert on_duty is not None and on_duty.span is not None
        assert on_duty.span.start <= NOW < on_duty.span.end
        pending = await handovers.pending()
        assert any(item.handover_id == watch.id for item in pending)
        sealed = await handovers.history(NOW - timedelta(days=3), NOW)
        assert len(sealed) == 3
        for handover in sealed:
            assert await handovers.verify(handover)
            assert handover.summary is not None
        summaries = [h.summary for h in sealed if h.summary is not None]
        assert any(s.alarms_raised for s in summaries)
        assert any(s.actions for s in summaries)

        incidents = IncidentBook(store, audit, loaded.site, clock)
        (still_open,) = await incidents.open_list()
        assert still_open.responded_at is not None  # nobody's response clock is running out
        escalated = [i for i in await incidents.open_list(include_resolved=True) if i.vendor]
        assert [i.vendor for i in escalated] == ["华为"]
        assert escalated[0].vendor_contact and "400" in escalated[0].vendor_contact


async def test_the_same_now_seeds_the_same_history(tmp_path: Path, fast_scrypt: None) -> None:
    first_db, first = await seeded(tmp_path / "one", NOW)
    second_db, second = await seeded(tmp_path / "two", NOW)

    assert first == second
    fingerprints = []
    for db_path in (first_db, second_db):
        async with opened(db_path) as store:
            audit = await store.fetchall("SELECT ts, user, action, object, outcome FROM audit")
            rollups = await store.fetchall(
                "SELECT device_id, check_id, bucket, n_values, sum_value FROM check_rollups"
                " ORDER BY device_id, check_id, bucket"
            )
            fingerprints.append(([tuple(r) for r in audit], [tuple(r) for r in rollups]))
    assert fingerprints[0] == fingerprints[1]


async def test_prepare_gives_the_demo_database_its_history(
    tmp_path: Path, fast_scrypt: None
) -> None:
    paths = await prepare(tmp_path / "site" / "site.yaml", tmp_path / "demo.db")

    async with opened(paths.db_path) as store:
        row = await store.fetchone("SELECT operator FROM handovers WHERE status = 'open'")
        assert row is not None and row[0] == ON_DUTY_NOW
        assert (await AuditTrail(store).verify()).ok


async def test_the_demo_accounts_log_straight_in_with_their_documented_passwords(
    tmp_path: Path, fast_scrypt: None
) -> None:
    """The admin made them, but their passwords are published: no forced change."""
    paths = await prepare(tmp_path / "site" / "site.yaml", tmp_path / "demo.db")
    max_age = timedelta(days=paths.site.site.password_max_age_days)

    async with opened(paths.db_path) as store:
        accounts = Accounts(store, AuditTrail(store, terminal="test"))
        for name, password, _ in DEMO_ACCOUNTS:
            login = await accounts.login(name, password, max_age)
            assert not login.must_change_password, name


def test_visitors_carry_valid_resident_id_numbers() -> None:
    assert resident_id("110105", dt.date(1949, 12, 31), 2) == "11010519491231002X"  # GB 11643
    for visit in VISITS:
        number = visit.who.id_number
        assert validate_resident_id(number, today=NOW.date()) == number


async def test_prepare_pays_no_full_cost_hashing_and_logins_cost_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dutydesk demo`` starts in seconds: the seed hashes and checks the demo passwords
    about fifteen times, which at full scrypt cost took most of its 8.7 s. The accounts
    it leaves still need the full cost, as any real login does."""
    full_cost, full_cost_runs = passwords.SCRYPT_N, []
    scrypt = passwords._scrypt

    def counting(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
        if n >= full_cost:
            full_cost_runs.append(n)
        return scrypt(password, salt, n, r, p, dklen)

    monkeypatch.setattr(passwords, "_scrypt", counting)
    paths = await prepare(tmp_path / "site" / "site.yaml", tmp_path / "demo.db")
    assert full_cost_runs == []

    async with opened(paths.db_path) as store:
        rows = {
            str(r[0]): str(r[1]) for r in await store.fetchall("SELECT name, pw_hash FROM users")
        }
    assert set(rows) == {name for name, _, _ in DEMO_ACCOUNTS}
    for name, password, _ in DEMO_ACCOUNTS:
        assert rows[name].split("$")[1] == str(full_cost)
        assert passwords.verify_password(password, rows[name]), name

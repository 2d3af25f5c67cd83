"""Monthly report time over a month of history, SQLite against PostgreSQL (issue 14).

A site of N devices (default 2,000) with two checks each, and a month of their history in
each store: hourly rollups for every check and hour (``check_rollups``), hard and soft
transitions (one that starts monitoring in the month before, then a few outages per check),
an alarm per hard outage (most acknowledged), a few hundred incidents and a maintenance
window per zone. The rows are written fast, past the books: ``executemany`` on the SQLite
file, ``COPY`` (asyncpg ``copy_records_to_table``) on the PostgreSQL database, after
``open_desk`` created and migrated each store. Then ``desk.reports.monthly("YYYY-MM")`` is
timed ``--runs`` times on each backend, each over a freshly opened desk; the p50 of each
and the ratio PostgreSQL / SQLite are printed. Nothing is asserted.

PostgreSQL is a private server of its own (``tests/support/postgres.py``: ``initdb`` +
``pg_ctl`` in a temp folder on a free loopback port, as a non-root user under root), or the
empty database given by ``--pg-dsn``.

    .venv/bin/python bench/report.py                       # 2,000 devices, 3 runs, ~2 min
    .venv/bin/python bench/report.py --devices 200 --runs 1
    .venv/bin/python bench/report.py --profile postgresql  # cProfile of one run, top 30
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from data.clock import to_db  # noqa: E402
from data.models import Site  # noqa: E402

CHECKS = ("up", "http")
ZONES = 8
Row = tuple[Any, ...]


def make_site(devices: int) -> Site:
    return Site.model_validate(
        {
            "site": {
                "name": "bench",
                "shifts": [{"name": "day", "start": "08:30", "end": "17:30"}],
                "response_hours": {"workday": 1, "non_workday": 3},
            },
            "zones": [{"id": f"z{z}", "name": f"Z{z}"} for z in range(ZONES)],
            "devices": [
                {
                    "id": f"dev-{i:05d}",
                    "name": f"device {i}",
                    "kind": "server" if i % 3 else "switch",
                    "zone": f"z{i % ZONES}",
                    "host": "127.0.0.1",
                    "checks": [{"id": "up", "type": "tcp"}, {"id": "http", "type": "http"}],
                }
                for i in range(devices)
            ],
            "maintenance": [
                {
                    "devices": [f"dev-{i:05d}" for i in range(z, devices, ZONES * 10)],
                    "start": f"2026-11-{10 + z:02d}T02:00:00",
                    "end": f"2026-11-{10 + z:02d}T04:00:00",
                    "reason": "upgrade",
                }
                for z in range(ZONES)
            ],
        }
    )


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The month in the site's time zone, as the report reads it."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=tz).astimezone(UTC)
    return start, end


class History:
    """The rows of a month, the same for both backends (a seeded random)."""

    def __init__(self, devices: int, month: str, tz: tzinfo, outages: int, seed: int = 14) -> None:
        rng = random.Random(seed)
        start, end = month_bounds(month, tz)
        self.start, self.end = start, end
        hours = int((end - start).total_seconds() // 3600)
        self.hours = [to_db(start + timedelta(hours=h)) for h in range(hours)]
        self.devices = [f"dev-{i:05d}" for i in range(devices)]
        self.transitions: list[Row] = []
        self.alarms: list[Row] = []
        seconds = (end - start).total_seconds()
        for device in self.devices:
            for check in CHECKS:
                # Monitoring began before the month for most checks; the rest in it.
                if rng.random() < 0.9:
                    began = start - timedelta(days=rng.uniform(1, 60))
                else:
                    began = start + timedelta(hours=rng.uniform(0, 48))
                self.transitions.append(
                    (to_db(began), device, check, "UNKNOWN", "OK", 1, "", None, None)
                )
                count = rng.randint(max(1, outages - 1), outages + 1)
                slot = (seconds - 3 * 86400) / count  # one outage per slot: none overlap
                for k in range(count):
                    lo = 3 * 86400 + k * slot
                    down = start + timedelta(seconds=rng.uniform(lo, lo + slot - 3600))
                    soft = down - timedelta(seconds=30)
                    up = down + timedelta(seconds=rng.uniform(60, 3000))
                    severity = "CRITICAL" if rng.random() < 0.7 else "WARNING"
                    self.transitions += [
                        (to_db(soft), device, check, "OK", severity, 0, "soft", None, None),
                        (to_db(down), device, check, "OK", severity, 1, "down", None, None),
                        (to_db(up), device, check, severity, "OK", 1, "up", None, None),
                    ]
                    acked = down + timedelta(seconds=rng.uniform(20, 600))
                    self.alarms.append(
                        (
                            device,
                            check,
                            severity,
                            "down",
                            to_db(down),
                            to_db(up),
                            to_db(acked) if rng.random() < 0.8 else None,
                        )
                    )
        self.transitions.sort(key=lambda row: row[0])
        self.alarms.sort(key=lambda row: row[4])
        self.incidents: list[Row] = []
        for n in range(max(10, devices // 10)):
            reported = start + timedelta(seconds=rng.uniform(0, seconds - 86400))
            responded = reported + timedelta(seconds=rng.uniform(60, 7200))
            resolved = responded + timedelta(seconds=rng.uniform(600, 86400))
            self.incidents.append(
                (
                    f"fault {n}",
                    rng.choice(("critical", "major", "minor")),
                    rng.choice(("network", "hardware", "application", "environment")),
                    "resolved",
                    rng.choice(self.devices),
                    "bench",
                    to_db(reported),
                    to_db(reported),
                    to_db(reported + timedelta(hours=1)),
                    3600,
                    to_db(responded),
                    "bench",
                    to_db(resolved),
                    "bench",
                    "a cause",
                    "a fix",
                )
            )

    def rollups(self) -> Iterator[Row]:
        """One row per check and hour: 360 results an hour (10 s interval), a value each."""
        for device in self.devices:
            for check in CHECKS:
                for hour in self.hours:
                    yield (device, check, hour, 360, 0.8, 4.2, 720.0, 358, 1, 0, 1)

    def counts(self) -> str:
        rollups = len(self.devices) * len(CHECKS) * len(self.hours)
        return (
            f"{rollups:,} rollups, {len(self.transitions):,} transitions,"
            f" {len(self.alarms):,} alarms, {len(self.incidents):,} incidents"
        )


ROLLUP_COLUMNS = (
    "device_id",
    "check_id",
    "bucket",
    "n_values",
    "min_value",
    "max_value",
    "sum_value",
    "n_ok",
    "n_warning",
    "n_unknown",
    "n_critical",
)
TRANSITION_COLUMNS = (
    "at",
    "device_id",
    "check_id",
    "from_state",
    "to_state",
    "hard",
    "message",
    "value",
    "suppressed_reason",
)
ALARM_COLUMNS = (
    "device_id",
    "check_id",
    "severity",
    "message",
    "raised_at",
    "cleared_at",
    "first_ack_at",
)
INCIDENT_COLUMNS = (
    "title",
    "severity",
    "category",
    "status",
    "device_id",
    "opened_by",
    "opened_at",
    "reported_at",
    "respond_by",
    "target_seconds",
    "responded_at",
    "responded_by",
    "resolved_at",
    "resolved_by",
    "cause",
    "solution",
)
TABLES = (
    ("check_rollups", ROLLUP_COLUMNS),
    ("check_transitions", TRANSITION_COLUMNS),
    ("alarms", ALARM_COLUMNS),
    ("incidents", INCIDENT_COLUMNS),
)


def rows_of(history: History, table: str) -> Any:
    if table == "check_rollups":
        return history.rollups()
    return {
        "check_transitions": history.transitions,
        "alarms": history.alarms,
        "incidents": history.incidents,
    }[table]


def fill_sqlite(path: Path, history: History) -> None:
    with sqlite3.connect(path) as conn:
        for table, columns in TABLES:
            marks = ", ".join("?" * len(columns))
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                rows_of(history, table),
            )
        conn.commit()
        conn.execute("ANALYZE")


async def fill_postgres(dsn: str, history: History) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for table, columns in TABLES:
            await conn.copy_records_to_table(
                table, records=rows_of(history, table), columns=columns
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def create_database(server_dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    finally:
        await conn.close()


async def migrate(site: Site, target: str | Path, key_dir: Path) -> None:
    from data.desk import open_desk

    desk = await open_desk(site, target, key_dir=key_dir)
    await desk.close()


async def time_report(
    site: Site, target: str | Path, key_dir: Path, month: str, profile: bool
) -> tuple[float, str]:
    from data.desk import open_desk

    desk = await open_desk(site, target, key_dir=key_dir)
    try:
        profiler = cProfile.Profile() if profile else None
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        report = await desk.reports.monthly(month)
        if profiler is not None:
            profiler.disable()
        took = time.perf_counter() - began
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        checks = sum(len(device.checks) for device in report.devices)
        summary = f"{len(report.devices)} devices, {checks} checks, {report.alarms.total} alarms"
        return took, summary
    finally:
        await desk.close()


def run_backend(
    name: str,
    site: Site,
    target: str | Path,
    key_dir: Path,
    history: History,
    args: argparse.Namespace,
) -> list[float]:
    began = time.perf_counter()
    asyncio.run(migrate(site, target, key_dir))
    if isinstance(target, Path):
        fill_sqlite(target, history)
    else:
        asyncio.run(fill_postgres(target, history))
    print(f"{name}: filled in {time.perf_counter() - began:.1f} s", flush=True)
    times = []
    for run in range(args.runs):
        took, summary = asyncio.run(time_report(site, target, key_dir, args.month, False))
        times.append(took)
        print(f"  run {run + 1}: {took:.2f} s ({summary})", flush=True)
    if args.profile == name:
        asyncio.run(time_report(site, target, key_dir, args.month, True))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--outages", type=int, default=3, help="hard outages per check (±1)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-dsn", help="an empty database to use instead of a private server")
    parser.add_argument("--profile", choices=("sqlite", "postgresql"))
    parser.add_argument("--skip", choices=("sqlite", "postgresql"))
    args = parser.parse_args()

    site = make_site(args.devices)
    began = time.perf_counter()
    history = History(args.devices, args.month, site.site.tz, args.outages)
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load"
        f" {', '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.devices} devices x"
        f" {len(CHECKS)} checks, {args.month}: {history.counts()}"
        f" (made in {time.perf_counter() - began:.1f} s)",
        flush=True,
    )
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="dutydesk-report-") as folder:
        key_dir = Path(folder) / "keys"
        if args.skip != "sqlite":
            db = Path(folder) / "data" / "dutydesk.db"
            results["sqlite"] = run_backend("sqlite", site, db, key_dir, history, args)
        if args.skip != "postgresql":
            if args.pg_dsn:
                results["postgresql"] = run_backend(
                    "postgresql", site, args.pg_dsn, key_dir, history, args
                )
            else:
                from tests.support.postgres import private_postgres

                with private_postgres() as server:
                    asyncio.run(create_database(server.dsn(), "bench_report"))
                    dsn = server.dsn("bench_report")
                    results["postgresql"] = run_backend(
                        "postgresql", site, dsn, key_dir, history, args
                    )
    print()
    p50 = {name: statistics.median(times) for name, times in results.items()}
    for name, times in results.items():
        listed = ", ".join(f"{t:.2f}" for t in times)
        print(f"{name:>10}: p50 {p50[name]:.2f} s  (runs {listed}; target < 5 s)")
    if len(p50) == 2:
        print(f"PostgreSQL / SQLite: {p50['postgresql'] / p50['sqlite']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

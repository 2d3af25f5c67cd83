"""The watch as a service, measured: one ``dutydesk serve`` polling the 2,000-device snmpd
farm of bench/poll.py, with attached consoles reading the store.

It prints:

- transition recorded -> visible on an attached console, p50/p95 over every console
  (target p95 < 1 s): a few devices are TCP checks on a port this script closes and
  opens; each attached console stamps the moment it reads a hard transition from the
  store, against the transition's own time;
- CPU of an attached console per minute, while the watch polls the farm and the operator
  types nothing (each console is the App's store reader, ``console/store_tail.py``, at the
  App's 0.2 s poll, woken at once by NOTIFY on PostgreSQL, in its own process: the path an
  attached console runs, minus drawing);
- takeover time after ``kill -9`` of the holder, with a second ``serve`` standing by
  (target < 15 s with the default 10 s failover);
- duplicate transitions in the store (must be 0);
- the recorder's inserts per second: whole sweeps of 2,000 devices (a latest row and an
  hourly rollup each, one transaction a sweep) written by ``CheckRecords.persist``, the
  recorder's write, after the run.

``--db postgresql://user@host:port/dbname`` runs it all on PostgreSQL (an empty database;
the password from ``PGPASSWORD`` or ``~/.pgpass``): the PostgreSQL column. Without it, a
SQLite file in a temporary folder.

There is no peer to run beside it: before this change every console was its own watch and
recorded every transition once per open console (FACTS.md: two consoles, each twice).
Zabbix's documented HA failover is at least 10 s (default 60 s) after a 5 s heartbeat.

    .venv/bin/python bench/watch.py                  # 2,000 devices, 5 consoles, ~3 min
    .venv/bin/python bench/watch.py --devices 200 --consoles 2 --cycles 2
    .venv/bin/python bench/watch.py --db postgresql://dutydesk@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).parent)]

from poll import bench_site_document  # noqa: E402
from snmpd_farm import SnmpdFarm  # noqa: E402

from tests.support.loopback_port import LoopbackPort  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FLIP_DEVICES = 10  # TCP checks on the port this script closes and opens
FLIP_SECONDS = 8.0  # each state held this long


def site_document(farm: SnmpdFarm, port: int) -> dict[str, Any]:
    doc = bench_site_document(farm.hosts, farm.port, "v2c", farm.credentials)
    doc["watch"] = {"heartbeat_seconds": 2, "failover_seconds": 10}
    flip = {
        "type": "tcp",
        "port": port,
        "interval": 1,
        "retry_interval": 1,
        "max_attempts": 1,
        "timeout": 1,
    }
    doc["devices"] += [
        {
            "id": f"flip-{i}",
            "name": f"flip {i}",
            "kind": "service",
            "zone": "bench",
            "host": "127.0.0.1",
            "checks": [{"id": "tcp", **flip}],
        }
        for i in range(FLIP_DEVICES)
    ]
    return doc


def cli(*args: str, env: dict[str, str], stdin: str = "") -> None:
    done = subprocess.run(
        [sys.executable, "-m", "console", *args], input=stdin.encode(), env=env, capture_output=True
    )
    if done.returncode != 0:
        raise SystemExit(f"dutydesk {args[0]} failed: {done.stderr.decode()[-500:]}")


def is_dsn(db: str) -> bool:
    return db.lower().startswith(("postgresql://", "postgres://"))


def query(db: str, sql: str) -> list[dict[str, Any]]:
    """Rows of one read, from the SQLite file or the PostgreSQL database ``db``."""
    if is_dsn(db):
        return asyncio.run(_pg_query(db, sql))
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql).fetchall()]


async def _pg_query(dsn: str, sql: str) -> list[dict[str, Any]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return [dict(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


def lease(db: str) -> dict[str, Any] | None:
    rows = query(db, "SELECT * FROM watch_lease")
    return rows[0] if rows else None


def wait(condition: Callable[[], object], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise SystemExit(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def duplicates(db: str) -> tuple[int, int]:
    """Hard transitions, and how many repeat the state their check was already in."""
    rows = [
        (r["device_id"], r["check_id"], r["from_state"], r["to_state"])
        for r in query(
            db,
            "SELECT device_id, check_id, from_state, to_state FROM check_transitions"
            " WHERE hard = 1 ORDER BY id",
        )
    ]
    last: dict[tuple[str, str], str] = {}
    repeated = 0
    for device, check, from_state, to_state in rows:
        key = (device, check)
        if key in last and (last[key] == to_state or from_state != last[key]):
            repeated += 1
        last[key] = to_state
    return len(rows), repeated


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# -- an attached console's store reader, in its own process ---------------------------------


async def attached(site_path: Path, db: str, seconds: float) -> None:
    from checks.feed import Transition
    from console.app import STORE_POLL_SECONDS
    from console.store_tail import StoreTail
    from data.config import load_site
    from data.desk import open_desk

    desk = await open_desk(load_site(site_path), db if is_dsn(db) else Path(db))
    tail = StoreTail(desk)
    await tail.start(await desk.alarms.active())
    await tail.attach()
    cpu0, wall0 = time.process_time(), time.monotonic()
    latencies = []
    while time.monotonic() - wall0 < seconds:
        news = await tail.poll(events=True)
        seen = time.time()
        if news is not None:
            for event in news.events:
                if isinstance(event, Transition) and event.hard:
                    latencies.append(seen - event.at.timestamp())
            if news.resync:
                await tail.attach()
        await tail.wait(STORE_POLL_SECONDS)  # as the App: a NOTIFY wakes it on PostgreSQL
    cpu = time.process_time() - cpu0
    await desk.close()
    minutes = (time.monotonic() - wall0) / 60
    print(json.dumps({"latencies": latencies, "cpu_s_per_min": cpu / minutes}), flush=True)


# -- the run -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--consoles", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=3, help="close/open cycles of the port")
    parser.add_argument("--db", help="a PostgreSQL DSN (an empty database): the PostgreSQL column")
    parser.add_argument("--attached", nargs=3, metavar=("SITE", "DB", "SECONDS"), help="internal")
    args = parser.parse_args(argv)
    if args.attached:
        site, db, seconds = args.attached
        asyncio.run(attached(Path(site), db, float(seconds)))
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="dutydesk-watch-") as tmp,
        SnmpdFarm(args.devices) as farm,
    ):
        return run(Path(tmp), farm, args)


def run(tmp: Path, farm: SnmpdFarm, args: argparse.Namespace) -> int:
    site = tmp / "site.yaml"
    db = args.db or str(tmp / "dutydesk.db")
    env = os.environ | {
        "XDG_STATE_HOME": str(tmp / "state"),
        "XDG_DATA_HOME": str(tmp / "share"),  # a PostgreSQL store's key files
        "LANG": "en_US.UTF-8",
        "PYTHONPATH": str(ROOT),
        "DUTYDESK_SITE": str(site),
        "DUTYDESK_DB": str(db),
    }
    cli("init", "--password-stdin", env=env, stdin="Watch#Bench-7k2\n")
    port = LoopbackPort()
    port.open()
    site.write_text(yaml.safe_dump(site_document(farm, port.number)), encoding="utf-8")
    serve_cmd = [sys.executable, "-m", "console", "serve"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    holder = subprocess.Popen(serve_cmd, **quiet)  # type: ignore[call-overload]
    consoles: list[subprocess.Popen[bytes]] = []
    standby: subprocess.Popen[bytes] | None = None
    try:
        wait(lambda: (row := lease(db)) is not None and row["pid"] == holder.pid, 60, "the watch")
        print(
            f"{args.devices} SNMP devices + {FLIP_DEVICES} flipping; load {os.getloadavg()[0]:.2f}"
        )
        wait(lambda: _results(db) >= args.devices, 120, "the first sweep recorded")
        observe = FLIP_SECONDS * 2 * args.cycles + 20
        for _ in range(args.consoles):
            consoles.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--attached", str(site), db, str(observe)],
                    stdout=subprocess.PIPE,
                    env=env,
                )
            )
        time.sleep(5)  # the consoles attach (start-up is not what is measured)
        for _ in range(args.cycles):
            port.close()
            time.sleep(FLIP_SECONDS)
            port.open()
            time.sleep(FLIP_SECONDS)
        reports = [json.loads(c.communicate(timeout=observe + 60)[0]) for c in consoles]
        latencies = [x for r in reports for x in r["latencies"]]
        cpu = statistics.mean(r["cpu_s_per_min"] for r in reports)
        print(
            f"transition -> attached console ({len(latencies)} readings, {args.consoles} consoles):"
            f" p50 {percentile(latencies, 0.5) * 1000:.0f} ms,"
            f" p95 {percentile(latencies, 0.95) * 1000:.0f} ms (target p95 < 1000 ms)"
        )
        print(
            f"CPU of an attached console: {cpu:.2f} s per minute ({cpu / 60 * 100:.2f}% of a core)"
        )
        standby = subprocess.Popen(serve_cmd, **quiet)  # type: ignore[call-overload]
        time.sleep(3)  # the standby is up and trying
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        took = wait(
            lambda: (row := lease(db)) is not None and row["pid"] == standby.pid,
            60,
            "the takeover",
        )
        print(f"takeover after kill -9 of the holder: {took:.1f} s (failover 10 s; target < 15 s)")
        total, repeated = duplicates(db)
        print(f"hard transitions stored: {total}; duplicates: {repeated} (must be 0)")
        rusage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"(children's CPU, all processes: {rusage.ru_utime + rusage.ru_stime:.1f} s)")
    finally:
        for process in [holder, standby, *consoles]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=30)
        port.close()
    # after the processes are gone: the sweeps alone on the store
    rate = asyncio.run(recorder_rate(db, tmp / "share", args.devices))
    print(f"recorder inserts: {rate:,.0f} rows/s (sweeps of {args.devices} devices)")
    return 0


def _results(db: str) -> int:
    rows = query(db, "SELECT count(DISTINCT device_id) AS n FROM check_latest")
    return int(rows[0]["n"])


async def recorder_rate(db: str, key_dir: Path, devices: int, sweeps: int = 10) -> float:
    """Rows per second ``CheckRecords.persist`` writes: whole sweeps of ``devices`` results
    (each a latest row and an hourly rollup), one transaction a sweep, as the recorder
    flushes them; on checks of their own, beside the bench's."""
    from datetime import UTC, datetime, timedelta

    from data.records.checks.batch import CheckBatch
    from data.records.checks.book import CheckRecords
    from data.stores import open_store

    store: Any = await open_store(db, key_dir=key_dir / "dutydesk" / "postgresql")
    try:
        records = CheckRecords(store)
        start, rows = datetime.now(UTC), 0
        began = time.perf_counter()
        for sweep in range(sweeps):
            batch = CheckBatch()
            at = start + timedelta(seconds=sweep)
            for i in range(devices):
                state = "CRITICAL" if (i + sweep) % 50 == 0 else "OK"
                batch.add_result(
                    f"rate-{i}",
                    "cpu",
                    state=state,
                    hard=True,
                    attempt=1,
                    value=float(i % 100),
                    unit="%",
                    message="",
                    at=at,
                )
            rows += len(batch)
            await records.persist(batch)
        return rows / (time.perf_counter() - began)
    finally:
        await store.close()


if __name__ == "__main__":
    raise SystemExit(main())

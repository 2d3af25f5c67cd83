"""SNMP sweep benchmark: dutydesk's real check path against Nagios-style check_snmp.

N devices on loopback (bench/snmpd_farm.py: a few snmpd processes, one address per
device), each with two SNMP checks: the ``system`` profile (sysUpTime, sysName, sysDescr
in one GET) and a custom OID (hrMemorySize, with a threshold). For each size and SNMP
version (v2c, v3 authPriv SHA/AES) it runs, in this one process:

- dutydesk: ``Scheduler.run_once`` over ``checks.probe.run_probe`` with one shared
  ProbeContext and the default ``Limits``: a cold sweep (new engine: target creation,
  v3 discovery) and then a warm one, the steady state of a running console;
- the peer: Debian's monitoring-plugins ``check_snmp`` spawned per check, 16 at a time,
  as Nagios and Icinga run it; its CPU is the children's (check_snmp and the snmpget it
  spawns), from ``getrusage(RUSAGE_CHILDREN)``.

Client CPU is ``time.process_time`` of this process only; snmpd's CPU is shown apart.
``--soak`` runs 200,000 checks in repeated sweeps and prints RSS every 20,000.

    .venv/bin/python bench/poll.py                       # 100, 500, 2000 devices; v2c, v3
    .venv/bin/python bench/poll.py --sizes 2000 --versions v3 --skip-peer
    .venv/bin/python bench/poll.py --soak --sizes 2000 --versions v2c
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import os
import pstats
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).parent)]

from snmpd_farm import FarmCredentials, SnmpdFarm  # noqa: E402

from checks.probe import ProbeContext, run_probe  # noqa: E402
from checks.result import CheckState  # noqa: E402
from checks.scheduler import Scheduler  # noqa: E402
from data.models import Check, Device, Site  # noqa: E402

CHECK_SNMP = "/usr/lib/nagios/plugins/check_snmp"
PEER_PARALLEL = 16
SYSTEM_OIDS = "1.3.6.1.2.1.1.3.0,1.3.6.1.2.1.1.5.0,1.3.6.1.2.1.1.1.0"
HR_MEMORY_SIZE = "1.3.6.1.2.1.25.2.2.0"  # KBytes
TIMEOUT, RETRIES = 3.0, 1  # the same for both clients
TARGET_WALL_S = 10.0  # a 2,000-device sweep
TARGET_CPU_MS = {"v2c": 1.0, "v3": 1.5}
TARGET_RSS_DRIFT_MB = 10.0


@dataclass(frozen=True)
class Run:
    label: str
    checks: int
    wall_s: float
    cpu_s: float
    agent_cpu_s: float
    peak_mb: float
    failed: int
    first_failure: str = ""

    @property
    def cpu_ms_per_check(self) -> float:
        return 1e3 * self.cpu_s / self.checks


# -- memory figures (Linux /proc) ------------------------------------------------------


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def reset_peak_rss() -> None:
    """Restart VmHWM (peak RSS) from the current RSS, so each run shows its own peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


# -- the site under test ---------------------------------------------------------------


def bench_site(hosts: Sequence[str], port: int, version: str, c: FarmCredentials) -> Site:
    return Site.model_validate(bench_site_document(hosts, port, version, c))


def bench_site_document(
    hosts: Sequence[str], port: int, version: str, c: FarmCredentials
) -> dict[str, Any]:
    """The site as a site.yaml would hold it (bench/watch.py writes it to a file)."""
    if version == "v2c":
        snmp: dict[str, Any] = {"version": "2c", "community": c.community}
    else:
        snmp = {
            "version": "3",
            "user": c.user,
            "auth_protocol": "SHA",
            "auth_key": c.auth_key,
            "priv_protocol": "AES",
            "priv_key": c.priv_key,
        }
    common = {
        "type": "snmp",
        "credential": "bench",
        "port": port,
        "timeout": TIMEOUT,
        "retries": RETRIES,
    }
    checks = [
        {"id": "system", "profile": "system", **common},
        {
            "id": "memory",
            "oid": HR_MEMORY_SIZE,
            "scale": 1 / 1024,
            "unit": "MB",
            "crit": "< 64",
            **common,
        },
    ]
    devices = [
        {
            "id": f"dev-{i:05d}",
            "name": f"device {i}",
            "kind": "server",
            "zone": "bench",
            "host": host,
            "checks": checks,
        }
        for i, host in enumerate(hosts)
    ]
    return {
        "site": {
            "name": "bench",
            "shifts": [{"name": "day", "start": "08:00", "end": "20:00"}],
        },
        "zones": [{"id": "bench", "name": "bench"}],
        "credentials": {"bench": {"snmp": snmp}},
        "devices": devices,
    }


def peer_argv(host: str, port: int, version: str, c: FarmCredentials, check: str) -> list[str]:
    """check_snmp for one check, as a Nagios service definition would spawn it."""
    argv = [CHECK_SNMP, "-H", host, "-p", str(port), "-t", str(int(TIMEOUT * 2)), "-e", "1"]
    if version == "v2c":
        argv += ["-P", "2c", "-C", c.community]
    else:
        argv += ["-P", "3", "-L", "authPriv", "-U", c.user, "-a", "SHA", "-A", c.auth_key]
        argv += ["-x", "AES", "-X", c.priv_key]
    if check == "system":
        return [*argv, "-o", SYSTEM_OIDS]
    return [*argv, "-o", HR_MEMORY_SIZE, "-c", "65536:"]


# -- the two clients -------------------------------------------------------------------


def _scheduler(site: Site) -> tuple[Scheduler, ProbeContext]:
    ctx = ProbeContext()

    async def runner(device: Device, check: Check) -> Any:
        return await run_probe(site, device, check, ctx)

    return Scheduler(site, runner), ctx


async def _timed_sweep(
    label: str, scheduler: Scheduler, farm: SnmpdFarm, profile: cProfile.Profile | None = None
) -> Run:
    gc.collect()
    reset_peak_rss()
    agent0, cpu0, wall0 = farm.cpu_seconds(), time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    events = await scheduler.run_once()
    if profile is not None:
        profile.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    bad = [e for e in events if e.result.state is not CheckState.OK]
    first = f"{bad[0].device_id}/{bad[0].check_id}: {bad[0].result.message}" if bad else ""
    return Run(
        label,
        len(events),
        wall,
        cpu,
        farm.cpu_seconds() - agent0,
        _status_mb("VmHWM"),
        len(bad),
        first,
    )


async def dutydesk_runs(site: Site, farm: SnmpdFarm, profile: str | None) -> list[Run]:
    scheduler, ctx = _scheduler(site)
    profiler = cProfile.Profile() if profile else None
    try:
        cold = await _timed_sweep(
            "dutydesk, cold", scheduler, farm, profiler if profile == "cold" else None
        )
        warm = await _timed_sweep(
            "dutydesk, warm", scheduler, farm, profiler if profile == "warm" else None
        )
    finally:
        await ctx.close()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return [cold, warm]


def peer_run(argvs: list[list[str]], farm: SnmpdFarm) -> Run:
    def one(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "timed out"
        out = done.stdout.decode(errors="replace").strip()
        return "" if done.returncode == 0 else f"exit {done.returncode}: {out[:120]}"

    gc.collect()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    agent0, wall0 = farm.cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(PEER_PARALLEL) as pool:
        problems = [p for p in pool.map(one, argvs) if p]
    wall = time.perf_counter() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # no peak RSS: a child's ru_maxrss counts the forked Python image before its exec
    return Run(
        f"check_snmp x{PEER_PARALLEL}",
        len(argvs),
        wall,
        cpu,
        farm.cpu_seconds() - agent0,
        float("nan"),
        len(problems),
        problems[0] if problems else "",
    )


# -- output ----------------------------------------------------------------------------

HEADER = (
    "devices",
    "SNMP",
    "client",
    "checks",
    "wall s",
    "checks/s",
    "CPU ms/check",
    "snmpd ms/check",
    "peak RSS MB",
    "failed",
)
WIDTHS = (7, 4, 16, 6, 7, 8, 12, 14, 11, 6)


def line(cells: Sequence[object]) -> str:
    return "  ".join(
        str(c).rjust(w) if i != 2 else str(c).ljust(w)
        for i, (c, w) in enumerate(zip(cells, WIDTHS, strict=True))
    )


def row(devices: int, version: str, r: Run) -> str:
    peak = "-" if r.peak_mb != r.peak_mb else f"{r.peak_mb:.0f}"  # NaN: not measured
    per_check = f"{1e3 * r.agent_cpu_s / r.checks:.2f}"
    return line(
        (
            devices,
            version,
            r.label,
            r.checks,
            f"{r.wall_s:.2f}",
            f"{r.checks / r.wall_s:,.0f}",
            f"{r.cpu_ms_per_check:.2f}",
            per_check,
            peak,
            r.failed,
        )
    )


def sweeps(args: argparse.Namespace, farm: SnmpdFarm) -> list[tuple[int, str, Run]]:
    print(line(HEADER))
    print("-" * len(line(HEADER)))
    results: list[tuple[int, str, Run]] = []
    for size in args.sizes:
        for version in args.versions:
            site = bench_site(farm.hosts[:size], farm.port, version, farm.credentials)
            runs = asyncio.run(dutydesk_runs(site, farm, args.profile))
            if not args.skip_peer:
                argvs = [
                    peer_argv(d.host, farm.port, version, farm.credentials, c.id)
                    for d in site.devices
                    for c in d.checks
                ]
                runs.append(peer_run(argvs, farm))
            for r in runs:
                print(row(size, version, r), flush=True)
                if r.first_failure:
                    print(f"    first failure: {r.first_failure}")
                results.append((size, version, r))
            if not args.skip_peer:
                warm, peer = runs[1], runs[2]
                wall, cpu = peer.wall_s / warm.wall_s, peer.cpu_ms_per_check / warm.cpu_ms_per_check
                print(f"    check_snmp / dutydesk warm: wall {wall:.1f}x, CPU per check {cpu:.1f}x")
            print(flush=True)
    return results


def verdicts(results: list[tuple[int, str, Run]]) -> None:
    for size, version, r in results:
        if size != 2000 or not r.label.startswith("dutydesk"):
            continue
        wall_ok = r.wall_s < TARGET_WALL_S
        cpu_ok = r.cpu_ms_per_check <= TARGET_CPU_MS[version]
        print(
            f"target {version} 2000 devices, {r.label}: wall {r.wall_s:.2f} s < "
            f"{TARGET_WALL_S:g} s {'MET' if wall_ok else 'MISSED'}; CPU "
            f"{r.cpu_ms_per_check:.2f} ms/check <= {TARGET_CPU_MS[version]} "
            f"{'MET' if cpu_ok else 'MISSED'}"
        )


async def soak(site: Site, farm: SnmpdFarm, total: int, every: int) -> list[tuple[int, float]]:
    """Repeated sweeps until ``total`` checks; RSS after every ``every`` checks."""
    scheduler, ctx = _scheduler(site)
    marks: list[tuple[int, float]] = []
    done = failed = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    print(f"{'checks':>8}  {'wall s':>7}  {'RSS MB':>7}  {'CPU ms/check':>12}  {'failed':>6}")
    try:
        while done < total:
            events = await scheduler.run_once()
            done += len(events)
            failed += sum(e.result.state is not CheckState.OK for e in events)
            if done >= (len(marks) + 1) * every:
                gc.collect()  # what stays is what leaks, not garbage waiting for a collection
                marks.append((done, rss_mb()))
                cpu = 1e3 * (time.process_time() - cpu0) / every
                print(
                    f"{done:>8,}  {time.perf_counter() - wall0:>7.1f}  {marks[-1][1]:>7.1f}  "
                    f"{cpu:>12.2f}  {failed:>6}",
                    flush=True,
                )
                cpu0 = time.process_time()
    finally:
        await ctx.close()
    return marks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--versions", nargs="+", choices=["v2c", "v3"], default=["v2c", "v3"])
    parser.add_argument("--skip-peer", action="store_true", help="do not run check_snmp")
    parser.add_argument("--soak", action="store_true", help="200,000 checks; RSS every 20,000")
    parser.add_argument("--soak-checks", type=int, default=200_000)
    parser.add_argument("--profile", choices=["cold", "warm"], help="cProfile those sweeps")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the farm on `timeout`
    if not args.skip_peer and not args.soak and not os.access(CHECK_SNMP, os.X_OK):
        parser.error(
            f"{CHECK_SNMP} missing: apt-get install monitoring-plugins-standard "
            "(or pass --skip-peer)"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs (load {load}), "
        f"{TIMEOUT:g} s timeout, {RETRIES} retry; dutydesk: Scheduler.run_once, "
        "default Limits"
    )
    with SnmpdFarm(max(args.sizes)) as farm:
        print(
            f"snmpd farm: {farm.count} devices, {len(farm.pids)} snmpd processes, "
            f"port {farm.port}\n"
        )
        if args.soak:
            every = args.soak_checks // 10
            for version in args.versions:
                size = max(args.sizes)
                print(f"soak: {size} devices, {version}, {args.soak_checks:,} checks")
                site = bench_site(farm.hosts[:size], farm.port, version, farm.credentials)
                marks = asyncio.run(soak(site, farm, args.soak_checks, every))
                drift = max(mb for _, mb in marks) - min(mb for _, mb in marks)
                verdict = "MET" if drift <= TARGET_RSS_DRIFT_MB else "MISSED"
                print(
                    f"target: RSS within {TARGET_RSS_DRIFT_MB:g} MB after the first "
                    f"{every:,} checks: spread {drift:.1f} MB {verdict}\n"
                )
            return 0
        results = sweeps(args, farm)
        if not args.profile:  # profiled runs are several times slower: no verdicts
            verdicts(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

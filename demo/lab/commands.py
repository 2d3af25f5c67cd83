"""The few commands the lab's SSH server answers, from the World; nothing else ever runs.

A command line is split like a shell would (``shlex``) but never handed to one: it is
looked up in a small table. ``sudo`` in front is accepted and dropped. Output follows the
real tools closely enough for the console's parsers (``df -P``, ``/proc/loadavg``,
``free -b``, ``/proc/meminfo``, ``uptime``, ``systemctl is-active``), and exit statuses
follow systemctl: ``is-active`` exits 3 when a unit is not active, 5 for an unknown unit.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from dataclasses import dataclass

from demo.lab.world import World

USERNAME = "ops"


@dataclass(frozen=True)
class Reply:
    exit_status: int
    stdout: str = ""
    stderr: str = ""


def _unit(name: str) -> str:
    return name.removesuffix(".service")


def _systemctl(world: World, device_id: str, args: list[str]) -> Reply:
    if len(args) < 2:
        return Reply(1, stderr="Too few arguments.\n")
    verb, units = args[0], [_unit(u) for u in args[1:]]
    if verb == "is-active":
        states = [world.service_state(device_id, u) or "inactive" for u in units]
        status = 0 if all(s == "active" for s in states) else 3
        return Reply(status, "".join(f"{s}\n" for s in states))
    if verb in ("start", "restart", "stop"):
        for unit in units:
            if not world.set_service(device_id, unit, verb != "stop"):
                return Reply(
                    5, stderr=f"Failed to {verb} {unit}.service: Unit {unit}.service not found.\n"
                )
        return Reply(0)
    if verb == "status":
        state = world.service_state(device_id, units[0])
        if state is None:
            return Reply(4, stderr=f"Unit {units[0]}.service could not be found.\n")
        running = "active (running)" if state == "active" else "inactive (dead)"
        text = f"● {units[0]}.service\n     Active: {running}\n"
        return Reply(0 if state == "active" else 3, text)
    return Reply(1, stderr=f'Unknown command verb "{verb}".\n')


def _df(world: World, device_id: str, paths: list[str]) -> Reply:
    disks = [v for v in world.devices[device_id].volumes if v.kind == "disk"]
    if paths:  # the file system holding each path: the longest mount point that prefixes it
        chosen = []
        for path in paths:
            holding = [
                v for v in disks if path == v.descr or path.startswith(v.descr.rstrip("/") + "/")
            ]
            if not holding:
                return Reply(1, stderr=f"df: {path}: No such file or directory\n")
            chosen.append(max(holding, key=lambda v: len(v.descr)))
        disks = chosen
    lines = ["Filesystem                 1024-blocks       Used  Available Capacity Mounted on"]
    for v in disks:
        size = v.size_units * v.unit_bytes // 1024
        used = v.used_units * v.unit_bytes // 1024
        capacity = math.ceil(100 * used / size) if size else 0
        name = f"/dev/mapper/klas-{v.descr.strip('/') or 'root'}"
        lines.append(f"{name:<26} {size:>11} {used:>10} {size - used:>10} {capacity:>7}% {v.descr}")
    return Reply(0, "\n".join(lines) + "\n")


def _memory(world: World, device_id: str) -> tuple[int, int]:
    """(total, available) bytes of RAM."""
    ram = next(v for v in world.devices[device_id].volumes if v.kind == "ram")
    total = ram.size_units * ram.unit_bytes
    return total, total - ram.used_units * ram.unit_bytes


def _free(world: World, device_id: str) -> Reply:
    total, available = _memory(world, device_id)
    cache = (total - available) // 5
    used, free = total - available - cache // 2, available - cache
    columns = ("total", "used", "free", "shared", "buff/cache", "available")
    header = " " * 14 + "".join(f"{c:>12}" for c in columns)
    mem = f"{'Mem:':14}{total:>12}{used:>12}{free:>12}{0:>12}{cache:>12}{available:>12}"
    swap = f"{'Swap:':14}{8 * 1024**3:>12}{0:>12}{8 * 1024**3:>12}"
    return Reply(0, f"{header}\n{mem}\n{swap}\n")


def _meminfo(world: World, device_id: str) -> Reply:
    total, available = _memory(world, device_id)
    rows = {
        "MemTotal": total,
        "MemFree": available * 3 // 4,
        "MemAvailable": available,
        "Buffers": available // 40,
        "Cached": available // 5,
        "SwapTotal": 8 * 1024**3,
        "SwapFree": 8 * 1024**3,
    }
    return Reply(0, "".join(f"{k + ':':<16}{v // 1024:>8} kB\n" for k, v in rows.items()))


def _uptime(world: World, device_id: str) -> Reply:
    seconds = int(world.uptime_seconds(device_id))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest // 60 % 60
    up = (f"{days} day{'s' if days != 1 else ''}, " if days else "") + f"{hours:2d}:{minutes:02d}"
    load = ", ".join(f"{x:.2f}" for x in world.devices[device_id].load)
    now = dt.datetime.now().strftime("%H:%M:%S")
    return Reply(0, f" {now} up {up},  1 user,  load average: {load}\n")


def _loadavg(world: World, device_id: str) -> Reply:
    sim = world.devices[device_id]
    one, five, fifteen = sim.load
    running = max(1, round(one))
    return Reply(0, f"{one:.2f} {five:.2f} {fifteen:.2f} {running}/{412 + len(sim.cpus)} 31337\n")


def run_command(world: World, device_id: str, command: str) -> Reply:
    """What the simulated host prints for ``command``, and its exit status."""
    try:
        words = shlex.split(command)
    except ValueError as e:
        return Reply(2, stderr=f"lab: cannot parse the command: {e}\n")
    if words[:1] == ["sudo"]:
        words = [w for w in words[1:] if w not in ("-n", "--non-interactive")]
    if not words:
        return Reply(0)
    name, args = words[0], words[1:]
    if name == "systemctl":
        return _systemctl(world, device_id, [a for a in args if not a.startswith("-")])
    if name == "df" and args[:1] == ["-P"]:
        return _df(world, device_id, args[1:])
    if words == ["cat", "/proc/loadavg"]:
        return _loadavg(world, device_id)
    if words == ["cat", "/proc/meminfo"]:
        return _meminfo(world, device_id)
    if words in (["free", "-b"], ["free", "--bytes"]):
        return _free(world, device_id)
    if words == ["uptime"]:
        return _uptime(world, device_id)
    if words == ["hostname"]:
        return Reply(0, f"{world.devices[device_id].name}\n")
    if words == ["whoami"]:
        return Reply(0, f"{USERNAME}\n")
    known = "systemctl, df -P, free -b, uptime, cat /proc/loadavg|/proc/meminfo"
    return Reply(127, stderr=f"lab: {name}: command not found (this demo host answers {known})\n")

"""The hardware of each simulated device: ports, processors, memory and disks, a UPS.

What a device has follows its kind (and, for port names, its vendor's naming habit), so
the demo's switches have a few dozen ports with the unused ones shut, its servers have
eight cores, RAM and two file systems, and each UPS has a battery.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

from data.models import Device

GIB = 1024**3
NETWORK_KINDS = ("switch", "router", "firewall", "ids")
CORES = {"server": 8, "storage": 4, "firewall": 4, "ids": 4, "switch": 2, "router": 2}


@dataclass
class Drift:
    """One reading that wanders around ``mean`` (stationary spread ``spread``)."""

    value: float
    mean: float
    spread: float
    pull: float  # per second: how fast a displaced value returns to the mean
    low: float = -math.inf
    high: float = math.inf

    def step(self, dt: float, rng: random.Random) -> None:
        decay = math.exp(-self.pull * dt)
        noise = self.spread * math.sqrt(1.0 - decay * decay) * rng.gauss(0.0, 1.0)
        moved = self.mean + (self.value - self.mean) * decay + noise
        self.value = min(self.high, max(self.low, moved))


@dataclass
class Port:
    index: int
    name: str  # ifName (short)
    descr: str  # ifDescr (long)
    admin_up: bool = True
    oper_up: bool = True
    in_errors: int = 0
    out_errors: int = 0
    speed_mbps: int = 1000


@dataclass
class Volume:
    """An hrStorage row: RAM or a fixed disk, its size in allocation units."""

    index: int
    kind: Literal["ram", "disk"]
    descr: str
    unit_bytes: int
    size_units: int
    used_pct: Drift

    @property
    def used_units(self) -> int:
        return int(self.size_units * self.used_pct.value / 100.0)


@dataclass
class Ups:
    load_pct: Drift
    input_volts: Drift
    on_battery: bool = False
    charge_pct: float = 100.0
    battery_since: float | None = None  # world time the mains failed

    @property
    def minutes_left(self) -> int:
        # a full battery carries 35 % load for an hour; runtime shrinks with load and charge
        return int(60.0 * (self.charge_pct / 100.0) * 35.0 / max(self.load_pct.value, 5.0))


@dataclass
class DeviceSim:
    id: str
    kind: str
    host: str
    row: str
    name: str
    descr: str
    contact: str
    location: str
    boot: float  # world time of the last boot: negative means before the lab started
    cpus: list[Drift]
    volumes: list[Volume]
    ports: list[Port]
    sensor_offset: float
    services: dict[str, bool] = field(default_factory=dict)
    ups: Ups | None = None
    dead: bool = False
    load: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # 1, 5, 15 min


def _port_names(device: Device, count: int, fast_from: int) -> list[tuple[str, str]]:
    """(ifName, ifDescr) per port; ports from ``fast_from`` on are the 10G uplinks."""
    vendor = device.asset.vendor or ""
    names: list[tuple[str, str]] = []
    for n in range(1, count + 1):
        fast = n >= fast_from
        if vendor == "华为":
            short = f"{'10GE' if fast else 'GE'}1/0/{n}"
            long = f"{'XGigabitEthernet' if fast else 'GigabitEthernet'}1/0/{n}"
        elif vendor == "华三":
            long = f"{'Ten-GigabitEthernet' if fast else 'GigabitEthernet'}1/0/{n}"
            short = long.replace("Ten-GigabitEthernet", "XGE").replace("GigabitEthernet", "GE")
        else:
            long = f"{'TenGigabitEthernet' if fast else 'GigabitEthernet'} 0/{n}"
            short = long.replace(" ", "")
        names.append((short, long))
    return names


def _ports(device: Device) -> list[Port]:
    """Ports by kind; the last few of a switch, router or firewall are unused (admin down)."""
    core = "core" in device.id
    layout = {  # kind: (ports, first 10G port, unused at the end)
        "switch": (20, 17, 4) if core else (28, 25, 6),
        "router": (8, 7, 3),
        "firewall": (8, 7, 3),
        "ids": (4, 5, 0),
    }
    if device.kind in layout:
        count, fast_from, unused = layout[device.kind]
        named = _port_names(device, count, fast_from)
    elif device.kind in ("server", "storage"):
        count, fast_from, unused = 3, 1, 0
        named = [(n, n) for n in ("ens1f0", "ens1f1", "eno1")]
    else:
        count, fast_from, unused = 1, 2, 0
        named = [("eth0", "eth0")]
    ports = []
    for i, (short, long) in enumerate(named, start=1):
        up = i <= count - unused
        speed = 10_000 if i >= fast_from else 1000
        ports.append(Port(i, short, long, admin_up=up, oper_up=up, speed_mbps=speed))
    return ports


def _volumes(device: Device, rng: random.Random) -> list[Volume]:
    def used(low: float, high: float, spread: float = 0.4) -> Drift:
        mean = rng.uniform(low, high)
        return Drift(mean, mean, spread, 1 / 1800, 1.0, 99.5)

    if device.kind == "server":
        return [
            Volume(1, "ram", "Physical memory", 1024, 64 * GIB // 1024, used(45, 65, 3.0)),
            Volume(31, "disk", "/", 4096, 200 * GIB // 4096, used(40, 62)),
            Volume(32, "disk", "/data", 4096, 2048 * GIB // 4096, used(55, 74)),
        ]
    if device.kind == "storage":
        return [
            Volume(1, "ram", "Physical memory", 1024, 256 * GIB // 1024, used(40, 60, 2.0)),
            Volume(31, "disk", "/pool0", 1 << 20, 400 * 1024 * GIB // (1 << 20), used(60, 70)),
        ]
    if device.kind in NETWORK_KINDS:
        return [
            Volume(1, "ram", "Physical memory", 1024, 8 * GIB // 1024, used(30, 55, 1.5)),
            Volume(31, "disk", "flash:", 1024, GIB // 1024, used(20, 45)),
        ]
    return [Volume(1, "ram", "Physical memory", 1024, GIB // 4 // 1024, used(20, 40, 1.0))]


def _cpus(device: Device, rng: random.Random) -> list[Drift]:
    if device.kind == "server":
        low, high, spread = 15.0, 40.0, 8.0
    elif device.kind == "firewall":
        low, high, spread = 25.0, 40.0, 6.0
    else:
        low, high, spread = 5.0, 15.0, 3.0
    cpus = []
    for _ in range(CORES.get(device.kind, 1)):
        mean = rng.uniform(low, high)
        cpus.append(Drift(mean, mean, spread, 1 / 120, 0.0, 100.0))
    return cpus


def _descr(device: Device) -> str:
    if device.kind == "server":
        return f"Linux {device.id} 4.19.90-52.22.v2207.ky10.x86_64 #1 SMP x86_64"
    made = " ".join(p for p in (device.asset.vendor, device.asset.model) if p)
    return f"{made or device.kind} (dutydesk demo lab)"


def build_device(device: Device, row: str, rng: random.Random, now: float) -> DeviceSim:
    """A fresh simulated device, up for a few days to a few months."""
    where = device.location
    sim = DeviceSim(
        id=device.id,
        kind=device.kind,
        host=device.host,
        row=row,
        name=device.id,
        descr=_descr(device),
        contact=device.asset.contact or device.asset.support or "",
        location=" ".join(str(p) for p in (where.room, where.rack, where.u and f"U{where.u}") if p),
        boot=now - rng.uniform(3, 200) * 86400,
        cpus=_cpus(device, rng),
        volumes=_volumes(device, rng),
        ports=_ports(device),
        sensor_offset=rng.uniform(-0.6, 0.6),
    )
    if device.kind == "ups":
        load = rng.uniform(25.0, 40.0)
        sim.ups = Ups(
            load_pct=Drift(load, load, 2.0, 1 / 300, 5.0, 100.0),
            input_volts=Drift(220.0, 220.0, 1.5, 1 / 60, 200.0, 240.0),
        )
    return sim

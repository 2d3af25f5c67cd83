"""The simulated machine room behind the demo lab: what every device would report now.

Readings drift the way a real room does: each one is pulled back toward its own mean with
random noise (an Ornstein-Uhlenbeck walk, computed exactly for any step length, so a tick
after a pause is as plausible as one a second later). All randomness comes from one seeded
generator and devices are visited in site order: the same seed and the same tick times give
the same room. Faults (scenario.py) change the state through the ``set_*`` methods; every
change bumps ``generation`` and tells the subscribers, so listeners can follow at once.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from data.models import Device, Site
from demo.lab.devices import DeviceSim, Drift, Port, Ups, build_device

_UNIT_IN_COMMAND = re.compile(r"systemctl\s+(?:is-active|restart|start|stop|status)\s+(\S+)")
BASE_UNITS = ("sshd", "crond")  # what every simulated Linux host runs besides its own units


@dataclass
class Row:
    """A row of racks (or a room without rows): the air its sensors read."""

    name: str
    normal: Drift  # the row's usual inlet temperature, wandering slowly within 20..25 °C
    temperature: Drift  # follows normal + heat with a lag of about 40 s
    humidity: Drift
    heat: float = 0.0  # extra °C while a cooling fault lasts


def units_named(device: Device) -> list[str]:
    """Systemd units the site's checks and actions name for this device."""
    commands = [c.command for c in device.checks if c.type == "ssh"]
    commands += [a.command for a in device.actions]
    found = [m[1] for text in commands for m in _UNIT_IN_COMMAND.finditer(text)]
    return list(dict.fromkeys(u.removesuffix(".service") for u in found))


class World:
    """Every device's simulated state; ``tick(now)`` moves the clock and the drift."""

    def __init__(self, site: Site, *, seed: int = 2026, now: float = 0.0) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.generation = 0
        self.rows: dict[str, Row] = {}
        self.devices: dict[str, DeviceSim] = {}
        self._by_host: dict[str, DeviceSim] = {}
        self._subscribers: list[Callable[[], None]] = []
        for device in site.devices:
            row = device.location.row or device.location.room or "-"
            if row not in self.rows:
                self.rows[row] = self._new_row(row)
            sim = build_device(device, row, self.rng, now)
            if units_named(device) or device.kind == "server":
                sim.services = {unit: True for unit in (*BASE_UNITS, *units_named(device))}
            self.devices[device.id] = sim
            self._by_host.setdefault(device.host, sim)
        for sim in self.devices.values():
            self._update_load(sim, 3600.0)

    def _new_row(self, name: str) -> Row:
        start = self.rng.uniform(21.0, 23.5)
        normal = Drift(start, 22.5, 0.8, 1 / 900, 20.3, 24.2)
        return Row(
            name,
            normal,
            Drift(start, start, 0.08, 1 / 40),
            Drift(self.rng.uniform(45, 55), 50.0, 2.5, 1 / 600, 41.0, 59.0),
        )

    # ---- time ----

    def tick(self, now: float) -> None:
        """Advance to ``now`` (seconds, same clock as the constructor's): drift every reading."""
        dt = now - self.now
        if dt <= 0:
            return
        self.now = now
        rng = self.rng
        for row in self.rows.values():
            row.normal.step(dt, rng)
            row.temperature.mean = row.normal.value + row.heat
            row.temperature.step(dt, rng)
            row.humidity.step(dt, rng)
        for sim in self.devices.values():
            for cpu in sim.cpus:
                cpu.step(dt, rng)
            for volume in sim.volumes:
                volume.used_pct.step(dt, rng)
            for port in sim.ports:
                # now and then a burst of CRC errors on a live link
                if port.oper_up and rng.random() < 1.0 - math.exp(-dt / 7200.0):
                    port.in_errors += rng.randint(1, 6)
            if sim.ups is not None:
                self._step_ups(sim.ups, dt)
            self._update_load(sim, dt)
        self._changed()

    def _step_ups(self, ups: Ups, dt: float) -> None:
        ups.load_pct.step(dt, self.rng)
        if ups.on_battery:
            ups.charge_pct = max(0.0, ups.charge_pct - 0.2 * dt)  # ~24 % in two minutes
        else:
            ups.input_volts.step(dt, self.rng)
            ups.charge_pct = min(100.0, ups.charge_pct + 0.05 * dt)

    def _update_load(self, sim: DeviceSim, dt: float) -> None:
        busy = sum(c.value for c in sim.cpus) / 100.0  # runnable tasks, roughly
        for i, minutes in enumerate((1, 5, 15)):
            keep = math.exp(-dt / (60.0 * minutes))
            sim.load[i] = sim.load[i] * keep + busy * (1.0 - keep)

    # ---- reading ----

    def device_at(self, host: str) -> DeviceSim | None:
        return self._by_host.get(host)

    def uptime_seconds(self, device_id: str) -> float:
        return self.now - self.devices[device_id].boot

    def temperature(self, device_id: str) -> float | None:
        """The device's first sensor in °C: room air for sensors, return air for air-cons,
        the chip for network gear; None for devices without one."""
        sim = self.devices[device_id]
        air = self.rows[sim.row].temperature.value + sim.sensor_offset
        if sim.kind == "sensor":
            return air
        if sim.kind == "aircon":
            return air + 2.0
        if sim.kind in ("switch", "router", "firewall"):
            return air + 18.0
        return None

    def humidity(self, device_id: str) -> float | None:
        sim = self.devices[device_id]
        if sim.kind not in ("sensor", "aircon"):
            return None
        return self.rows[sim.row].humidity.value + sim.sensor_offset

    def service_state(self, device_id: str, unit: str) -> str | None:
        """``active`` / ``inactive``, or None when the device has no such unit."""
        state = self.devices[device_id].services.get(unit.removesuffix(".service"))
        return None if state is None else ("active" if state else "inactive")

    # ---- faults and repairs ----

    def subscribe(self, callback: Callable[[], None]) -> None:
        """``callback()`` runs after every change (tick or fault); it must not raise."""
        self._subscribers.append(callback)

    def _changed(self) -> None:
        self.generation += 1
        for callback in self._subscribers:
            callback()

    def set_service(self, device_id: str, unit: str, active: bool) -> bool:
        """Start or stop a unit; False when the device has no such unit."""
        services = self.devices[device_id].services
        unit = unit.removesuffix(".service")
        if unit not in services:
            return False
        services[unit] = active
        self._changed()
        return True

    def set_port(self, device_id: str, index: int, up: bool) -> Port:
        port = next(p for p in self.devices[device_id].ports if p.index == index)
        port.oper_up = up and port.admin_up
        self._changed()
        return port

    def set_on_battery(self, device_id: str, on_battery: bool) -> Ups:
        ups = self.devices[device_id].ups
        if ups is None:
            raise ValueError(f"{device_id} is not a UPS")
        ups.on_battery = on_battery
        ups.battery_since = self.now if on_battery else None
        ups.input_volts.value = 0.0 if on_battery else ups.input_volts.mean
        self._changed()
        return ups

    def set_heat(self, row: str, extra_celsius: float) -> None:
        self.rows[row].heat = extra_celsius
        self._changed()

    def set_dead(self, device_id: str, dead: bool) -> None:
        """A dead device answers nothing; coming back it has rebooted (uptime restarts)."""
        sim = self.devices[device_id]
        if sim.dead and not dead:
            sim.boot = self.now
        sim.dead = dead
        self._changed()

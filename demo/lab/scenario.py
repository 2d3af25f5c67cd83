"""Faults on a timeline, so the demo shows the duty desk at work within minutes.

From the lab's start (times divided by ``speed``): an access port goes down at 0:30 (back
after 100 s), nginx on the OA server stops at 1:10, UPS-1 runs on battery at 2:30 (for
2 min), row B heats past 27 °C from 3:20 (cooling again after 150 s), the IDS stops
answering at 4:30 (for 2 min) and the SMS gateway stops at 7:00; then the cycle repeats
every 15 minutes. Stopped services stay down until someone restarts them (the console's
restart action over SSH does). Link and UPS faults send SNMP traps.

Time is the World's clock: ``advance(now)`` runs every step that is due, so tests can
drive it with made-up times, or call ``step(name)`` to cause a fault at once.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass

from demo.lab.traps import TrapSender
from demo.lab.world import BASE_UNITS, World

log = logging.getLogger(__name__)

TIMELINE = [
    (30.0, "port_down"),
    (70.0, "service_stops"),
    (150.0, "ups_on_battery"),
    (200.0, "row_heats"),
    (270.0, "device_dies"),
    (420.0, "sms_gateway_stops"),
]
CYCLE = 900.0
RECOVERY = {  # fault -> (seconds it lasts, the step that ends it)
    "port_down": (100.0, "port_up"),
    "ups_on_battery": (120.0, "power_restored"),
    "row_heats": (150.0, "row_cools"),
    "device_dies": (120.0, "device_revives"),
}
HEAT_CELSIUS = 8.0  # added to the row's normal ~22.5 °C: sensors pass 27 after ~35 s


@dataclass(frozen=True)
class Targets:
    """Which device each fault hits (None: the site has none fit for it)."""

    port: tuple[str, int] | None  # (switch, ifIndex)
    service: tuple[str, str] | None  # (server, unit)
    sms: tuple[str, str] | None
    ups: str | None
    row: str | None
    dead: str | None


def _service(
    world: World, preferred: tuple[str, str], avoid: tuple[str, str] | None = None
) -> tuple[str, str] | None:
    device_id, unit = preferred
    if device_id in world.devices and world.service_state(device_id, unit) is not None:
        return preferred
    for sim in world.devices.values():
        for name in sim.services:
            if name not in BASE_UNITS and (sim.id, name) != avoid:
                return sim.id, name
    return None


def choose_targets(world: World) -> Targets:
    """The demo site's devices when present, else the first device of the right kind."""
    devices = world.devices
    switches = [d for d in devices.values() if d.kind == "switch" and len(d.ports) >= 7]
    access = [d for d in switches if "acc" in d.id] or switches
    service = _service(world, ("srv-oa-1", "nginx"))
    sensors = [d for d in devices.values() if d.kind == "sensor"]
    row = "B" if "B" in world.rows else (sensors[0].row if sensors else None)
    others = [d.id for d in devices.values() if d.kind not in ("server", "ups")]
    return Targets(
        port=(access[0].id, 7) if access else None,
        service=service,
        sms=_service(world, ("srv-sms-1", "smsgw"), avoid=service),
        ups=next((d.id for d in devices.values() if d.ups is not None), None),
        row=row,
        dead="ids-ext-1" if "ids-ext-1" in devices else (others[-1] if others else None),
    )


class Scenario:
    def __init__(
        self,
        world: World,
        *,
        speed: float = 1.0,
        traps: TrapSender | None = None,
        timeline: bool = True,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.world = world
        self.speed = speed
        self.traps = traps
        self.targets = choose_targets(world)
        self.history: list[tuple[float, str, str]] = []  # (world time, step, what happened)
        self._due: list[tuple[float, int, str]] = []
        self._seq = 0
        self._cycle_start = world.now
        if timeline:
            self._plan_cycle()
        self.steps: dict[str, Callable[[], str | None]] = {
            "port_down": lambda: self._port(False),
            "port_up": lambda: self._port(True),
            "service_stops": lambda: self._stop(self.targets.service),
            "sms_gateway_stops": lambda: self._stop(self.targets.sms),
            "ups_on_battery": lambda: self._ups(True),
            "power_restored": lambda: self._ups(False),
            "row_heats": lambda: self._heat(HEAT_CELSIUS),
            "row_cools": lambda: self._heat(0.0),
            "device_dies": lambda: self._dead(True),
            "device_revives": lambda: self._dead(False),
        }

    def _at(self, when: float, name: str) -> None:
        self._seq += 1
        heapq.heappush(self._due, (when, self._seq, name))

    def _plan_cycle(self) -> None:
        for offset, name in TIMELINE:
            self._at(self._cycle_start + offset / self.speed, name)
        self._at(self._cycle_start + CYCLE / self.speed, "_next_cycle")

    def next_due(self) -> float | None:
        """World time of the next scheduled step (None: nothing planned)."""
        return self._due[0][0] if self._due else None

    def advance(self, now: float) -> None:
        """Run every step due by ``now`` (the World's clock), in order."""
        while self._due and self._due[0][0] <= now:
            _, _, name = heapq.heappop(self._due)
            if name == "_next_cycle":
                self._cycle_start = now
                self._plan_cycle()
            else:
                self.step(name)

    def step(self, name: str) -> str | None:
        """Cause ``name`` now; its recovery (if any) is scheduled. Returns what happened."""
        if name not in self.steps:
            raise KeyError(f"unknown scenario step {name!r}; known: {', '.join(self.steps)}")
        what = self.steps[name]()
        if what is None:
            log.info("lab scenario: %s skipped (no device fits)", name)
            return None
        if name in RECOVERY:
            lasts, recovery = RECOVERY[name]
            self._at(self.world.now + lasts / self.speed, recovery)
        self.history.append((self.world.now, name, what))
        log.info("lab scenario: %s", what)
        return what

    # ---- the faults ----

    def _port(self, up: bool) -> str | None:
        if self.targets.port is None:
            return None
        device_id, index = self.targets.port
        port = self.world.set_port(device_id, index, up)
        if self.traps is not None:
            self.traps.link(device_id, index)
        return f"{device_id} port {port.name} {'up' if up else 'down'}"

    def _stop(self, target: tuple[str, str] | None) -> str | None:
        if target is None:
            return None
        device_id, unit = target
        self.world.set_service(device_id, unit, False)
        return f"{device_id} service {unit} stopped"

    def _ups(self, on_battery: bool) -> str | None:
        if self.targets.ups is None:
            return None
        self.world.set_on_battery(self.targets.ups, on_battery)
        if self.traps is not None:
            self.traps.ups(self.targets.ups)
        return f"{self.targets.ups} {'on battery' if on_battery else 'back on mains'}"

    def _heat(self, extra: float) -> str | None:
        if self.targets.row is None:
            return None
        self.world.set_heat(self.targets.row, extra)
        return f"row {self.targets.row} {'heating up' if extra else 'cooling down'}"

    def _dead(self, dead: bool) -> str | None:
        if self.targets.dead is None:
            return None
        self.world.set_dead(self.targets.dead, dead)
        return f"{self.targets.dead} {'stopped answering' if dead else 'answers again'}"

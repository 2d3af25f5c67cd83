"""Each simulated device as an SNMP MIB view: a sorted list of (OID, value) from the World.

Served: SNMPv2-MIB system, IF-MIB ifTable and ifXTable ifName, HOST-RESOURCES-MIB
(hrProcessorLoad, hrStorageTable), ENTITY-SENSOR-MIB entPhySensorTable (index 1
temperature, 2 humidity) and the RFC 1628 UPS-MIB objects the ``ups`` profile reads.
A sensor's value is written in the unit the site's check reads it with: a check with
``scale: 0.1`` reads 235 as 23.5 °C, so the lab serves tenths there (and says so in
entPhySensorPrecision, as a real agent would).
"""

from __future__ import annotations

import math
from typing import Any

from pysnmp.proto import rfc1902

from data.models import Site
from demo.lab.world import World

Oid = tuple[int, ...]
Row = tuple[Oid, Any]  # a pysnmp value: Integer32, OctetString, TimeTicks, ...

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
IF_NUMBER, IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 1, 0), (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFX_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
HR = (1, 3, 6, 1, 2, 1, 25)
HR_STORAGE_TYPES = (*HR, 2, 1)  # .2 hrStorageRam, .4 hrStorageFixedDisk
HR_CPU_BASE = 196608  # hrDeviceIndex of the first processor, as net-snmp numbers them
SENSOR_ENTRY = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1)
SENSOR_OIDS = {f"1.3.6.1.2.1.99.1.1.1.4.{i}": i for i in (1, 2)}
CELSIUS, PERCENT_RH = 8, 9  # EntitySensorDataType
UPS = (1, 3, 6, 1, 2, 1, 33, 1)
NET_SNMP_LINUX = rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 8072, 3, 2, 10))


def text(value: str) -> Any:
    return rfc1902.OctetString(value.encode("utf-8"))


def ticks(seconds: float) -> Any:
    return rfc1902.TimeTicks(int(seconds * 100) % 2**32)


def sensor_scales(site: Site) -> dict[str, dict[int, float]]:
    """Per device, the scale its site checks read each sensor with (absent: by kind)."""
    found: dict[str, dict[int, float]] = {}
    for device in site.devices:
        if device.kind in ("sensor", "aircon"):  # room sensors report tenths by habit
            found[device.id] = {1: 0.1, 2: 0.1}
        for check in device.checks:
            if check.type == "snmp" and check.oid in SENSOR_OIDS:
                found.setdefault(device.id, {})[SENSOR_OIDS[check.oid]] = check.scale
    return found


def _system(world: World, device_id: str) -> list[Row]:
    sim = world.devices[device_id]
    values = [text(sim.descr), NET_SNMP_LINUX, ticks(world.uptime_seconds(device_id))]
    values += [text(sim.contact), text(sim.name), text(sim.location), rfc1902.Integer32(72)]
    return [((*SYSTEM, column, 0), v) for column, v in enumerate(values, start=1)]


def _interfaces(world: World, device_id: str) -> list[Row]:
    ports = world.devices[device_id].ports
    rows: list[Row] = [(IF_NUMBER, rfc1902.Integer32(len(ports)))]
    for p in ports:
        speed = min(p.speed_mbps * 1_000_000, 2**32 - 1)
        columns = {
            1: rfc1902.Integer32(p.index),
            2: text(p.descr),
            3: rfc1902.Integer32(6),  # ethernetCsmacd
            5: rfc1902.Gauge32(speed),
            7: rfc1902.Integer32(1 if p.admin_up else 2),
            8: rfc1902.Integer32(1 if p.oper_up else 2),
            14: rfc1902.Counter32(p.in_errors % 2**32),
            20: rfc1902.Counter32(p.out_errors % 2**32),
        }
        rows += [((*IF_ENTRY, c, p.index), v) for c, v in columns.items()]
        rows.append(((*IFX_ENTRY, 1, p.index), text(p.name)))
        rows.append(((*IFX_ENTRY, 15, p.index), rfc1902.Gauge32(p.speed_mbps)))
    return rows


def _host(world: World, device_id: str) -> list[Row]:
    sim = world.devices[device_id]
    rows: list[Row] = [((*HR, 1, 1, 0), ticks(world.uptime_seconds(device_id)))]
    ram = next((v for v in sim.volumes if v.kind == "ram"), None)
    if ram is not None:
        rows.append(((*HR, 2, 2, 0), rfc1902.Integer32(ram.size_units * ram.unit_bytes // 1024)))
    for v in sim.volumes:
        kind = (*HR_STORAGE_TYPES, 2 if v.kind == "ram" else 4)
        columns = {
            1: rfc1902.Integer32(v.index),
            2: rfc1902.ObjectIdentifier(kind),
            3: text(v.descr),
            4: rfc1902.Integer32(v.unit_bytes),
            5: rfc1902.Integer32(v.size_units),
            6: rfc1902.Integer32(v.used_units),
        }
        rows += [((*HR, 2, 3, 1, c, v.index), value) for c, value in columns.items()]
    for i, cpu in enumerate(sim.cpus):
        rows.append(((*HR, 3, 3, 1, 2, HR_CPU_BASE + i), rfc1902.Integer32(round(cpu.value))))
    return rows


def _sensors(world: World, device_id: str, scales: dict[int, float]) -> list[Row]:
    rows: list[Row] = []
    readings = {
        1: (world.temperature(device_id), CELSIUS),
        2: (world.humidity(device_id), PERCENT_RH),
    }
    for index, (value, kind) in readings.items():
        if value is None:
            continue
        scale = scales.get(index, 1.0)
        precision = max(0, round(-math.log10(scale))) if scale < 1 else 0
        columns = {
            1: rfc1902.Integer32(kind),
            2: rfc1902.Integer32(9),  # units (10^0)
            3: rfc1902.Integer32(precision),
            4: rfc1902.Integer32(round(value / scale)),
            5: rfc1902.Integer32(1),  # ok
        }
        rows += [((*SENSOR_ENTRY, c, index), v) for c, v in columns.items()]
    return rows


def _ups(world: World, device_id: str) -> list[Row]:
    sim = world.devices[device_id]
    ups = sim.ups
    if ups is None:
        return []
    on_battery_s = world.now - ups.battery_since if ups.battery_since is not None else 0.0
    maker, _, model = sim.descr.partition(" ")
    values: dict[Oid, Any] = {
        (1, 1, 0): text(maker),
        (1, 2, 0): text(model.removesuffix(" (dutydesk demo lab)")),
        (2, 1, 0): rfc1902.Integer32(3 if ups.charge_pct < 25 else 2),  # low / normal
        (2, 2, 0): rfc1902.Integer32(int(on_battery_s)),
        (2, 3, 0): rfc1902.Integer32(ups.minutes_left),
        (2, 4, 0): rfc1902.Integer32(int(ups.charge_pct)),
        (3, 2, 0): rfc1902.Integer32(1),
        (3, 3, 1, 3, 1): rfc1902.Integer32(round(ups.input_volts.value)),
        (4, 1, 0): rfc1902.Integer32(5 if ups.on_battery else 3),  # battery / normal
        (4, 3, 0): rfc1902.Integer32(1),
        (4, 4, 1, 2, 1): rfc1902.Integer32(220),
        (4, 4, 1, 5, 1): rfc1902.Integer32(round(ups.load_pct.value)),
    }
    return [((*UPS, *suffix), v) for suffix, v in values.items()]


def device_rows(world: World, device_id: str, scales: dict[int, float]) -> list[Row]:
    """Everything the device answers, sorted by OID (GETNEXT walks this order)."""
    rows = _system(world, device_id) + _interfaces(world, device_id)
    rows += _host(world, device_id) + _sensors(world, device_id, scales)
    rows += _ups(world, device_id)
    rows.sort(key=lambda row: row[0])
    return rows

"""The SNMP readers written in code, and the custom ``oid`` and ``walk`` checks.

Most devices are read by declarative templates (``checks.templates``); the shipped
``system``, ``interfaces`` and ``host`` templates name a reader here instead, for what a
table cannot say: counters that need history (uptime for reboots, interface error
counters read the previous result's ``values``) and host memory less its cache. A custom
``oid`` check reads one number, a ``walk`` check aggregates a subtree. Every function
returns a ProbeResult or raises ProbeFailure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from checks.evaluate import ProbeFailure, format_value, judge
from checks.result import CheckState, ProbeResult
from checks.snmp import SnmpClient, SnmpValue
from data.device_templates import DeviceTemplate
from data.models import SnmpCheck, SnmpCredential
from data.thresholds import Threshold

SYS_DESCR, SYS_UPTIME, SYS_NAME = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0"
TICKS_PER_DAY = 8_640_000  # TimeTicks are hundredths of a second
IF_DESCR, IF_ADMIN, IF_OPER = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8"
IF_IN_ERRORS, IF_OUT_ERRORS = "1.3.6.1.2.1.2.2.1.14", "1.3.6.1.2.1.2.2.1.20"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_UP, IF_DOWN_STATES = 1, {2, 6, 7}  # down, notPresent, lowerLayerDown
HR_CPU_LOAD = "1.3.6.1.2.1.25.3.3.1.2"
HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"
# hrStorageAllocationUnits (column 4) is not read: used / size is a ratio of the same units
HR_TYPE, HR_DESCR, HR_SIZE, HR_USED = (f"{HR_STORAGE}.{c}" for c in (2, 3, 5, 6))
HR_RAM, HR_FIXED_DISK = "1.3.6.1.2.1.25.2.1.2", "1.3.6.1.2.1.25.2.1.4"
# net-snmp on Linux lists the kernel's buffers and page cache as hrStorageOther rows
HR_BUFFERS, HR_CACHED = "Memory buffers", "Cached memory"
# UCD-SNMP-MIB memory (kB): memTotalReal, memAvailReal (free), memBuffer, memCached
UCD_MEMORY = [f"1.3.6.1.4.1.2021.4.{c}.0" for c in (5, 6, 14, 15)]
HOST_WARN, HOST_CRIT = Threshold.parse("> 85"), Threshold.parse("> 95")


@dataclass(frozen=True)
class SnmpQuery:
    """One SNMP check against one device: where, as whom, and what it saw last time."""

    client: SnmpClient
    host: str
    port: int
    cred: SnmpCredential
    check: SnmpCheck
    previous: ProbeResult | None = None
    template: DeviceTemplate | None = None  # the check's template, when it names one

    async def get(self, oids: Sequence[str]) -> dict[str, SnmpValue]:
        c = self.check
        return await self.client.get(
            self.host, self.port, self.cred, oids, timeout=c.timeout, retries=c.retries
        )

    async def walk(self, roots: Sequence[str]) -> dict[str, dict[str, SnmpValue]]:
        c = self.check
        return await self.client.walk(
            self.host, self.port, self.cred, roots, timeout=c.timeout, retries=c.retries
        )

    def previously(self, key: str) -> object:
        return self.previous.values.get(key) if self.previous is not None else None


def number(value: SnmpValue, oid: str) -> float:
    """An SNMP value as a number; numeric text (``"23.5"``) counts, anything else fails."""
    if value is None:
        raise ProbeFailure(CheckState.UNKNOWN, f"no such object {oid}")
    if isinstance(value, int):
        return float(value)
    try:
        return float(value.strip())
    except ValueError:
        raise ProbeFailure(CheckState.UNKNOWN, f"{oid} is not a number: {value[:40]!r}") from None


def _uptime_text(ticks: int) -> str:
    minutes = ticks // 6000
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    return f"{days} d {hours} h" if days else f"{hours} h {mins} min"


async def system_profile(q: SnmpQuery) -> ProbeResult:
    got = await q.get([SYS_UPTIME, SYS_NAME, SYS_DESCR])
    ticks = int(number(got[SYS_UPTIME], SYS_UPTIME))
    name, descr = got[SYS_NAME], got[SYS_DESCR]
    before = q.previously("uptime_ticks")
    # TimeTicks wrap after 497 days: a drop from the last day before the wrap is not a reboot
    wrapped = isinstance(before, int) and before > 2**32 - TICKS_PER_DAY
    rebooted = isinstance(before, int) and ticks < before and not wrapped
    message = ("rebooted; " if rebooted else "") + f"up {_uptime_text(ticks)}"
    if name:
        message += f", {name}"
    values: dict[str, object] = {"uptime_ticks": ticks, "sys_name": name, "sys_descr": descr}
    values["rebooted"] = rebooted  # one result only: the next one compares with this
    floor = CheckState.WARNING if rebooted else CheckState.OK
    return judge(ticks / TICKS_PER_DAY, q.check, message, unit="d", values=values, floor=floor)


async def interfaces_profile(q: SnmpQuery) -> ProbeResult:
    table = await q.walk([IF_DESCR, IF_NAME, IF_ADMIN, IF_OPER, IF_IN_ERRORS, IF_OUT_ERRORS])
    admin, oper = table[IF_ADMIN], table[IF_OPER]
    if not oper:
        raise ProbeFailure(CheckState.UNKNOWN, "no interfaces in IF-MIB ifTable")

    def label(index: str) -> str:
        return str(table[IF_NAME].get(index) or table[IF_DESCR].get(index) or f"if{index}")

    enabled = [i for i, status in admin.items() if status == IF_UP]
    down = [label(i) for i in enabled if oper.get(i) in IF_DOWN_STATES]
    errors: dict[str, int] = {}
    for i in oper:
        counts = (table[IF_IN_ERRORS].get(i), table[IF_OUT_ERRORS].get(i))
        errors[i] = sum(c for c in counts if isinstance(c, int))
    before = q.previously("if_errors")
    grown: dict[str, int] = {}
    if isinstance(before, dict):
        for i, count in errors.items():
            last = before.get(i)
            if isinstance(last, int) and count > last:  # a drop is a counter reset: skip
                grown[label(i)] = count - last
    if down:
        shown = ", ".join(down[:10]) + (f" and {len(down) - 10} more" if len(down) > 10 else "")
        message = f"{len(down)} of {len(enabled)} enabled ports down: {shown}"
    else:
        message = f"all {len(enabled)} enabled ports up"
    if grown:
        worst = sorted(grown.items(), key=lambda kv: -kv[1])[:3]
        message += (
            f"; +{sum(grown.values())} errors (" + ", ".join(f"{n} +{d}" for n, d in worst) + ")"
        )
    values: dict[str, object] = {
        "ports": len(oper),
        "enabled": len(enabled),
        "down": down,
        "if_errors": errors,
        "error_delta": sum(grown.values()),
    }
    return judge(float(len(down)), q.check, message, values=values)


def _percent(used: SnmpValue, size: SnmpValue) -> float | None:
    if not isinstance(used, int) or not isinstance(size, int):
        return None
    # hrStorageSize is an Integer32: large volumes on old agents wrap negative
    used, size = used % 2**32, size % 2**32
    return 100.0 * used / size if size else None


@dataclass(frozen=True)
class Memory:
    """Memory use in percent: without the kernel's buffers and page cache, and with them."""

    used: float
    with_cache: float


def _linux_memory(total: int, free: int, buffers: int, cached: int) -> Memory | None:
    if total <= 0:
        return None
    in_use = max(total - free - buffers - cached, 0)
    return Memory(100.0 * in_use / total, 100.0 * (total - free) / total)


async def _ucd_memory(q: SnmpQuery) -> Memory | None:
    """UCD-SNMP-MIB's view, when the agent has it (net-snmp does on every Linux)."""
    try:
        got = await q.get(UCD_MEMORY)
    except ProbeFailure:  # an SNMPv1 agent without the objects answers noSuchName
        return None
    numbers = [got[oid] for oid in UCD_MEMORY]
    if not all(isinstance(n, int) for n in numbers):
        return None
    total, free, buffers, cached = (int(n or 0) for n in numbers)
    return _linux_memory(total, free, buffers, cached)


def _storage_memory(table: dict[str, dict[str, SnmpValue]]) -> Memory | None:
    """hrStorage's physical memory, less the "Memory buffers" and "Cached memory" rows."""
    ram: tuple[int, int] | None = None
    held = {HR_BUFFERS: 0, HR_CACHED: 0}
    for index, kind in table[HR_TYPE].items():
        used, size = table[HR_USED].get(index), table[HR_SIZE].get(index)
        if not isinstance(used, int) or not isinstance(size, int):
            continue
        # hrStorageSize is an Integer32: large volumes on old agents wrap negative
        used, size = used % 2**32, size % 2**32
        descr = table[HR_DESCR].get(index)
        if kind == HR_RAM and ram is None:
            ram = (used, size)
        elif descr in held:
            held[str(descr)] = used  # same allocation units as physical memory on net-snmp
    if ram is None:
        return None
    used, size = ram
    return _linux_memory(size, size - used, held[HR_BUFFERS], held[HR_CACHED])


async def host_profile(q: SnmpQuery) -> ProbeResult:
    """CPU, memory and the fullest disk from HOST-RESOURCES-MIB; the worst one is judged.

    Memory is what programs hold: used less the kernel's buffers and page cache, which
    Linux hands back on demand (from UCD-SNMP-MIB when present, else hrStorage's rows),
    as LibreNMS and Zabbix count it. Counted with the cache every busy Linux server sits
    near 100%; the message shows both.
    """
    table = await q.walk([HR_CPU_LOAD, HR_TYPE, HR_DESCR, HR_SIZE, HR_USED])
    loads = [v for v in table[HR_CPU_LOAD].values() if isinstance(v, int)]
    cpu = sum(loads) / len(loads) if loads else None
    disks: list[tuple[float, str]] = []
    for index, kind in table[HR_TYPE].items():
        pct = _percent(table[HR_USED].get(index), table[HR_SIZE].get(index))
        if pct is not None and kind == HR_FIXED_DISK:
            disks.append((pct, str(table[HR_DESCR].get(index) or index)))
    storage = _storage_memory(table)
    memory = await _ucd_memory(q) or storage
    disk, disk_name = max(disks) if disks else (None, "")
    parts = {"cpu": cpu, "memory": memory.used if memory else None, "disk": disk}
    seen = {k: round(v, 2) for k, v in parts.items() if v is not None}
    if not seen:
        raise ProbeFailure(CheckState.UNKNOWN, "no HOST-RESOURCES-MIB data (processors, storage)")
    with_cache = storage.with_cache if storage else memory.with_cache if memory else None

    def shown(key: str, value: float) -> str:
        text = f"{key} {format_value(round(value, 1), '%')}"
        if key == "disk":
            return f"{text} ({disk_name})"
        if key == "memory" and with_cache is not None and round(with_cache, 1) != round(value, 1):
            return f"{text} ({format_value(round(with_cache, 1), '%')} with cache)"
        return text

    message = ", ".join(shown(k, v) for k, v in seen.items())
    values: dict[str, object] = {**seen, "disk_name": disk_name}
    if with_cache is not None:
        values["memory_with_cache"] = round(with_cache, 2)
    return judge(
        max(seen.values()),
        q.check,
        message,
        unit="%",
        values=values,
        default_warn=q.template.warn if q.template else HOST_WARN,
        default_crit=q.template.crit if q.template else HOST_CRIT,
    )


async def custom_oid(q: SnmpQuery) -> ProbeResult:
    oid = q.check.oid or ""
    value = number((await q.get([oid]))[oid], oid) * q.check.scale
    return judge(value, q.check, "", values={"oid": oid})


async def custom_walk(q: SnmpQuery) -> ProbeResult:
    root, how = q.check.walk or "", q.check.aggregate
    rows = (await q.walk([root]))[root]
    if not rows:
        raise ProbeFailure(CheckState.UNKNOWN, f"nothing under {root}")
    if how == "count":
        value = float(len(rows))
    else:
        numbers = [number(v, f"{root}.{index}") for index, v in rows.items()]
        total = sum(numbers) if how == "sum" else max(numbers) if how == "max" else min(numbers)
        value = total * q.check.scale
    shown = format_value(value, q.check.unit)
    return judge(value, q.check, f"{how} of {len(rows)}: {shown}", values={"rows": len(rows)})


READERS: dict[str, Callable[[SnmpQuery], Awaitable[ProbeResult]]] = {
    "system": system_profile,
    "interfaces": interfaces_profile,
    "host": host_profile,
}

"""Whole-file rules of site.yaml, each problem reported on its own line.

The models check each value alone; these rules need the whole file: ids that must be
unique or must exist, the dependency graph, which credential a check may use, thresholds
that contradict each other, and the shift table. They walk the raw loaded data rather
than the validated ``Site`` so that they still run, and report, when some unrelated part
of the file failed validation: the operator sees every problem in one pass.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import re
from collections.abc import Iterable
from typing import Any

from data.roles import ROLES, Permission, allows
from data.thresholds import Threshold
from data.yaml_source import ConfigIssue, KeyPath, MarkedDoc, mapping_items

CHECK_CREDENTIAL_KIND: dict[Any, str] = {
    "snmp": "snmp",
    "ssh": "ssh",
}  # check type -> credential section
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DAY = 24 * 60


def check_site(doc: MarkedDoc) -> list[ConfigIssue]:
    """Every whole-file problem of a loaded site.yaml (errors and warnings)."""
    return _Rules(doc).run()


def known_checks(data: dict[Any, Any]) -> dict[str, set[str]]:
    """Device id -> its check ids, from raw site data (for checklist ``source`` items)."""
    return {
        d["id"]: {
            c["id"] for _, c in mapping_items(d.get("checks")) if isinstance(c.get("id"), str)
        }
        for _, d in mapping_items(data.get("devices"))
        if isinstance(d.get("id"), str)
    }


class _Rules:
    def __init__(self, doc: MarkedDoc) -> None:
        self.doc = doc
        self.data = doc.data
        self.issues: list[ConfigIssue] = []
        creds = self.data.get("credentials")
        self.cred_kinds: dict[Any, set[str]] = {
            name: {k for k in ("snmp", "ssh") if isinstance(c.get(k), dict)}
            for name, c in (creds.items() if isinstance(creds, dict) else ())
            if isinstance(c, dict)
        }
        self.devices = list(mapping_items(self.data.get("devices")))

    def run(self) -> list[ConfigIssue]:
        site = self.data.get("site")
        if isinstance(site, dict):
            self._shifts(site)
            self._calendar(site)
            self._keymap(site)
        zones = list(mapping_items(self.data.get("zones")))
        zone_ids = self._unique((("zones", i, "id"), z.get("id")) for i, z in zones)
        device_ids = self._unique((("devices", i, "id"), d.get("id")) for i, d in self.devices)
        for i, device in self.devices:
            self._device(("devices", i), device, zone_ids, device_ids)
        self._cycles(device_ids)
        for i, window in mapping_items(self.data.get("maintenance")):
            for j, name in _texts(window.get("devices")):
                if name not in device_ids:
                    self._error(("maintenance", i, "devices", j), f"unknown device {name!r}")
        self._traps()
        return self.issues

    def _error(self, path: KeyPath, message: str) -> None:
        self.issues.append(self.doc.issue(path, message))

    def _warn(self, path: KeyPath, message: str) -> None:
        self.issues.append(self.doc.issue(path, message, "warning"))

    def _unique(self, entries: Iterable[tuple[KeyPath, Any]], what: str = "id") -> set[str]:
        first: dict[str, int] = {}
        for path, value in entries:
            if not isinstance(value, str):
                continue
            if value in first:
                self._error(path, f"duplicate {what} {value!r} (first at line {first[value]})")
            else:
                first[value] = self.doc.line_of(path)
        return set(first)

    def _credential(self, path: KeyPath, name: Any, kind: str, user: str) -> None:
        if not isinstance(name, str):
            return
        if name not in self.cred_kinds:
            self._error(path, f"undefined credential {name!r}")
        elif kind not in self.cred_kinds[name]:
            self._error(path, f"credential {name!r} has no {kind} section ({user} needs one)")

    def _device(
        self, path: KeyPath, device: dict[Any, Any], zone_ids: set[str], device_ids: set[str]
    ) -> None:
        zone, host, own_id = device.get("zone"), device.get("host"), device.get("id")
        if isinstance(zone, str) and zone not in zone_ids:
            known = ", ".join(sorted(zone_ids)) or "none defined"
            self._error((*path, "zone"), f"unknown zone {zone!r} (zones: {known})")
        if isinstance(host, str) and host and (problem := _host_problem(host)):
            self._error((*path, "host"), problem)
        for j, parent in _texts(device.get("depends_on")):
            if parent == own_id:
                self._error((*path, "depends_on", j), "a device cannot depend on itself")
            elif parent not in device_ids:
                self._error((*path, "depends_on", j), f"depends on unknown device {parent!r}")
        check_ids = self._checks(path, list(mapping_items(device.get("checks"))))
        self._actions(path, list(mapping_items(device.get("actions"))), check_ids)

    def _checks(self, path: KeyPath, checks: list[tuple[int, dict[Any, Any]]]) -> set[str]:
        check_ids = self._unique((((*path, "checks", j, "id"), c.get("id")) for j, c in checks))
        for j, check in checks:
            where = (*path, "checks", j)
            check_type = check.get("type")
            kind = CHECK_CREDENTIAL_KIND.get(check_type) if isinstance(check_type, str) else None
            if kind is not None:
                self._credential((*where, "credential"), check.get("credential"), kind, "the check")
            if check.get("type") == "tcp" and check.get("port") is None:
                self._error(where, "a tcp check needs a port")
            self._thresholds(where, check)
            warn_days, crit_days = check.get("cert_warn_days", 21), check.get("cert_crit_days", 7)
            if _number(warn_days) and _number(crit_days) and crit_days > warn_days:
                self._error((*where, "cert_crit_days"), "cert_crit_days is above cert_warn_days")
        return check_ids

    def _actions(
        self, path: KeyPath, actions: list[tuple[int, dict[Any, Any]]], check_ids: set[str]
    ) -> None:
        self._unique((((*path, "actions", j, "id"), a.get("id")) for j, a in actions))
        for j, action in actions:
            where = (*path, "actions", j)
            self._credential((*where, "credential"), action.get("credential"), "ssh", "an action")
            recheck = action.get("recheck")
            if isinstance(recheck, str) and recheck not in check_ids:
                self._error((*where, "recheck"), f"this device has no check {recheck!r}")
            self._action_roles((*where, "roles"), action.get("roles"))

    def _action_roles(self, path: KeyPath, roles: Any) -> None:
        """An action is for nobody when none of its roles may run actions at all."""
        if not isinstance(roles, list) or not all(isinstance(r, str) and r in ROLES for r in roles):
            return  # not a list of known roles: the model reports it
        if not any(allows(role, Permission.RUN_ACTION) for role in roles):
            may = ", ".join(r for r in ROLES if allows(r, Permission.RUN_ACTION))
            self._error(path, f"no role listed may run actions (those that may: {may})")

    def _thresholds(self, path: KeyPath, check: dict[Any, Any]) -> None:
        parsed: dict[str, Threshold] = {}
        for key in ("ok", "warn", "crit"):
            if isinstance(text := check.get(key), str):
                with contextlib.suppress(ValueError):  # the model reports it
                    parsed[key] = Threshold.parse(text)
        ok, warn, crit = parsed.get("ok"), parsed.get("warn"), parsed.get("crit")
        if warn and crit and _subset(_spans(warn), _spans(crit)):
            self._error(
                (*path, "warn"),
                f"warn '{warn}' can never show: every value it matches is also crit '{crit}',"
                " which is checked first",
            )
        alarming = [s for t in (warn, crit) if t for s in _spans(t)]
        if ok and alarming and _subset(_spans(ok), _union(alarming)):
            self._error((*path, "ok"), f"no value can be OK: all of ok '{ok}' is warn or crit")

    def _cycles(self, device_ids: set[str]) -> None:
        # first occurrence wins; ids of the wrong type are the model's to report
        order = {d["id"]: i for i, d in reversed(self.devices) if isinstance(d.get("id"), str)}
        graph: dict[str, list[str]] = {}
        edge_path: dict[tuple[str, str], KeyPath] = {}
        for i, device in self.devices:
            own = device.get("id")
            if not isinstance(own, str) or own in graph:
                continue
            graph[own] = []
            for j, parent in _texts(device.get("depends_on")):
                if parent in device_ids and parent != own:
                    graph[own].append(parent)
                    edge_path.setdefault((own, parent), ("devices", i, "depends_on", j))
        for cycle in _find_cycles(graph):
            k = min(range(len(cycle)), key=lambda n: order[cycle[n]])
            cycle = cycle[k:] + cycle[:k]
            names = " -> ".join([*cycle, cycle[0]])
            nxt = cycle[1] if len(cycle) > 1 else cycle[0]
            self._error(edge_path[(cycle[0], nxt)], f"dependency cycle: {names}")

    def _traps(self) -> None:
        traps = self.data.get("traps")
        if not isinstance(traps, dict):
            return
        for j, name in _texts(traps.get("credentials")):
            self._credential(("traps", "credentials", j), name, "snmp", "a trap listener")
        listen = traps.get("listen")
        if isinstance(listen, str):
            try:
                ipaddress.ip_address(listen)
            except ValueError:
                self._error(("traps", "listen"), f"{listen!r} is not an IP address")

    def _shifts(self, site: dict[Any, Any]) -> None:
        shifts = list(mapping_items(site.get("shifts")))
        self._unique(((("site", "shifts", i, "name"), s.get("name")) for i, s in shifts), "name")
        covering: list[tuple[str, ...]] = [() for _ in range(_DAY)]
        for _, shift in shifts:
            start, end = _minutes(shift.get("start")), _minutes(shift.get("end"))
            if start is None or end is None or start == end:
                continue  # the model reports it
            minute = start
            while minute != end:
                covering[minute] = (*covering[minute], str(shift.get("name")))
                minute = (minute + 1) % _DAY
        if all(not c for c in covering):
            return
        for first, last, names in _circular_runs(covering):
            span = f"{_clock(first)}-{_clock(last)}"
            if not names:
                self._warn(("site", "shifts"), f"no shift covers {span}")
            elif len(names) > 1:
                self._warn(("site", "shifts"), f"shifts {', '.join(names)} overlap {span}")

    def _calendar(self, site: dict[Any, Any]) -> None:
        calendar = site.get("calendar")
        if not isinstance(calendar, dict):
            return
        # wrong shapes (a number where a list belongs) are the model's errors, not ours
        holidays = {str(d) for d in _list(calendar.get("holidays")) if d is not None}
        for j, day in enumerate(_list(calendar.get("workdays"))):
            if str(day) in holidays:
                self._error(
                    ("site", "calendar", "workdays", j), f"{day} is also listed as a holiday"
                )

    def _keymap(self, site: dict[Any, Any]) -> None:
        keymap = site.get("keymap")
        if not isinstance(keymap, dict):
            return
        bound: dict[str, Any] = {}
        for binding, key in keymap.items():
            if isinstance(key, str) and key in bound:
                message = f"key {key!r} is already bound to {bound[key]!r}"
                self._error(("site", "keymap", binding), message)
            elif isinstance(key, str):
                bound[key] = binding


def _texts(value: Any) -> list[tuple[int, str]]:
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
        if isinstance(value, list)
        else []
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _host_problem(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"{host!r} is not an IP address or a host name"
    if all(label.isdigit() for label in labels):
        return f"{host!r} is not a valid IP address"
    return None


def _minutes(value: Any) -> int | None:
    if isinstance(value, str) and (m := _HHMM.match(value)):
        return int(m[1]) * 60 + int(m[2])
    return None


def _clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def _circular_runs(states: list[tuple[str, ...]]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Runs of equal state over a day that wraps at midnight: (first, end, state)."""
    runs: list[tuple[int, int, tuple[str, ...]]] = []
    for minute, state in enumerate(states):
        if runs and runs[-1][2] == state:
            runs[-1] = (runs[-1][0], minute + 1, state)
        else:
            runs.append((minute, minute + 1, state))
    if len(runs) > 1 and runs[0][2] == runs[-1][2]:
        last = runs.pop()
        runs[0] = (last[0], runs[0][1], last[2])
    return runs


# Thresholds as sets of numbers: spans (low, high, low included, high included).
Span = tuple[float, float, bool, bool]


def _spans(t: Threshold) -> list[Span]:
    inf = math.inf
    if t.op is None or t.number is None:
        low, high = t.low, t.high
        return [(-inf if low is None else low, inf if high is None else high, True, True)]
    n = t.number
    return {
        ">": [(n, inf, False, False)],
        ">=": [(n, inf, True, False)],
        "<": [(-inf, n, False, False)],
        "<=": [(-inf, n, False, True)],
        "==": [(n, n, True, True)],
        "!=": [(-inf, n, False, False), (n, inf, False, False)],
    }[t.op]


def _union(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for lo, hi, lo_in, hi_in in sorted(spans):
        if merged:
            mlo, mhi, mlo_in, mhi_in = merged[-1]
            if lo < mhi or (lo == mhi and (lo_in or mhi_in)):
                if hi > mhi or (hi == mhi and hi_in):
                    merged[-1] = (mlo, hi, mlo_in, hi_in or (hi == mhi and mhi_in))
                continue
        merged.append((lo, hi, lo_in, hi_in))
    return merged


def _subset(inner: list[Span], outer: list[Span]) -> bool:
    """Every value in ``inner`` is in ``outer`` (``outer`` spans disjoint, as _union makes)."""

    def within(a: Span, b: Span) -> bool:
        low_ok = b[0] < a[0] or (b[0] == a[0] and (b[2] or not a[2]))
        high_ok = a[1] < b[1] or (a[1] == b[1] and (b[3] or not a[3]))
        return low_ok and high_ok

    return all(any(within(a, b) for b in outer) for a in inner)


def _find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per set of devices that depend on each other in a loop (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    seen: set[frozenset[str]] = set()
    cycles = []
    for start in graph:
        if start in state:
            continue
        state[start], trail, stack = 1, [start], [iter(graph[start])]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                state[trail.pop()] = 2
                stack.pop()
            elif state.get(node) == 1:
                cycle = trail[trail.index(node) :]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append(cycle)
            elif node not in state:
                state[node] = 1
                trail.append(node)
                stack.append(iter(graph[node]))
    return cycles


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

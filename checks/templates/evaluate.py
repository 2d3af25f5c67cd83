"""Run a declarative device template against one device: read, aggregate, judge.

Every scalar of the template is read in one GET and every column in one side-by-side
walk. A reading with ``states`` maps codes to states (the worst row of a column wins); a
numeric reading is scaled and its rows aggregated. The message lists the problems first
(``on battery``), then each shown reading (``output battery, charge 80%, load 35%``); the
worst state of the readings is the floor the thresholds can only raise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from checks.evaluate import ProbeFailure, format_value, judge
from checks.result import CheckState, ProbeResult
from checks.snmp import SnmpValue
from checks.snmp_profiles import SnmpQuery
from data.device_templates import DeviceTemplate, Reading


@dataclass(frozen=True)
class Observed:
    """What one reading saw: a number, or a state with its name."""

    label: str
    number: float | None = None
    code: int | None = None
    state: CheckState = CheckState.OK
    text: str = ""  # the state's name, or the number with its unit
    problem: str | None = None


def _number(value: SnmpValue) -> float | None:
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str):
        try:
            found = float(value.strip())
        except ValueError:
            return None
        return found if math.isfinite(found) else None
    return None


def _aggregate(numbers: list[float], how: str) -> float:
    if how == "count":
        return float(len(numbers))
    if how == "first":
        return numbers[0]
    if how == "sum":
        return sum(numbers)
    if how == "avg":
        return sum(numbers) / len(numbers)
    return max(numbers) if how == "max" else min(numbers)


def _observe_state(name: str, reading: Reading, codes: list[int]) -> Observed:
    label = reading.label or name
    seen: list[Observed] = []
    for code in codes:
        entry = reading.states.get(code)
        if entry is None:
            state = CheckState[reading.other]
            seen.append(
                Observed(
                    label,
                    code=code,
                    state=state,
                    text=str(code),
                    problem=f"{label} {code}" if state else None,
                )
            )
            continue
        state = CheckState[entry.state]
        problem = (entry.problem or f"{label} {entry.name}") if state else None
        seen.append(Observed(label, code=code, state=state, text=entry.name, problem=problem))
    return max(seen, key=lambda o: o.state)  # the first of the worst rows


def _observe(name: str, reading: Reading, raw: list[SnmpValue]) -> Observed | None:
    numbers = [n for v in raw if (n := _number(v)) is not None and n not in reading.skip]
    if not numbers:
        return None
    if reading.states:
        return _observe_state(name, reading, [int(n) for n in numbers])
    value = _aggregate(numbers, reading.aggregate)
    if reading.aggregate != "count":
        value *= reading.scale
    value = round(value, 6)  # scale factors like 1/60 leave float noise behind
    shown = format_value(round(value, 1), reading.unit)
    return Observed(reading.label or name, number=value, text=shown)


async def evaluate_template(q: SnmpQuery, template: DeviceTemplate) -> ProbeResult:
    """The template's readings from the device as one ProbeResult."""
    scalars = [r.oid for r in template.readings.values() if r.oid is not None]
    columns = [c for r in template.readings.values() for c in r.columns]
    got = await q.get(scalars) if scalars else {}
    rows = await q.walk(columns) if columns else {}
    observed: dict[str, Observed] = {}
    for name, reading in template.readings.items():
        if reading.oid is not None:
            raw = [got.get(reading.oid)]
        else:
            raw = [v for column in reading.columns for v in rows.get(column, {}).values()]
        seen = _observe(name, reading, raw)
        if seen is None and reading.required:
            where = reading.oid or ", ".join(reading.columns)
            raise ProbeFailure(CheckState.UNKNOWN, f"no such object {where}")
        if seen is not None:
            observed[name] = seen
    problems = [o.problem for o in observed.values() if o.problem]
    shown = [f"{o.label} {o.text}" for name, o in observed.items() if template.readings[name].show]
    message = "; ".join([*problems, ", ".join(shown)] if shown else problems)
    floor = max((o.state for o in observed.values()), default=CheckState.OK)
    values: dict[str, object] = {
        name: o.number if o.number is not None else o.code for name, o in observed.items()
    }
    headline = observed.get(template.value) if template.value else None
    if headline is None or headline.number is None:  # nothing for thresholds to judge
        return ProbeResult(state=floor, message=message or "no readings", values=values)
    unit = template.readings[str(template.value)].unit
    return judge(
        headline.number,
        q.check,
        message,
        unit=unit,
        values=values,
        default_warn=template.warn,
        default_crit=template.crit,
        floor=floor,
    )

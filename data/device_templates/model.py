"""The YAML format of a device template: what an SNMP check reads from one model family.

A template names the MIB objects to read (a scalar ``oid`` or a table ``column``), how to
turn each into a number (``scale``, ``unit``, how the rows of a column ``aggregate``,
values to ``skip``), which codes are states on their own (``states``: e.g. APC's
upsBasicOutputStatus 3 "onBattery" is CRITICAL whatever the thresholds say), which reading
is the headline ``value`` judged against the thresholds (the template's ``warn``/``crit``
unless the check sets its own), and which devices it fits (``match``: sysObjectID
prefixes, or an object the device answers). A few templates need history or arithmetic
a table cannot say (uptime and reboots, interface error counters, host memory less its
cache); they name a ``reader`` written in code instead of readings.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from data.thresholds import Threshold

OID_PATTERN = re.compile(r"^\.?[0-2](\.\d+)+$")
Reader = Literal["system", "interfaces", "host"]
Aggregate = Literal["max", "min", "sum", "avg", "first", "count"]
StateName = Literal["OK", "WARNING", "CRITICAL", "UNKNOWN"]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    """Unknown keys are errors (a misspelt key must not be silently ignored); immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _dotted(value: str | None) -> str | None:
    if value is not None and not OID_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a numeric OID like 1.3.6.1.2.1.33.1.4.1.0")
    return value.lstrip(".") if value else value


class StateCode(Strict):
    """What one code of an enumerated object means."""

    name: Text  # shown as "<label> <name>", e.g. "output battery"
    state: StateName = "OK"
    problem: Text | None = None  # said first when not OK; default "<label> <name>"


class Reading(Strict):
    """One number or state read from the device."""

    label: Text | None = None  # in the message; default the reading's name
    oid: str | None = None  # a scalar, e.g. ...4.1.0
    column: str | list[str] | None = None  # table column(s), walked; rows are aggregated
    aggregate: Aggregate = "max"
    scale: float = 1.0
    unit: str | None = Field(default=None, max_length=20)
    skip: list[int] = []  # codes that mean "no reading" (e.g. -1, 2147483647)
    states: dict[int, StateCode] = {}
    other: StateName = "WARNING"  # a code not in ``states``
    required: bool = False  # missing on the device: UNKNOWN (else left out)
    show: bool = True  # in the message's list of readings

    _oid = field_validator("oid")(lambda v: _dotted(v))

    @field_validator("column")
    @classmethod
    def _columns(cls, v: str | list[str] | None) -> str | list[str] | None:
        if isinstance(v, list):
            if not v:
                raise ValueError("column needs at least one OID")
            return [str(_dotted(c)) for c in v]
        return _dotted(v)

    @property
    def columns(self) -> list[str]:
        """The walked columns (none for a scalar ``oid``)."""
        return [self.column] if isinstance(self.column, str) else list(self.column or [])

    @model_validator(mode="after")
    def _one_source(self) -> Reading:
        if (self.oid is None) == (self.column is None):
            raise ValueError("a reading needs exactly one of oid or column")
        return self


class Match(Strict):
    """Which devices a template fits: a sysObjectID prefix, or an object they answer."""

    sys_object_id: list[str] = []
    oid: str | None = None  # an instance a GET returns (a scalar's .0, a table's first row)

    _oid = field_validator("oid")(lambda v: _dotted(v))

    @field_validator("sys_object_id")
    @classmethod
    def _prefixes(cls, v: list[str]) -> list[str]:
        return [str(_dotted(p)) for p in v]


class DeviceTemplate(Strict):
    """One file of ``templates/``: the file's name (without .yaml) is the template's name."""

    description: Text
    kind: str | None = None  # the site.yaml device kind it suits (for `dutydesk probe`)
    match: Match = Match()
    reader: Reader | None = None
    readings: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")], Reading] = {}
    value: str | None = None  # the reading judged against the thresholds
    warn: Threshold | None = None  # defaults, when a check sets none of ok/warn/crit
    crit: Threshold | None = None

    @field_validator("warn", "crit", mode="before")
    @classmethod
    def _threshold(cls, v: object) -> object:
        if v is None or isinstance(v, Threshold):
            return v
        if not isinstance(v, str):
            raise ValueError("a threshold is text like '18..27' or '> 30'")
        return Threshold.parse(v)

    @model_validator(mode="after")
    def _coherent(self) -> DeviceTemplate:
        if (self.reader is None) == (not self.readings):
            raise ValueError("a template needs readings, or a reader (system, interfaces, host)")
        if self.value is not None and self.value not in self.readings:
            raise ValueError(f"value {self.value!r} is not one of the readings")
        if self.value is not None and self.readings[self.value].states:
            raise ValueError(f"value {self.value!r} is a state, not a number to judge")
        return self

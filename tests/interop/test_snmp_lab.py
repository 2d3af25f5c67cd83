"""SNMP profiles against a pysnmp command responder whose values the test controls.

snmpd cannot play a UPS or make interface error counters grow on demand; a pysnmp 7
agent serving UPS-MIB (RFC 1628) scalars and an IF-MIB table can.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from checks.probe import ProbeContext, run_probe
from checks.result import CheckState, ProbeResult

from .conftest import free_port
from .lab import LabAgent, lab_site

pytestmark = pytest.mark.interop
UPS = "1.3.6.1.2.1.33.1"
NORMAL_UPS = {
    f"{UPS}.2.1.0": 2,  # upsBatteryStatus: batteryNormal
    f"{UPS}.2.3.0": 42,  # upsEstimatedMinutesRemaining
    f"{UPS}.2.4.0": 97,  # upsEstimatedChargeRemaining
    f"{UPS}.3.3.1.3.1": 229,  # upsInputVoltage, line 1
    f"{UPS}.4.1.0": 3,  # upsOutputSource: normal
    f"{UPS}.4.4.1.5.1": 35,  # upsOutputPercentLoad, line 1
}
IF = "1.3.6.1.2.1.2.2.1"
IF_TABLE: dict[str, int | str] = {}
for index, (name, admin, oper) in enumerate(
    [("ge-0/0/1", 1, 1), ("ge-0/0/2", 1, 2), ("ge-0/0/3", 2, 2)], start=1
):
    IF_TABLE |= {f"{IF}.2.{index}": name, f"{IF}.7.{index}": admin, f"{IF}.8.{index}": oper}
    IF_TABLE |= {f"{IF}.14.{index}": 0, f"{IF}.20.{index}": 0}


@pytest.fixture
async def agent() -> AsyncIterator[Callable[[dict[str, Any]], LabAgent]]:
    """Start LabAgents in the test's event loop; stopped in it too."""
    agents: list[LabAgent] = []

    def start(readings: dict[str, Any]) -> LabAgent:
        lab = LabAgent(dict(readings))
        lab.start(free_port(socket.SOCK_DGRAM))
        agents.append(lab)
        return lab

    yield start
    for lab in agents:
        lab.stop()


async def _probe(lab: LabAgent, ctx: ProbeContext, **check: Any) -> ProbeResult:
    fields = {
        "id": "c",
        "type": "snmp",
        "credential": "lab",
        "port": lab.port,
        "timeout": 1,
        "retries": 0,
        **check,
    }
    site, device = lab_site([fields], {"lab": {"snmp": {"version": "2c", "community": "lab"}}})
    return await run_probe(site, device, device.checks[0], ctx)


async def test_ups_on_mains_is_ok_with_its_readings(agent: Any, ctx: ProbeContext) -> None:
    result = await _probe(agent(NORMAL_UPS), ctx, profile="ups")
    assert result.state == CheckState.OK, result.message
    assert (result.value, result.unit) == (97, "%")
    assert result.message == "output normal, charge 97%, runtime 42 min, load 35%, input 229 V"


async def test_ups_on_battery_is_critical(agent: Any, ctx: ProbeContext) -> None:
    lab = agent(NORMAL_UPS)
    lab.readings |= {f"{UPS}.4.1.0": 5, f"{UPS}.3.3.1.3.1": 0, f"{UPS}.2.4.0": 80}
    result = await _probe(lab, ctx, profile="ups")
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("on battery")
    assert "input 0 V" in result.message and result.value == 80
    lab.readings[f"{UPS}.4.1.0"] = 3  # mains back: the same agent, the next probe
    assert (await _probe(lab, ctx, profile="ups")).state == CheckState.OK


@pytest.mark.parametrize(
    ("change", "state", "text"),
    [
        ({f"{UPS}.2.1.0": 3}, CheckState.CRITICAL, "battery low"),
        ({f"{UPS}.4.1.0": 4}, CheckState.WARNING, "on bypass"),
        ({f"{UPS}.2.4.0": 30}, CheckState.WARNING, "30%"),  # charge below ok "50.."
    ],
)
async def test_ups_states(
    agent: Any, ctx: ProbeContext, change: dict[str, int], state: CheckState, text: str
) -> None:
    result = await _probe(agent(NORMAL_UPS | change), ctx, profile="ups", ok="50..")
    assert result.state == state and text in result.message


async def test_not_a_ups_is_unknown(agent: Any, ctx: ProbeContext) -> None:
    result = await _probe(agent({"1.3.6.1.2.1.1.5.0": "switch"}), ctx, profile="ups")
    assert result.state == CheckState.UNKNOWN
    assert f"{UPS}.4.1.0" in result.message


async def test_interfaces_name_down_ports_and_count_new_errors(
    agent: Any, ctx: ProbeContext
) -> None:
    lab = agent(IF_TABLE)
    first = await _probe(lab, ctx, profile="interfaces", warn="> 0")
    assert first.state == CheckState.WARNING
    assert first.value == 1 and first.values["down"] == ["ge-0/0/2"]  # ge-0/0/3 is disabled
    assert first.message.startswith("1 of 2 enabled ports down: ge-0/0/2")
    lab.readings |= {f"{IF}.14.1": 5, f"{IF}.20.2": 2}
    second = await _probe(lab, ctx, profile="interfaces", warn="> 0")
    assert second.values["error_delta"] == 7
    assert "+7 errors (ge-0/0/1 +5, ge-0/0/2 +2)" in second.message
    lab.readings[f"{IF}.14.1"] = 1  # the counter went back (agent restart): not negative
    third = await _probe(lab, ctx, profile="interfaces", warn="> 0")
    assert third.values["error_delta"] == 0

"""SNMP probes against Debian's net-snmp snmpd on loopback: profiles, OIDs, walks, v3."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest

from checks.probe import ProbeContext, run_probe
from checks.result import CheckState, ProbeResult
from checks.snmp import SnmpClient
from data.models import SnmpCredential

from .conftest import SYS_NAME, SYS_SERVICES, V3_USER, V3_USERS, SnmpAgent
from .lab import lab_site

pytestmark = pytest.mark.interop
SYS_SERVICES_OID, IF_INDEX = "1.3.6.1.2.1.1.7.0", "1.3.6.1.2.1.2.2.1.1"


def v2c(agent: SnmpAgent) -> dict[str, Any]:
    return {"snmp": {"version": "2c", "community": agent.community}}


def v3(agent: SnmpAgent, user: str = V3_USER, **keys: str) -> dict[str, Any]:
    auth, priv = V3_USERS.get(user, ("SHA", "AES"))
    snmp: dict[str, Any] = {"version": "3", "user": user}
    if auth:
        snmp |= {"auth_protocol": auth, "auth_key": keys.get("auth", agent.v3_auth)}
    if priv:
        snmp |= {"priv_protocol": priv, "priv_key": keys.get("priv", agent.v3_priv)}
    return {"snmp": snmp}


Probe = Callable[..., Any]


@pytest.fixture
def probe(snmpd: SnmpAgent, ctx: ProbeContext) -> Probe:
    """``await probe(check_fields, credential=...)``: one SNMP check against snmpd."""

    async def run(check: dict[str, Any], credential: dict[str, Any] | None = None) -> ProbeResult:
        fields = {
            "id": "c",
            "type": "snmp",
            "credential": "cred",
            "port": snmpd.port,
            "timeout": 1,
            "retries": 1,
            **check,
        }
        site, device = lab_site([fields], {"cred": credential or v2c(snmpd)})
        return await run_probe(site, device, device.checks[0], ctx)

    return run


async def test_system_profile_reads_name_and_uptime(probe: Probe) -> None:
    result = await probe({"profile": "system"})
    assert result.state == CheckState.OK, result.message
    assert result.values["sys_name"] == SYS_NAME
    assert result.unit == "d" and result.value is not None and 0 < result.value < 1
    assert result.message.startswith("up ") and SYS_NAME in result.message
    assert result.duration_ms > 0


async def test_system_profile_reports_a_reboot_once(probe: Probe, ctx: ProbeContext) -> None:
    fresh = await probe({"profile": "system"})
    ticks = fresh.values["uptime_ticks"]
    assert isinstance(ticks, int)
    ctx.previous[("dev", "c")] = ProbeResult(CheckState.OK, "", values={"uptime_ticks": 10**9})
    rebooted = await probe({"profile": "system"})
    assert rebooted.state == CheckState.WARNING
    assert rebooted.message.startswith("rebooted") and rebooted.values["rebooted"] is True
    again = await probe({"profile": "system"})  # compared with the rebooted result now
    assert again.state == CheckState.OK


async def test_uptime_counter_wrap_is_not_a_reboot(probe: Probe, ctx: ProbeContext) -> None:
    ctx.previous[("dev", "c")] = ProbeResult(CheckState.OK, "", values={"uptime_ticks": 2**32 - 5})
    assert (await probe({"profile": "system"})).state == CheckState.OK


async def test_interfaces_profile_lists_every_kernel_interface(probe: Probe) -> None:
    result = await probe({"profile": "interfaces", "warn": "> 0"})
    assert result.values["ports"] == len(os.listdir("/sys/class/net"))
    down = result.values["down"]
    assert isinstance(down, list) and "lo" not in down
    assert result.value == len(down)
    assert result.state == (CheckState.WARNING if down else CheckState.OK)


async def test_host_profile_reads_cpu_memory_disk(probe: Probe) -> None:
    result = await probe({"profile": "host"})
    assert result.state in (CheckState.OK, CheckState.WARNING, CheckState.CRITICAL)
    memory = result.values["memory"]
    assert isinstance(memory, float) and 0 < memory <= 100
    assert result.unit == "%" and "memory" in result.message
    shown = [v for k in ("cpu", "memory", "disk") if isinstance(v := result.values.get(k), float)]
    assert result.value == max(shown)


@pytest.mark.parametrize(
    ("thresholds", "state"),
    [
        ({"crit": "> 30"}, CheckState.CRITICAL),
        ({"ok": "30..40", "crit": "> 50"}, CheckState.OK),
        ({"ok": "..10"}, CheckState.WARNING),
        ({"warn": "== 36"}, CheckState.WARNING),
    ],
)
async def test_custom_oid_is_scaled_then_judged(
    probe: Probe, thresholds: dict[str, str], state: CheckState
) -> None:
    result = await probe({"oid": SYS_SERVICES_OID, "scale": 0.5, "unit": "svc", **thresholds})
    assert result.value == SYS_SERVICES * 0.5
    assert result.state == state, result.message
    assert "36 svc" in result.message


async def test_missing_oid_is_unknown_naming_it(probe: Probe) -> None:
    result = await probe({"oid": "1.3.6.1.2.1.1.99.0"})
    assert result.state == CheckState.UNKNOWN
    assert "1.3.6.1.2.1.1.99.0" in result.message


async def test_walk_stays_inside_its_subtree(probe: Probe) -> None:
    result = await probe({"walk": "1.3.6.1.2.1.1.7", "aggregate": "count"})
    assert (result.state, result.value) == (CheckState.OK, 1)  # sysServices.0 and no more


@pytest.mark.parametrize(("aggregate", "expect"), [("count", "n"), ("max", "n"), ("sum", "sum")])
async def test_walk_aggregates_the_interface_index(
    probe: Probe, aggregate: str, expect: str
) -> None:
    indexes = [int(i) for i in _kernel_ifindexes()]
    result = await probe({"walk": IF_INDEX, "aggregate": aggregate})
    wanted = {"n": len(indexes) if aggregate == "count" else max(indexes), "sum": sum(indexes)}
    assert result.value == wanted[expect], result.message


def _kernel_ifindexes() -> list[str]:
    return [
        open(f"/sys/class/net/{n}/ifindex").read().strip() for n in os.listdir("/sys/class/net")
    ]


@pytest.mark.parametrize("user", list(V3_USERS))
async def test_v3_every_protocol_and_level(probe: Probe, snmpd: SnmpAgent, user: str) -> None:
    result = await probe({"profile": "system"}, v3(snmpd, user))
    assert result.state == CheckState.OK, result.message
    assert result.values["sys_name"] == SYS_NAME


async def test_v3_wrong_auth_key_is_a_clear_auth_failure(probe: Probe, snmpd: SnmpAgent) -> None:
    result = await probe({"profile": "system"}, v3(snmpd, auth="not-the-key"))
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("SNMPv3 authentication failed")
    assert "not-the-key" not in result.message
    assert result.duration_ms < 1000  # the agent says so at once: no timeout involved


async def test_v3_wrong_priv_key_is_silence_and_says_so(probe: Probe, snmpd: SnmpAgent) -> None:
    result = await probe(
        {"profile": "system", "timeout": 0.3, "retries": 0}, v3(snmpd, priv="x" * 9)
    )
    assert result.state == CheckState.CRITICAL
    assert result.message == "no response (timeout 0.3s, 1 try; a wrong priv_key looks the same)"


async def test_v3_unknown_user_is_an_auth_failure(probe: Probe, snmpd: SnmpAgent) -> None:
    result = await probe({"profile": "system"}, v3(snmpd, user="nobody-here"))
    assert result.state == CheckState.CRITICAL
    assert "authentication failed" in result.message


async def test_wrong_community_is_critical_within_the_timeout(probe: Probe) -> None:
    credential = {"snmp": {"version": "2c", "community": "guess-again"}}
    result = await probe({"profile": "system", "timeout": 0.4, "retries": 1}, credential)
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("no response (timeout 0.4s, 2 tries")
    assert "guess-again" not in result.message
    assert 0.7 < result.duration_ms / 1000 < 3.0  # 0.4 s x 2 tries, plus slack


async def test_same_user_with_different_keys_does_not_interfere(
    start_snmpd: Callable[..., SnmpAgent], snmpd: SnmpAgent
) -> None:
    other = start_snmpd(v3_auth="other-auth-key", v3_priv="other-priv-key")
    client = SnmpClient()
    creds = [
        SnmpCredential.model_validate(v3(agent)["snmp"]) for agent in (snmpd, other)
    ]  # the same user name, each with its own agent's keys
    try:

        async def uptime(agent: SnmpAgent, cred: SnmpCredential) -> object:
            got = await client.get(
                agent.host, agent.port, cred, ["1.3.6.1.2.1.1.3.0"], timeout=2, retries=0
            )
            return got["1.3.6.1.2.1.1.3.0"]

        pairs = [(snmpd, creds[0]), (other, creds[1])] * 20
        answers = await asyncio.gather(*(uptime(a, c) for a, c in pairs))
        assert all(isinstance(a, int) for a in answers)
        assert client.engine_count == 2
        v2 = SnmpCredential.model_validate(v2c(snmpd)["snmp"])
        await client.get(snmpd.host, snmpd.port, v2, ["1.3.6.1.2.1.1.3.0"], timeout=2, retries=0)
        assert client.engine_count == 2  # communities share the first engine
    finally:
        client.close()


async def test_v1_get_walk_and_missing_object(probe: Probe, snmpd: SnmpAgent) -> None:
    v1 = {"snmp": {"version": "1", "community": snmpd.community}}
    system = await probe({"profile": "system"}, v1)
    assert system.state == CheckState.OK and system.values["sys_name"] == SYS_NAME
    walked = await probe({"walk": IF_INDEX, "aggregate": "count"}, v1)  # GETNEXT, no GETBULK
    assert walked.value == len(_kernel_ifindexes())
    missing = await probe({"oid": "1.3.6.1.2.1.1.99.0"}, v1)  # v1 says noSuchName
    assert (missing.state, missing.message) == (
        CheckState.UNKNOWN,
        "no such object 1.3.6.1.2.1.1.99.0",
    )

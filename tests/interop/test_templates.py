"""Device templates against SNMP recordings of real devices, served by snmpsim on loopback.

One test per shipped template where a recording exists (``snmpsim-data`` and the walks
inside ``snmpsim``); the others run against ``tests/data/snmprec/`` files written from the
vendor's MIB. Values under snmpsim's ``numeric`` variation drift between reads, so those
tests check a range, not one number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from checks.probe import ProbeContext, run_probe
from checks.result import CheckState, ProbeResult
from checks.snmp import SnmpClient
from checks.snmp_profiles import SnmpQuery
from checks.templates import identify
from data.device_templates import shipped_templates
from data.models import SnmpCheck, SnmpCredential
from tests.support.snmpsim import Simulator, serve

from .conftest import SnmpAgent
from .lab import lab_site

pytestmark = pytest.mark.interop
RECORDINGS = [
    "recorded/linux-full-walk",
    "UPS/apc-8641",
    "UPS/eaton-9px-partial",
    "UPS/eaton-93e-80",
    "UPS/huawei-gse200m",
    "UPS/vertiv-power",
    "iot/geist-temperature-sensor",
    "apc-ups",  # tests/data/snmprec: written from PowerNet-MIB
    "apc-env",
    "apc-rpdu-overload",
]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with serve(RECORDINGS) as simulator:
        yield simulator


async def _probe(sim: Simulator, ctx: ProbeContext, name: str, **check: Any) -> ProbeResult:
    fields = {"id": "c", "type": "snmp", "credential": "sim", "port": sim.port, **check}
    fields |= {"timeout": 2, "retries": 1}
    credential = {"sim": {"snmp": {"version": "2c", "community": sim.community(name)}}}
    site, device = lab_site([fields], credential)
    return await run_probe(site, device, device.checks[0], ctx)


async def test_linux_memory_leaves_out_buffers_and_cache(sim: Simulator, ctx: ProbeContext) -> None:
    # net-snmp on Linux: hrStorage "Physical memory" used 958176 of 1021976 kB counts
    # 23900 kB of buffers and 207040 kB of page cache; UCD-SNMP-MIB says the same.
    result = await _probe(sim, ctx, "recorded/linux-full-walk", profile="host")
    assert result.values["memory"] == 71.15
    assert "memory 71.2% (93.8% with cache)" in result.message


async def test_linux_memory_on_debian_snmpd(snmpd: SnmpAgent, ctx: ProbeContext) -> None:
    fields = {"id": "c", "type": "snmp", "credential": "v2", "port": snmpd.port, "profile": "host"}
    credential = {"v2": {"snmp": {"version": "2c", "community": snmpd.community}}}
    site, device = lab_site([fields], credential)
    result = await run_probe(site, device, device.checks[0], ctx)
    memory, with_cache = result.values["memory"], result.values["memory_with_cache"]
    assert isinstance(memory, float) and isinstance(with_cache, float)
    assert 0 < memory <= with_cache <= 100  # this machine's own kernel has some page cache


@pytest.mark.parametrize(
    ("recording", "template", "state", "message", "value"),
    [
        # real recordings (snmpsim-data)
        ("UPS/apc-8641", "apc-rpdu", CheckState.OK, "load 6.6 A", 6.6),
        (
            "UPS/eaton-9px-partial",
            "eaton-xups",
            CheckState.OK,
            "output normal, charge 100%, runtime 287 min, load 9%",
            100,
        ),
        (
            "UPS/eaton-93e-80",
            "ups",
            CheckState.OK,
            "output normal, charge 100%, runtime 1092 min, load 21%, input 227 V",
            100,
        ),
        (
            "UPS/huawei-gse200m",
            "huawei-ups",
            CheckState.OK,
            "output inverter, charge 100%, runtime 468 min, load 48.1%",
            100,
        ),
        (
            "UPS/vertiv-power",
            "liebert-aircon",
            CheckState.OK,
            "unit on, temperature 23 °C, humidity 42%",
            23,
        ),
        # written from the vendor's MIB (tests/data/snmprec)
        (
            "apc-ups",
            "apc-ups",
            CheckState.CRITICAL,
            "on battery; output on battery, charge 87%, runtime 25 min, load 41%,"
            " input 0 V, temperature 31 °C",
            87,
        ),
        (
            "apc-env",
            "apc-env",
            CheckState.WARNING,
            "probe alarm (warning); temperature 29 °C, humidity 48%, probes warning"
            " (warning: > 27)",
            29,
        ),
    ],
)
async def test_template_reads_its_device(
    sim: Simulator,
    ctx: ProbeContext,
    recording: str,
    template: str,
    state: CheckState,
    message: str,
    value: float,
) -> None:
    result = await _probe(sim, ctx, recording, template=template)
    assert (result.state, result.message, result.value) == (state, message, value)


async def test_geist_sensor_reads_the_highest_temperature(
    sim: Simulator, ctx: ProbeContext
) -> None:
    # the recording's temperatures drift between 10.0 and 30.0 °C (snmpsim's numeric
    # variation), humidity between 25 and 50 %: a fixed crit keeps the state certain
    result = await _probe(
        sim, ctx, "iot/geist-temperature-sensor", template="geist-env", crit="> 40"
    )
    assert result.state == CheckState.OK and result.unit == "°C"
    assert result.value is not None and 10 <= result.value <= 30
    humidity = result.values["humidity"]
    assert isinstance(humidity, float) and 25 <= humidity <= 50
    assert result.message.startswith("temperature ") and "humidity" in result.message


async def test_apc_rpdu_overload_is_critical_by_itself(sim: Simulator, ctx: ProbeContext) -> None:
    # the PDU's own overload threshold decides: no thresholds in the check
    result = await _probe(sim, ctx, "apc-rpdu-overload", template="apc-rpdu")
    assert (result.state, result.value, result.unit) == (CheckState.CRITICAL, 17.2, "A")
    assert result.message == "load overload; load 17.2 A"


async def test_profile_is_the_older_spelling_of_template(sim: Simulator, ctx: ProbeContext) -> None:
    old = await _probe(sim, ctx, "recorded/linux-full-walk", profile="host")
    new = await _probe(sim, ctx, "recorded/linux-full-walk", template="host")
    assert (old.state, old.message, old.value) == (new.state, new.message, new.value)


@pytest.mark.parametrize(
    ("recording", "first"),
    [
        ("recorded/linux-full-walk", "host"),
        ("UPS/apc-8641", "apc-rpdu"),
        ("UPS/eaton-9px-partial", "eaton-xups"),
        ("UPS/eaton-93e-80", "eaton-xups"),
        ("UPS/huawei-gse200m", "huawei-ups"),  # a Linux sysObjectID: matched by its object
        ("UPS/vertiv-power", "liebert-aircon"),
        ("iot/geist-temperature-sensor", "geist-env"),
        ("apc-ups", "apc-ups"),
    ],
)
async def test_identify_names_the_fitting_template_first(
    sim: Simulator, recording: str, first: str
) -> None:
    client = SnmpClient()
    try:
        credential = SnmpCredential.model_validate(
            {"version": "2c", "community": sim.community(recording)}
        )
        check = SnmpCheck(id="probe", type="snmp", credential="x", oid="1.3.6.1.2.1.1.2.0")
        query = SnmpQuery(client, "127.0.0.1", sim.port, credential, check)
        identity = await identify(query, shipped_templates())
    finally:
        client.close()
    assert identity.matches[0] == first, identity
    assert "system" in identity.matches and identity.sys_object_id.startswith("1.3.6.1.4.1.")

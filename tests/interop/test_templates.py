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
from checks.result import ProbeResult
from tests.support.snmpsim import Simulator, serve

from .conftest import SnmpAgent
from .lab import lab_site

pytestmark = pytest.mark.interop
RECORDINGS = [
    "recorded/linux-full-walk",
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

"""Regressions of the engine pool in checks/snmp_engines.py, against the real snmpd."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from checks.snmp import SnmpClient
from checks.snmp_engines import _tidy_usm_timeline
from data.models import SnmpCredential

from .conftest import SYS_NAME, V3_USER, V3_USERS, SnmpAgent

pytestmark = pytest.mark.interop
SYS_NAME_OID = "1.3.6.1.2.1.1.5.0"
# the private name pysnmp 7.1 gives the USM's "forget this agent's clock" queue
TIMELINE_QUEUE = "_SnmpUSMSecurityModel__timelineExpQueue"


@pytest.fixture
async def client() -> AsyncIterator[SnmpClient]:
    snmp = SnmpClient()
    yield snmp
    snmp.close()


async def test_v1_and_v2c_with_the_same_community_both_get_answers(
    client: SnmpClient, snmpd: SnmpAgent
) -> None:
    """One community row serves both versions; two rows for one community would make the
    answers to one version look foreign to pysnmp, and those requests would time out."""
    v1, v2 = (
        SnmpCredential.model_validate({"version": version, "community": snmpd.community})
        for version in ("1", "2c")
    )

    async def sys_name(cred: SnmpCredential) -> object:
        got = await client.get(snmpd.host, snmpd.port, cred, [SYS_NAME_OID], timeout=2, retries=0)
        return got[SYS_NAME_OID]

    answers = await asyncio.gather(*(sys_name(cred) for cred in (v1, v2, v1, v2)))
    assert answers == [SYS_NAME] * 4
    assert await sys_name(v2) == SYS_NAME and await sys_name(v1) == SYS_NAME  # one after another


async def test_tidy_usm_timeline_still_finds_pysnmps_private_queue(
    client: SnmpClient, snmpd: SnmpAgent
) -> None:
    """If a pysnmp upgrade renames or drops the queue, ``_tidy_usm_timeline`` silently does
    nothing (by design): this test is what notices, so the workaround can be revisited."""
    auth, priv = V3_USERS[V3_USER]
    cred = SnmpCredential.model_validate(
        {
            "version": "3",
            "user": V3_USER,
            "auth_protocol": auth,
            "auth_key": snmpd.v3_auth,
            "priv_protocol": priv,
            "priv_key": snmpd.v3_priv,
        }
    )
    got = await client.get(snmpd.host, snmpd.port, cred, [SYS_NAME_OID], timeout=2, retries=0)
    assert got[SYS_NAME_OID] == SYS_NAME
    assert client.engine_count == 1
    usm = client._engines.all[0].engine.security_models[3]
    queue = getattr(usm, TIMELINE_QUEUE, None)
    assert isinstance(queue, dict)
    assert queue, "an authenticated answer should have queued the agent's clock expiry"
    agents_before = {engine_id for ids in queue.values() for engine_id in ids}
    _tidy_usm_timeline(client._engines.all[0].engine)
    assert {engine_id for ids in queue.values() for engine_id in ids} == agents_before
    assert sum(len(ids) for ids in queue.values()) == len(agents_before)  # latest entry only

"""run_probe's promises: it never raises, it always stops, and no secret leaks out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from checks import probe as probe_module
from checks.probe import ProbeContext, run_probe
from checks.result import CheckState

from .conftest import SnmpAgent, SshPeer
from .lab import lab_site

pytestmark = pytest.mark.interop
COMMUNITY_SECRET = "s3cret-community"


async def test_missing_credential_is_unknown(ctx: ProbeContext) -> None:
    site, device = lab_site(
        [{"id": "c", "type": "snmp", "credential": "nowhere", "profile": "system"}], {}
    )
    result = await run_probe(site, device, device.checks[0], ctx)
    assert result.state == CheckState.UNKNOWN
    assert result.message == "no snmp credential 'nowhere'"


async def test_a_hanging_probe_is_cut_at_the_hard_limit(
    ctx: ProbeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.Event().wait()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(probe_module, "hard_limit", lambda check: 0.2)
    site, device = lab_site([{"id": "c", "type": "http", "port": port, "timeout": 30}], {})
    try:
        result = await run_probe(site, device, device.checks[0], ctx)
    finally:
        server.close()
    assert (result.state, result.message) == (
        CheckState.UNKNOWN,
        "probe did not finish within 0.2s",
    )
    assert 150 < result.duration_ms < 2000


async def test_an_unexpected_error_is_unknown_and_scrubbed(
    ctx: ProbeContext, snmpd: SnmpAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"library said community={COMMUNITY_SECRET} was odd")

    monkeypatch.setattr(ctx.snmp, "get", broken)
    site, device = lab_site(
        [{"id": "c", "type": "snmp", "credential": "v2", "port": snmpd.port, "profile": "system"}],
        {"v2": {"snmp": {"version": "2c", "community": COMMUNITY_SECRET}}},
    )
    result = await run_probe(site, device, device.checks[0], ctx)
    assert result.state == CheckState.UNKNOWN
    assert result.message == "probe error: RuntimeError: library said community=*** was odd"


async def test_wrong_password_is_an_authentication_failure_without_the_password(
    ctx: ProbeContext, sshd: SshPeer
) -> None:
    password = "hunter2-not-this"
    site, device = lab_site(
        [{"id": "c", "type": "ssh", "credential": "pw", "port": sshd.port, "command": "true"}],
        {
            "pw": {
                "ssh": {
                    "username": sshd.user,
                    "password": password,
                    "known_hosts": str(sshd.known_hosts),
                }
            }
        },
    )
    result = await run_probe(site, device, device.checks[0], ctx)
    assert result.state == CheckState.CRITICAL
    assert result.message == f"authentication failed for user {sshd.user}"


async def test_previous_keeps_the_last_result_with_values(
    ctx: ProbeContext, snmpd: SnmpAgent
) -> None:
    checks = [
        {
            "id": "up",
            "type": "snmp",
            "credential": "v2",
            "port": snmpd.port,
            "profile": "system",
            "timeout": 0.3,
            "retries": 0,
        }
    ]
    good_site, device = lab_site(
        checks, {"v2": {"snmp": {"version": "2c", "community": snmpd.community}}}
    )
    bad_site, _ = lab_site(checks, {"v2": {"snmp": {"version": "2c", "community": "wrong"}}})
    good = await run_probe(good_site, device, device.checks[0], ctx)
    failed = await run_probe(bad_site, device, device.checks[0], ctx)
    assert failed.state == CheckState.CRITICAL
    assert ctx.previous[("dev", "up")] is good  # an outage in between does not hide a reboot

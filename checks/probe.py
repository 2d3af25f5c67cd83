"""One entry point for every probe: ``run_probe`` picks the protocol and never raises.

Every probe runs under a hard time limit above its own protocol timeouts (those give the
better message; the limit catches anything that hangs regardless). Any failure becomes
an UNKNOWN or CRITICAL ProbeResult with the reason, so the scheduler never sees an
exception, and no reason carries a credential's secret.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass, field

from checks.evaluate import ProbeFailure
from checks.net import http_probe, ping_probe, tcp_probe
from checks.result import CheckState, ProbeResult
from checks.snmp import SnmpClient
from checks.snmp_profiles import SnmpQuery
from checks.ssh import SshPool
from checks.ssh_parsers import run_ssh_check
from checks.templates import run_snmp_check
from data.masking import mask
from data.models import (
    DEFAULT_PORTS,
    Check,
    Device,
    HttpCheck,
    PingCheck,
    Site,
    SnmpCheck,
    SshCheck,
    TcpCheck,
)

log = logging.getLogger(__name__)
AnyCheck = SnmpCheck | SshCheck | TcpCheck | HttpCheck | PingCheck
WALK_ALLOWANCE = 10.0  # seconds a multi-request walk may take beyond one request's wait


@dataclass
class ProbeContext:
    """What probes share: the SNMP client, the SSH pool and the last results with values.

    ``previous`` holds, per (device id, check id), the last result that carried values
    (a timeout in between does not erase it: a reboot is still seen after an outage).
    ``run_probe`` keeps it up to date; the scheduler may seed it from the store.
    """

    snmp: SnmpClient = field(default_factory=SnmpClient)
    ssh: SshPool = field(default_factory=SshPool)
    previous: dict[tuple[str, str], ProbeResult] = field(default_factory=dict)
    ping_binary: str | None = "auto"  # "auto": ping from PATH; None: ICMP socket

    async def close(self) -> None:
        self.snmp.close()
        await self.ssh.close()


def hard_limit(check: AnyCheck) -> float:
    """Seconds after which a probe is abandoned as UNKNOWN."""
    if isinstance(check, SnmpCheck):
        return check.timeout * (check.retries + 1) + WALK_ALLOWANCE
    if isinstance(check, PingCheck):
        return check.count * (check.timeout + 1) + 2
    return check.timeout + 2  # ssh, tcp, http bound themselves by check.timeout


def _secrets(site: Site, check: AnyCheck) -> list[str]:
    name = getattr(check, "credential", None)
    cred = site.credentials.get(name) if name else None
    if cred is None:
        return []
    found = [cred.snmp.community, cred.snmp.auth_key, cred.snmp.priv_key] if cred.snmp else []
    found += [cred.ssh.password, cred.ssh.passphrase] if cred.ssh else []
    return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced: library messages are not trusted to omit them."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return mask(text)  # and every value site.yaml took from ${ENV}


async def _dispatch(site: Site, device: Device, check: AnyCheck, ctx: ProbeContext) -> ProbeResult:
    port = check.port or DEFAULT_PORTS.get(check.type)
    if isinstance(check, PingCheck):
        return await ping_probe(device.host, check, binary=ctx.ping_binary)
    if port is None:
        raise ProbeFailure(CheckState.UNKNOWN, f"a {check.type} check needs a port")
    if isinstance(check, TcpCheck):
        return await tcp_probe(device.host, port, check)
    if isinstance(check, HttpCheck):
        return await http_probe(device.host, port, check)
    credential = site.credentials.get(check.credential)
    if isinstance(check, SnmpCheck):
        if credential is None or credential.snmp is None:
            raise ProbeFailure(CheckState.UNKNOWN, f"no snmp credential {check.credential!r}")
        previous = ctx.previous.get((device.id, check.id))
        query = SnmpQuery(ctx.snmp, device.host, port, credential.snmp, check, previous)
        return await run_snmp_check(query, site.templates)
    if credential is None or credential.ssh is None:
        raise ProbeFailure(CheckState.UNKNOWN, f"no ssh credential {check.credential!r}")
    return await run_ssh_check(ctx.ssh, device.host, port, credential.ssh, check)


async def run_probe(site: Site, device: Device, check: Check, ctx: ProbeContext) -> ProbeResult:
    """Run one check of one device. Never raises (except on cancellation)."""
    start = time.perf_counter()
    limit = hard_limit(check)
    try:
        async with asyncio.timeout(limit):
            result = await _dispatch(site, device, check, ctx)
    except ProbeFailure as e:
        result = ProbeResult(e.state, scrub(e.reason, _secrets(site, check)))
    except TimeoutError:
        result = ProbeResult(CheckState.UNKNOWN, f"probe did not finish within {limit:g}s")
    except Exception as e:  # a bug or a library surprise must not stop the scheduler
        reason = scrub(f"{type(e).__name__}: {e}", _secrets(site, check))[:300]
        log.warning("probe %s/%s failed: %s", device.id, check.id, reason)
        result = ProbeResult(CheckState.UNKNOWN, f"probe error: {reason}")
    else:
        result = dataclasses.replace(result, message=scrub(result.message, _secrets(site, check)))
    result = dataclasses.replace(result, duration_ms=round((time.perf_counter() - start) * 1e3, 2))
    if result.values:
        ctx.previous[(device.id, check.id)] = result
    return result

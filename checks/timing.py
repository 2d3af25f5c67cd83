"""The scheduler's clocks, spread, time limits and concurrency limits.

Two clocks: a monotonic one for scheduling (immune to wall-clock jumps) and a UTC wall
clock for the timestamps that get recorded. Both are injectable so tests can pin them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from data.models import Check, PingCheck, SnmpCheck, SshCheck

_WALK_ALLOWANCE = 10.0  # seconds: as checks.probe allows a multi-request SNMP walk


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def utcnow(self) -> dt.datetime: ...


class SystemClock:
    """``time.monotonic`` for scheduling; the wall clock is ``wall`` when given (any
    ``data.clock.Clock``, e.g. a ManualClock), else the system's, in UTC."""

    def __init__(self, wall: Callable[[], dt.datetime] | None = None) -> None:
        self._wall = wall

    def monotonic(self) -> float:
        return time.monotonic()

    def utcnow(self) -> dt.datetime:
        now = self._wall() if self._wall else dt.datetime.now(dt.UTC)
        return now.astimezone(dt.UTC)


def first_run_offset(device_id: str, check_id: str, interval: float) -> float:
    """Seconds after start-up of a check's first run: a stable hash of its ids spread over
    its interval, so thousands of checks never fire in the same second and a restart
    keeps each check's slot. (``hash()`` is salted per process, hence blake2b.)"""
    digest = hashlib.blake2b(f"{device_id}\0{check_id}".encode(), digest_size=8).digest()
    return interval * (int.from_bytes(digest, "big") / 2**64)


def outer_timeout(check: Check, margin: float) -> float:
    """A backstop over the probe's own limits, generous on purpose: it only has to cut a
    probe that ignores them, and it sits above ``checks.probe.hard_limit`` so the probe's
    own, better message wins. SNMP waits timeout x (retries + 1), walks take a few
    requests more; SSH may spend its timeout connecting and again running the command;
    ping waits up to timeout + 1 s per echo."""
    if isinstance(check, SnmpCheck):
        worst = check.timeout * (check.retries + 1) + _WALK_ALLOWANCE
    elif isinstance(check, SshCheck):
        worst = check.timeout * 2
    elif isinstance(check, PingCheck):
        worst = check.count * (check.timeout + 1)
    else:
        worst = check.timeout
    return worst + margin


def stale_after(check: Check, margin: float) -> float:
    """No result for twice the interval is stale; a long probe on a short interval gets
    its worst-case run time on top so a slow, alive check does not blink stale."""
    return max(2 * check.interval, check.interval + outer_timeout(check, margin))


def _default_protocols() -> dict[str, int]:
    # A slot mostly waits on the network: a dead device holds one for its whole timeout,
    # so the bounds are set by what the peers tolerate, not by CPU. 128 SNMP requests in
    # flight lost no datagrams on loopback, 256 did (bench/poll.py). SSH handshakes are bounded
    # again inside the pool (sshd's MaxStartups), so 16 here only caps channels in total.
    return {"snmp": 128, "ssh": 16, "tcp": 64, "http": 32, "https": 32, "ping": 16}


@dataclass(frozen=True)
class Limits:
    total: int = 256
    per_host: int = 4
    per_protocol: Mapping[str, int] = field(default_factory=_default_protocols)
    timeout_margin: float = 5.0  # seconds added to a probe's own worst case


class Slots:
    """Semaphores for ``Limits``, taken host first, then protocol, then the global one
    (always in that order, so no deadlock). A probe queued behind a slow host holds
    nothing else while it waits, so a dead device only ever ties up its own host slots
    and whatever its running probes hold until their timeout."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._total = asyncio.Semaphore(limits.total)
        self._protocols = {p: asyncio.Semaphore(n) for p, n in limits.per_protocol.items()}
        self._hosts: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def hold(self, host: str, protocol: str) -> AsyncIterator[None]:
        host_slot = self._hosts.get(host)
        if host_slot is None:
            host_slot = self._hosts[host] = asyncio.Semaphore(self._limits.per_host)
        async with host_slot:
            protocol_slot = self._protocols.get(protocol)
            if protocol_slot is None:
                async with self._total:
                    yield
            else:
                async with protocol_slot, self._total:
                    yield

"""A spoofing neighbour and a sloppy agent: SNMP replies count only for the request asked.

A *silent* device (a UDP socket on 127.0.0.2 that never answers) is polled while a
*neighbour* on 127.0.0.3 answers its own poll and also sprays forged replies, with the
request-ids around its own (±30) and a forged sysUpTime, at the poller's port. The silent
device must time out; the forged replies are dropped and counted per source. An agent that
answers with the wrong request-id does not answer its own other check either.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto.api import v2c

from checks.probe import ProbeContext, run_probe
from checks.result import CheckState, ProbeResult
from data.models import Site

from .conftest import V3_USERS, SnmpAgent
from .lab import lab_site, respond

pytestmark = pytest.mark.interop
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SILENT, NEIGHBOUR = "127.0.0.2", "127.0.0.3"
COMMUNITY = "public"  # the same everywhere, as on many real sites
REAL_UPTIME, FORGED_UPTIME = 4200, 999_999
SPRAY = [d for d in range(-30, 31) if d]  # request-id offsets of the forged replies


def with_request_id(reply: bytes, request_id: int, community: str | None = None) -> bytes:
    message, _ = decoder.decode(reply, asn1Spec=v2c.Message())
    v2c.apiPDU.set_request_id(v2c.apiMessage.get_pdu(message), request_id)
    if community is not None:
        v2c.apiMessage.set_community(message, community)
    return bytes(encoder.encode(message))


def request_id(request: bytes) -> int:
    message, _ = decoder.decode(request, asn1Spec=v2c.Message())
    return int(v2c.apiPDU.get_request_id(v2c.apiMessage.get_pdu(message)))


def uptime(value: int) -> Callable[[list[Any]], list[tuple[Any, Any]]]:
    return lambda asked: [(name, v2c.TimeTicks(value)) for name, _ in asked]


@dataclass
class Peer(asyncio.DatagramProtocol):
    """A UDP peer: ``on_request(peer, data, addr)`` decides what it sends back."""

    on_request: Callable[[Peer, bytes, Any], None] = lambda peer, data, addr: None
    requests: list[bytes] = field(default_factory=list)
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.requests.append(data)
        self.asked.set()
        self.on_request(self, data, addr)

    @property
    def port(self) -> int:
        return int(self.transport.get_extra_info("sockname")[1])


@pytest.fixture
async def peers() -> AsyncIterator[Callable[..., Any]]:
    """``peer = await peers(host, on_request)``: a UDP peer on ``host``, closed at the end."""
    started: list[Peer] = []

    async def start(host: str, on_request: Callable[[Peer, bytes, Any], None]) -> Peer:
        loop = asyncio.get_running_loop()
        _, peer = await loop.create_datagram_endpoint(
            lambda: Peer(on_request), local_addr=(host, 0)
        )
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.transport.close()


def site_of(devices: dict[str, tuple[str, int]], checks: int = 1) -> Site:
    """Devices by id at (host, port), each with ``checks`` sysUpTime checks c0, c1, ..."""
    check = {"type": "snmp", "credential": "v2", "oid": SYS_UPTIME, "timeout": 1.0, "retries": 0}
    return Site.model_validate(
        {
            "site": {"name": "lab", "shifts": [{"name": "day", "start": "08:00", "end": "20:00"}]},
            "zones": [{"id": "lab", "name": "lab"}],
            "credentials": {"v2": {"snmp": {"version": "2c", "community": COMMUNITY}}},
            "devices": [
                {
                    "id": device_id,
                    "name": device_id,
                    "kind": "server",
                    "zone": "lab",
                    "host": host,
                    "checks": [check | {"id": f"c{i}", "port": port} for i in range(checks)],
                }
                for device_id, (host, port) in devices.items()
            ],
        }
    )


async def probe(site: Site, device_id: str, ctx: ProbeContext, check: int = 0) -> ProbeResult:
    device = next(d for d in site.devices if d.id == device_id)
    return await run_probe(site, device, device.checks[check], ctx)


@pytest.mark.parametrize("spray_from", ["neighbour", "silent host, other port"])
async def test_forged_replies_never_answer_a_silent_device(
    peers: Any, ctx: ProbeContext, spray_from: str
) -> None:
    silent = await peers(SILENT, lambda peer, data, addr: None)
    sprayer: list[Peer] = []

    def neighbour_answers(peer: Peer, data: bytes, addr: Any) -> None:
        real = respond(data, uptime(REAL_UPTIME))
        forged = respond(data, uptime(FORGED_UPTIME))
        own = request_id(data)
        for offset in SPRAY:
            sprayer[0].transport.sendto(with_request_id(forged, own + offset), addr)
        peer.transport.sendto(real, addr)

    neighbour = await peers(NEIGHBOUR, neighbour_answers)
    sprayer.append(neighbour if spray_from == "neighbour" else await peers(SILENT, lambda *_: None))
    site = site_of({"silent": (SILENT, silent.port), "neighbour": (NEIGHBOUR, neighbour.port)})

    silent_poll = asyncio.create_task(probe(site, "silent", ctx))
    await asyncio.wait_for(silent.asked.wait(), 5)  # its request is out and pending
    neighbour_result = await probe(site, "neighbour", ctx)
    silent_result = await silent_poll

    assert (neighbour_result.state, neighbour_result.value) == (CheckState.OK, REAL_UPTIME)
    assert silent_result.state in (CheckState.CRITICAL, CheckState.UNKNOWN)
    assert silent_result.value != FORGED_UPTIME
    assert "no response" in silent_result.message
    source = sprayer[0].transport.get_extra_info("sockname")[0]
    assert ctx.snmp.dropped.by_source().get(source) == len(SPRAY)
    assert ctx.snmp.dropped.total == len(SPRAY)


async def test_a_wrong_request_id_does_not_answer_the_devices_other_check(
    peers: Any, ctx: ProbeContext
) -> None:
    """A sloppy agent answers every request with its request-id + 1: with ids handed out
    in sequence that is the id of the device's other check, asked just after."""

    def answer_both_when_both_asked(peer: Peer, data: bytes, addr: Any) -> None:
        if len(peer.requests) == 2:
            for request in peer.requests:
                reply = respond(request, uptime(REAL_UPTIME))
                peer.transport.sendto(with_request_id(reply, request_id(request) + 1), addr)

    agent = await peers(NEIGHBOUR, answer_both_when_both_asked)
    site = site_of({"sloppy": (NEIGHBOUR, agent.port)}, checks=2)

    results = await asyncio.gather(probe(site, "sloppy", ctx, 0), probe(site, "sloppy", ctx, 1))

    assert [r.state for r in results] == [CheckState.CRITICAL, CheckState.CRITICAL]
    assert ctx.snmp.dropped.by_source() == {NEIGHBOUR: 2}


async def test_a_reply_with_another_community_is_dropped(peers: Any, ctx: ProbeContext) -> None:
    agent = await peers(
        NEIGHBOUR,
        lambda peer, data, addr: peer.transport.sendto(
            with_request_id(respond(data, uptime(REAL_UPTIME)), request_id(data), "other"), addr
        ),
    )
    result = await probe(site_of({"dev": (NEIGHBOUR, agent.port)}), "dev", ctx)
    assert result.state == CheckState.CRITICAL
    assert ctx.snmp.dropped.counts() == {(NEIGHBOUR, "wrong community"): 1}


def _tag_mangled(data: bytes, tag: int) -> bytes:
    """A request turned into a datagram pysnmp 7.1 cannot even read the version of (its
    decoder raises a TypeError, which asyncio logged as a 2 KB traceback per datagram)."""
    return bytes([tag]) + data[1:]


async def test_a_garbage_flood_is_counted_and_logged_once_per_source(
    peers: Any, ctx: ProbeContext, caplog: pytest.LogCaptureFixture
) -> None:
    flood = [os.urandom(100) for _ in range(60)]  # more could overflow the receive buffer
    flood += [
        _tag_mangled(b"0#\x02\x01\x01\x04\x06public\xa0\x16", tag) for tag in range(0x60, 0x7F)
    ]

    def answer(peer: Peer, data: bytes, addr: Any) -> None:
        for junk in flood:
            peer.transport.sendto(junk, addr)
        peer.transport.sendto(_tag_mangled(data, 0xA5), addr)
        peer.transport.sendto(respond(data, uptime(REAL_UPTIME)), addr)

    agent = await peers(NEIGHBOUR, answer)
    with caplog.at_level(logging.INFO):
        result = await probe(site_of({"dev": (NEIGHBOUR, agent.port)}), "dev", ctx)

    assert (result.state, result.value) == (CheckState.OK, REAL_UPTIME)
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert len(noisy) == 1, [r.getMessage()[:200] for r in noisy]
    assert NEIGHBOUR in noisy[0].getMessage() and noisy[0].exc_info is None
    assert ctx.snmp.dropped.by_source() == {NEIGHBOUR: len(flood) + 1}


async def test_real_snmpd_answers_pass_the_gate_for_every_version_and_v3_user(
    snmpd: SnmpAgent, ctx: ProbeContext
) -> None:
    """v1, v2c and each v3 user (discovery reports, empty user names, every security
    level) reach their checks; nothing of a genuine agent is dropped."""
    credentials: dict[str, Any] = {
        "v1": {"snmp": {"version": "1", "community": snmpd.community}},
        "v2": {"snmp": {"version": "2c", "community": snmpd.community}},
    }
    for user, (auth, priv) in V3_USERS.items():
        snmp: dict[str, Any] = {"version": "3", "user": user}
        if auth:
            snmp |= {"auth_protocol": auth, "auth_key": snmpd.v3_auth}
        if priv:
            snmp |= {"priv_protocol": priv, "priv_key": snmpd.v3_priv}
        credentials[user] = {"snmp": snmp}
    checks = [
        {"id": name, "type": "snmp", "credential": name, "port": snmpd.port, "oid": SYS_UPTIME}
        for name in credentials
    ]
    site, device = lab_site(checks, credentials)

    results = await asyncio.gather(*(run_probe(site, device, c, ctx) for c in device.checks))

    assert [(c.id, r.state) for c, r in zip(device.checks, results, strict=True)] == [
        (c.id, CheckState.OK) for c in device.checks
    ], [r.message for r in results]
    assert ctx.snmp.dropped.total == 0 and ctx.snmp.late_replies == 0

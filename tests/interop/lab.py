"""In-process peers and a site builder for the interop tests.

``LabAgent`` is a real pysnmp 7 command responder (GET, GETNEXT, GETBULK) serving a set
of OIDs whose values the test can change between probes. ``HostileResponder`` answers
SNMP requests on loopback the way a broken or malicious device might: garbage, cut-off
and oversized datagrams, late answers, wrong types, OIDs that go backwards.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto.api import v2c

from data.models import Device, Site


def lab_site(checks: list[dict[str, Any]], credentials: dict[str, Any]) -> tuple[Site, Device]:
    """A one-device site on 127.0.0.1 holding ``checks``, and that device."""
    site = Site.model_validate(
        {
            "site": {"name": "lab", "shifts": [{"name": "day", "start": "08:00", "end": "20:00"}]},
            "zones": [{"id": "lab", "name": "lab"}],
            "credentials": credentials,
            "devices": [
                {
                    "id": "dev",
                    "name": "dev",
                    "kind": "server",
                    "zone": "lab",
                    "host": "127.0.0.1",
                    "checks": checks,
                },
            ],
        }
    )
    return site, site.devices[0]


def _oid(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


class LabAgent:
    """A pysnmp agent on 127.0.0.1 serving ``readings`` (dotted OID -> int or str), v2c.

    The OIDs are fixed at start; change ``readings[oid]`` between probes for new values.
    """

    def __init__(self, readings: dict[str, int | str], community: str = "lab") -> None:
        self.readings = readings
        self.community = community
        self.port = 0
        self._engine: Any = None

    def start(self, port: int) -> None:
        self.port = port
        snmp = self._engine = engine.SnmpEngine()
        transport = udp.UdpTransport().open_server_mode(("127.0.0.1", port))
        config.add_transport(snmp, udp.DOMAIN_NAME, transport)
        config.add_v1_system(snmp, "lab-area", self.community)
        config.add_vacm_user(snmp, 2, "lab-area", "noAuthNoPriv", (1, 3, 6))
        snmp_context = context.SnmpContext(snmp)
        builder = snmp_context.get_mib_instrum().get_mib_builder()
        scalar, instance = builder.import_symbols("SNMPv2-SMI", "MibScalar", "MibScalarInstance")
        readings = self.readings

        class Live(instance):  # type: ignore[misc, valid-type]
            """An instance whose value is read from ``readings`` at every request."""

            def getValue(self, name: Any, **ctx: Any) -> Any:  # pysnmp's hook name
                return self.syntax.clone(readings[".".join(map(str, name))])

        symbols, parents = [], set()
        for text, value in readings.items():
            oid = _oid(text)  # a scalar's ".0" or a table cell's last index sub-identifier
            syntax = v2c.OctetString("") if isinstance(value, str) else v2c.Integer(0)
            if oid[:-1] not in parents:
                parents.add(oid[:-1])
                symbols.append(scalar(oid[:-1], syntax))
            symbols.append(Live(oid[:-1], oid[-1:], syntax))
        builder.export_symbols("__DUTYDESK_LAB", *symbols)
        for responder in (
            cmdrsp.GetCommandResponder,
            cmdrsp.NextCommandResponder,
            cmdrsp.BulkCommandResponder,
        ):
            responder(snmp, snmp_context)

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()


Answer = Callable[[bytes], list[bytes]]


class HostileResponder(asyncio.DatagramProtocol):
    """A UDP 'agent' whose ``answer(request) -> datagrams`` the test chooses."""

    def __init__(self, answer: Answer, delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.requests = 0
        self.transport: Any = None  # asyncio's datagram transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.requests += 1
        loop = asyncio.get_running_loop()
        for reply in self.answer(data):
            loop.call_later(self.delay, self.transport.sendto, reply, addr)


def respond(
    request: bytes,
    var_binds: Callable[[list[Any]], list[tuple[Any, Any]]],
    error_status: int = 0,
    error_index: int = 0,
) -> bytes:
    """A well-formed v2c response to ``request`` carrying ``var_binds(requested)``."""
    message, _ = decoder.decode(request, asn1Spec=v2c.Message())
    asked = list(v2c.apiPDU.get_varbinds(v2c.apiMessage.get_pdu(message)))
    reply = v2c.apiMessage.get_response(message)
    pdu = v2c.apiMessage.get_pdu(reply)
    v2c.apiPDU.set_varbinds(pdu, var_binds(asked))
    v2c.apiPDU.set_error_status(pdu, error_status)
    v2c.apiPDU.set_error_index(pdu, error_index)
    return bytes(encoder.encode(reply))


def garbage(size: int) -> Answer:
    return lambda request: [os.urandom(size)]

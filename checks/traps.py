"""The SNMP trap receiver: a UDP listener that turns accepted notifications into events.

``TrapReceiver`` runs its own pysnmp ``SnmpEngine`` (a receiver, apart from the polling
client in ``checks.snmp``) on ``site.traps.listen:port``. It accepts v1/v2c traps and
informs whose community belongs to one of ``site.traps.credentials``, and v3 ones from
those credentials' users at no lower a security level than the credential's (USM checks
no level for traps, so a noAuthNoPriv message naming an authPriv user is refused here).
For v3 engine ids - configured, or learned from the first trap - see ``checks.trap_usm``.
Everything else - garbage, a wrong community, a bad digest, an unknown user - is dropped
by pysnmp and counted in ``stats["rejected"]``, and per source and reason in ``dropped``
(with one log line per source a minute, see ``checks.drops``); nothing a sender does
raises out of here. The engine-discovery probe a v3 inform sender sends first is rejected
but is no drop.

The receiver only emits ``TrapEvent``s to ``on_event``, called in the event loop (keep it
quick: queue the event). The runtime wires the immediate re-check of the device::

    TrapReceiver(site, fan_out(recheck_on_trap(scheduler), runtime.on_trap))
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from pydantic import SecretStr
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902

from checks.drops import DropCounters
from checks.snmp import oid_text, python_value
from checks.snmp_wire import NOTIFICATIONS, Header, read_header
from checks.trap_decode import TrapEvent, decode, make_event
from checks.trap_usm import TrapUsers
from data.clock import Clock, utc_now
from data.models import Site

__all__ = ["TrapEvent", "TrapReceiver", "fan_out", "recheck_on_trap"]
log = logging.getLogger(__name__)
OnEvent = Callable[[TrapEvent], None]
_ROUTE = "dutydesk-traps"  # our receive callback's id on the transport dispatcher
_VERSIONS = {0: "1", 1: "2c", 3: "3"}  # message processing model -> SNMP version


class TrapReceiver:
    def __init__(
        self,
        site: Site,
        on_event: OnEvent,
        *,
        listen: str | None = None,
        port: int | None = None,
        engine_ids: Iterable[bytes | str] = (),
        learn_engine_ids: bool = True,
        clock: Clock = utc_now,
    ) -> None:
        """``listen``/``port`` default to ``site.traps``; port 0 takes a free port, shown
        in ``port`` once started. ``engine_ids``: v3 senders' engine ids known up front;
        ``learn_engine_ids=False`` accepts v3 traps only from those."""
        self._site, self._on_event, self._clock = site, on_event, clock
        self.listen = site.traps.listen if listen is None else listen
        self.port = site.traps.port if port is None else port
        # received: datagrams; decoded: events delivered (unknown_sender: of them, from no
        # known device); rejected: datagrams that became no event (bad community or auth,
        # garbage, and the engine-discovery probe a v3 inform sender sends first)
        self.stats = {"received": 0, "decoded": 0, "unknown_sender": 0, "rejected": 0}
        self.dropped = DropCounters("SNMP traps", log)
        self._refused: str | None = None  # why _event refused the notification in hand
        self._communities: dict[str, tuple[str, SecretStr]] = {}  # index -> (name, community)
        self._users = TrapUsers(engine_ids, learn=learn_engine_ids)
        for name in site.traps.credentials:
            entry = site.credentials.get(name)
            if entry is None or entry.snmp is None:
                raise ValueError(f"traps.credentials: {name!r} is not an SNMP credential")
            if entry.snmp.version == "3":
                self._users.add(name, entry.snmp)
            else:
                assert entry.snmp.community is not None  # the model guarantees it
                index = f"dd{len(self._communities)}"  # an SnmpAdminString: short ASCII
                self._communities[index] = (name, entry.snmp.community)
        self._engine: Any = None
        self._socket: socket.socket | None = None
        self._delivered = False

    @property
    def warnings(self) -> list[str]:
        """Configuration problems that do not stop the receiver (no secrets in them)."""
        return list(self._users.warnings)

    @property
    def engine_ids(self) -> frozenset[bytes]:
        """v3 sender engine ids accepted so far: configured, learned, and our own."""
        return self._users.engine_ids

    @property
    def running(self) -> bool:
        return self._engine is not None

    async def start(self) -> None:
        """Bind the UDP port (OSError if it is taken) and start accepting notifications."""
        if self._engine is not None:
            raise RuntimeError("the trap receiver is already running")
        ipv6 = ipaddress.ip_address(self.listen).version == 6
        family, carrier = (socket.AF_INET6, udp6) if ipv6 else (socket.AF_INET, udp)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.listen, self.port))
            sock.setblocking(False)
            self.port = int(sock.getsockname()[1])
            snmp = self._engine = engine.SnmpEngine()
            for index, (_, community) in self._communities.items():
                config.add_v1_system(snmp, index, community.get_secret_value())
            self._users.install(snmp)
            transport = (udp6.Udp6AsyncioTransport if ipv6 else udp.UdpAsyncioTransport)()
            # the endpoint is made here, on our already bound socket, so that start()
            # returns with the port live and stop() has nothing half-open to chase
            await asyncio.get_running_loop().create_datagram_endpoint(lambda: transport, sock=sock)
            config.add_transport(snmp, carrier.DOMAIN_NAME, transport)
            dispatcher = snmp.transport_dispatcher
            dispatcher.register_routing_callback(lambda *_: _ROUTE)
            dispatcher.register_recv_callback(self._on_datagram, _ROUTE)
            ntfrcv.NotificationReceiver(snmp, self._on_notification)
            self._socket = sock
        except BaseException:
            self._close_engine()
            sock.close()
            raise
        log.info("trap receiver listening on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        """Close the port and the engine's timer; safe to call twice."""
        self._close_engine()
        if self._socket is not None:
            self._socket.close()  # the transport closes it too, but only on a later tick
            self._socket = None
        await asyncio.sleep(0)  # let the transport's connection_lost run

    def _close_engine(self) -> None:
        snmp, self._engine = self._engine, None
        if snmp is not None and snmp.transport_dispatcher is not None:
            snmp.transport_dispatcher.unregister_recv_callback(_ROUTE)
            snmp.transport_dispatcher.unregister_routing_callback()
            snmp.close_dispatcher()

    async def __aenter__(self) -> TrapReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- receiving -----------------------------------------------------------------------

    def _on_datagram(self, dispatcher: Any, domain: Any, address: Any, message: bytes) -> None:
        """Every datagram passes here. pysnmp processes it synchronously and calls
        ``_on_notification`` for an accepted one, so a datagram that has not become an
        event by the time ``receive_message`` returns was rejected."""
        snmp = self._engine
        if snmp is None:
            return
        self.stats["received"] += 1
        self._delivered, self._refused = False, None
        learned = self._users.learn_from(message)
        raised = False
        try:
            snmp.message_dispatcher.receive_message(snmp, domain, address, message)
        except Exception:  # a malformed packet must never take the listener down
            raised = True
        if not self._delivered:
            self.stats["rejected"] += 1
            reason = "undecodable" if raised else self._drop_reason(read_header(message))
            if reason is not None:
                self.dropped.note(str(address[0]), reason)
        if learned is not None:
            if self._delivered:
                log.info("learned SNMPv3 engine id %s from %s", learned.hex(), address)
            else:
                self._users.forget(learned)

    def _drop_reason(self, header: Header | None) -> str | None:
        """Why pysnmp (or ``_event``) did not accept a datagram; None: no drop."""
        if self._refused is not None:
            return self._refused
        if header is None:
            return "undecodable"
        if header.version != 3:
            communities = (c.get_secret_value().encode() for _, c in self._communities.values())
            if header.community not in communities:
                return "wrong community"
            return "not a notification" if header.pdu_tag not in NOTIFICATIONS else "undecodable"
        if header.level == 1 and header.user == b"" and header.reportable:
            return None  # a v3 inform sender discovering our engine id: answered, not a drop
        if self._users.get(header.user.decode("utf-8", "replace")) is None:
            return "unknown user"
        if header.engine_id not in self._users.engine_ids:
            return "unknown engine id"
        return "authentication failed"  # wrong keys or protocols, or out of time window

    def _on_notification(
        self, snmp: Any, state_ref: Any, ctx_engine: Any, ctx_name: Any, varbinds: Any, _: Any
    ) -> None:
        try:
            event = self._event(snmp, varbinds)
        except Exception:
            log.exception("a received notification could not be decoded")
            return
        if event is None:
            return
        self._delivered = True
        self.stats["decoded"] += 1
        if event.device_id is None:
            self.stats["unknown_sender"] += 1
        try:
            self._on_event(event)
        except Exception:
            log.exception("the trap event handler failed")

    def _event(self, snmp: Any, varbinds: Any) -> TrapEvent | None:
        context = snmp.observer.get_execution_context("rfc3412.receiveMessage:request")
        version = _VERSIONS.get(int(context["messageProcessingModel"]), "?")
        security_name = str(context["securityName"])
        user: str | None = None
        if version == "3":
            known = self._users.get(security_name)
            if known is None or int(context["securityLevel"]) < known.level:
                self._refused = "below security level"
                return None
            credential, user = known.credential, known.user
        elif security_name in self._communities:
            credential = self._communities[security_name][0]
        else:
            self._refused = "wrong community"
            return None
        pairs = [(oid_text(tuple(name)), _text(value)) for name, value in varbinds]
        address = context["transportAddress"]
        return make_event(
            decode(pairs),
            site=self._site,
            at=self._clock(),
            source=(str(address[0]), int(address[1])),
            version=version,
            credential=credential,
            user=user,
        )


def _text(value: Any) -> str:
    if getattr(value, "tagSet", None) == rfc1902.IpAddress.tagSet and len(value) == 4:
        # the v1 -> v2 conversion adds snmpTrapAddress.0 as an SMIv1 IpAddress, which
        # python_value would read as text
        return str(ipaddress.IPv4Address(bytes(value)))
    shown = python_value(value)
    return "" if shown is None else str(shown)


class Rechecks(Protocol):
    def recheck(self, device_id: str, check_id: str | None = None) -> int: ...


def recheck_on_trap(scheduler: Rechecks) -> OnEvent:
    """An ``on_event`` that re-checks every device at the trap's source address now."""

    def recheck(event: TrapEvent) -> None:
        for device_id in event.device_ids:
            try:
                scheduler.recheck(device_id)
            except KeyError:  # a device the scheduler does not run
                log.warning("trap from %s: no device %r to re-check", event.source_ip, device_id)

    return recheck


def fan_out(*handlers: OnEvent) -> OnEvent:
    """One ``on_event`` calling each handler in turn; one failing does not stop the rest."""

    def call_all(event: TrapEvent) -> None:
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                log.exception("trap handler %r failed", handler)

    return call_all

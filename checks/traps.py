"""The SNMP trap receiver: a UDP listener that turns accepted notifications into events.

``TrapReceiver`` runs its own pysnmp ``SnmpEngine`` (a receiver, apart from the polling
client in ``checks.snmp``) on ``site.traps.listen:port``. It accepts v1/v2c traps and
informs whose community belongs to one of ``site.traps.credentials`` and v3 ones from
those credentials' users; everything else - garbage, a wrong community, a bad digest, an
unknown user, a v3 message below the credential's security level - is dropped and counted
in ``stats["rejected"]``. Nothing a sender does raises out of the receiver.

SNMPv3 engine ids. A v3 trap is authenticated with keys localised to the *sender's*
engine id, so the receiver needs a USM row per (sender engine id, user). Rows are made
for the ids passed as ``engine_ids`` (hex, as ``snmptrap -e`` takes them) and, with
``learn_engine_ids`` (the default), for any new id seen in a v3 message that names one of
our users: the row is added before pysnmp checks the message, so the digest is still
verified with the real keys - learning an id grants nothing without the key. At most
``MAX_LEARNED_ENGINE_IDS`` ids are learned (a bound on what spoofed ids can cost). v3
informs use the receiver's own engine id, which pysnmp's sender discovers.

A user name belongs to one key set: two v3 credentials with the same user name and
different keys cannot both be accepted (USM has one row per engine id and user); the
first listed wins and the clash is reported in ``warnings``.

The receiver only emits ``TrapEvent``s to ``on_event`` (called in the event loop; keep it
quick). The runtime re-checks the device: ``fan_out(recheck_on_trap(scheduler), ...)``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pyasn1.codec.ber import decoder
from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902
from pysnmp.proto.api import verdec
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from checks.snmp import AUTH_PROTOCOLS, PRIV_PROTOCOLS, oid_text, python_value
from checks.trap_decode import TrapEvent, decode, make_event
from data.clock import Clock, utc_now
from data.models import Site, SnmpCredential

__all__ = ["TrapEvent", "TrapReceiver", "fan_out", "recheck_on_trap"]
log = logging.getLogger(__name__)
OnEvent = Callable[[TrapEvent], None]
MAX_LEARNED_ENGINE_IDS = 512
_ROUTE = "dutydesk-traps"  # our receive callback's id on the transport dispatcher
_VERSIONS = {0: "1", 1: "2c", 3: "3"}  # message processing model -> SNMP version
_LEVELS = {"noAuthNoPriv": 1, "authNoPriv": 2, "authPriv": 3}
_USM = 3


@dataclass(frozen=True, repr=False)
class _V3User:
    """A v3 credential as the USM needs it: master keys, localised per sender engine id."""

    credential: str
    user: str
    level: int
    auth_protocol: Any
    priv_protocol: Any
    auth_master: Any  # never shown: repr below names only the credential
    priv_master: Any

    def __repr__(self) -> str:
        return f"_V3User(credential={self.credential!r}, user={self.user!r})"

    @classmethod
    def of(cls, name: str, cred: SnmpCredential) -> _V3User:
        auth = AUTH_PROTOCOLS[cred.auth_protocol] if cred.auth_protocol else config.USM_AUTH_NONE
        priv = PRIV_PROTOCOLS[cred.priv_protocol] if cred.priv_protocol else config.USM_PRIV_NONE
        auth_key = univ.OctetString(cred.auth_key.get_secret_value() if cred.auth_key else "")
        priv_key = univ.OctetString(cred.priv_key.get_secret_value() if cred.priv_key else "")
        return cls(
            credential=name,
            user=cred.user or "",
            level=_LEVELS[cred.security_level],
            auth_protocol=auth,
            priv_protocol=priv,
            auth_master=config.AUTH_SERVICES[auth].hash_passphrase(auth_key),
            priv_master=config.PRIV_SERVICES[priv].hash_passphrase(auth, priv_key),
        )

    def fingerprint(self) -> tuple[Any, ...]:
        return (self.auth_protocol, self.priv_protocol, self.auth_master, self.priv_master)


def engine_id_bytes(value: bytes | str) -> bytes:
    """An engine id given as bytes or as hex text (``0x8000...`` like ``snmptrap -e``)."""
    if isinstance(value, bytes):
        return value
    text = value.strip().lower().removeprefix("0x").replace(":", "")
    return bytes.fromhex(text)


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
        by ``port`` once started."""
        self._site, self._on_event, self._clock = site, on_event, clock
        self.listen = site.traps.listen if listen is None else listen
        self.port = site.traps.port if port is None else port
        self.learn_engine_ids = learn_engine_ids
        self.stats = {"received": 0, "decoded": 0, "unknown_sender": 0, "rejected": 0}
        self.warnings: list[str] = []
        self._communities: dict[str, tuple[str, str]] = {}  # index -> (credential, community)
        self._users: dict[str, _V3User] = {}  # v3 user name -> its one key set
        self._configure(site)
        self._known_ids = {engine_id_bytes(e) for e in engine_ids}
        self._engine: Any = None
        self._socket: socket.socket | None = None
        self._delivered = False

    # -- configuration -------------------------------------------------------------------

    def _configure(self, site: Site) -> None:
        for name in site.traps.credentials:
            entry = site.credentials.get(name)
            if entry is None or entry.snmp is None:
                raise ValueError(f"traps.credentials: {name!r} is not an SNMP credential")
            cred = entry.snmp
            if cred.version in ("1", "2c"):
                assert cred.community is not None  # the model guarantees it
                index = f"dd{len(self._communities)}"  # SnmpAdminString: short and ASCII
                self._communities[index] = (name, cred.community.get_secret_value())
                continue
            user = _V3User.of(name, cred)
            known = self._users.get(user.user)
            if known is None:
                self._users[user.user] = user
            elif known.fingerprint() != user.fingerprint():
                self.warnings.append(
                    f"credentials {known.credential!r} and {name!r} share the v3 user name "
                    f"{user.user!r} with different keys; traps are accepted only for "
                    f"{known.credential!r}"
                )

    def _add_user(self, user: _V3User, engine_id: bytes | None) -> None:
        config.add_v3_user(
            self._engine, user.user, user.auth_protocol, user.auth_master,
            user.priv_protocol, user.priv_master,
            securityEngineId=None if engine_id is None else univ.OctetString(engine_id),
            authKeyType=config.USM_KEY_TYPE_MASTER, privKeyType=config.USM_KEY_TYPE_MASTER,
        )  # fmt: skip

    # -- lifecycle -----------------------------------------------------------------------

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
            snmp = engine.SnmpEngine()
            self._engine = snmp
            for index, (_, community) in self._communities.items():
                config.add_v1_system(snmp, index, community)
            for user in self._users.values():
                self._add_user(user, None)  # our own engine id: v3 informs
                for engine_id in self._known_ids:
                    self._add_user(user, engine_id)
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
        """Every datagram passes here; pysnmp processes it synchronously and calls
        ``_on_notification`` for an accepted one, so whatever did not become an event by
        the time ``receive_message`` returns was rejected."""
        snmp = self._engine
        if snmp is None:
            return
        self.stats["received"] += 1
        self._delivered = False
        if self.learn_engine_ids and self._users:
            try:
                self._learn_engine_id(message)
            except Exception:  # not a well-formed v3 message: pysnmp will drop it
                log.debug("no v3 header to learn from in a datagram from %s", address)
        try:
            snmp.message_dispatcher.receive_message(snmp, domain, address, message)
        except Exception:  # a malformed packet must never take the listener down
            log.debug("trap from %s: pysnmp failed on it", address, exc_info=True)
        if not self._delivered:
            self.stats["rejected"] += 1
            log.debug("datagram from %s dropped (bad community, auth or format)", address)

    def _learn_engine_id(self, message: bytes) -> None:
        if verdec.decode_message_version(message) != 3:
            return
        whole, _ = decoder.decode(message, asn1Spec=SNMPv3Message())
        if int(whole["msgGlobalData"]["msgSecurityModel"]) != _USM:
            return
        usm, _ = decoder.decode(
            bytes(whole["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters()
        )
        engine_id, user = bytes(usm["msgAuthoritativeEngineId"]), bytes(usm["msgUserName"])
        known = self._users.get(user.decode("utf-8", "replace"))
        # pysnmp itself refuses ids outside 5..32 bytes; ours is served by the base rows
        if known is None or engine_id in self._known_ids or not 4 < len(engine_id) < 33:
            return
        if len(self._known_ids) >= MAX_LEARNED_ENGINE_IDS:
            return
        self._known_ids.add(engine_id)
        for each in self._users.values():
            self._add_user(each, engine_id)
        log.info("learned SNMPv3 engine id %s for trap users", engine_id.hex())

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
                # USM checks no level for traps: a noAuthNoPriv message naming an authPriv
                # user would otherwise pass unauthenticated
                log.debug("v3 trap below the security level of user %r refused", security_name)
                return None
            credential, user = known.credential, known.user
        elif security_name in self._communities:
            credential = self._communities[security_name][0]
        else:
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

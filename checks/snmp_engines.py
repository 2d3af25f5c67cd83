"""The pysnmp engine pool and the raw sender under ``checks.snmp.SnmpClient``.

Requests go straight to pysnmp's message dispatcher (``_Engines.send``) with destination,
security parameters and retries given per request. pysnmp's high-level API
(``hlapi.get_cmd``) is not used: it adds a row to the engine's SNMP-TARGET-MIB for every
new device, and pysnmp rebuilds a lookup map over that whole table on the next response,
so a first sweep over 2,000 v2c devices took ~13 ms of CPU per check (quadratic); it also
resolves every request's target and varbinds through MIB objects (bench/README.md).

Engines are few: creating one costs ~70 ms of CPU (measured in bench/: never one per request).
SNMPv3 needs more than one for two reasons. An engine keeps one USM row per user name, so
two credentials with the same user name but different keys would overwrite each other's
keys mid-flight: a conflicting credential gets an engine of its own. And an engine keeps a
USM row per agent (engine id) too, with the same whole-table rebuild after each new one,
so each engine serves at most ``V3_AGENTS_PER_ENGINE`` v3 agents. ``_tidy_usm_timeline``
works around pysnmp forgetting v3 agents' clocks too early (and holding memory for it).

Every engine's socket is guarded by one ``checks.snmp_gate.ReplyGate``: a reply reaches
pysnmp only if it comes from the address, port and credential the request went to, with
the request's (random) id; the rest is dropped and counted in ``_Engines.gate.dropped``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.hlapi.v3arch import asyncio as hl
from pysnmp.proto import errind
from pysnmp.proto.api import v2c
from pysnmp.proto.error import StatusInformation
from pysnmp.proto.proxy.rfc2576 import v1_to_v2, v2_to_v1

from checks.snmp_gate import Expected, ReplyGate
from data.models import SnmpCredential

AUTH_PROTOCOLS = {
    "MD5": hl.usmHMACMD5AuthProtocol,
    "SHA": hl.usmHMACSHAAuthProtocol,
    "SHA224": hl.usmHMAC128SHA224AuthProtocol,
    "SHA256": hl.usmHMAC192SHA256AuthProtocol,
    "SHA384": hl.usmHMAC256SHA384AuthProtocol,
    "SHA512": hl.usmHMAC384SHA512AuthProtocol,
}
# AES192/AES256 extend a short auth hash into the longer key as net-snmp's AES-192/AES-256
# do (Blumenthal draft; proven in tests/interop). Cisco's variant (Reeder, net-snmp's
# AES-256C) differs only when the auth hash is shorter than the key, e.g. SHA with AES256.
PRIV_PROTOCOLS = {
    "DES": hl.usmDESPrivProtocol,
    "AES": hl.usmAesCfb128Protocol,
    "AES128": hl.usmAesCfb128Protocol,
    "AES192": hl.usmAesBlumenthalCfb192Protocol,
    "AES256": hl.usmAesBlumenthalCfb256Protocol,
}
# reports that make a v3 request go again without counting as a retry (as pysnmp's
# command generator does): the agent's engine id (discovery) or its clock (time window)
_DISCOVERY = (errind.UnknownEngineID, errind.NotInTimeWindow)
_MAX_DISCOVERIES = 4
_LEVELS = {"noAuthNoPriv": 1, "authNoPriv": 2, "authPriv": 3}  # SnmpSecurityLevel
V3_AGENTS_PER_ENGINE = 200  # bounds the USM table each new agent makes pysnmp re-read
TIMELINE_TIDY_EVERY = 10.0  # seconds between _tidy_usm_timeline passes (must be < 300)


class _Security(NamedTuple):
    mp_model: int  # 0: v1, 1: v2c, 3: v3
    sec_model: int  # 1: v1, 2: v2c, 3: USM
    name: Any  # security name (pysnmp SnmpAdminString)
    level: int  # 1 noAuthNoPriv, 2 authNoPriv, 3 authPriv
    context: Any  # context name (pysnmp SnmpAdminString)


def _fingerprint(cred: SnmpCredential) -> str:
    """Identifies a community or v3 key set without keeping it in yet another place."""
    parts = [
        cred.version,
        cred.community.get_secret_value() if cred.community else "",
        cred.user or "",
        cred.auth_protocol or "",
        cred.auth_key.get_secret_value() if cred.auth_key else "",
        cred.priv_protocol or "",
        cred.priv_key.get_secret_value() if cred.priv_key else "",
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass
class _Engine:
    """One pysnmp engine with its UDP socket, and what is configured on it."""

    engine: Any  # pysnmp SnmpEngine (untyped library)
    users: dict[str, str] = field(default_factory=dict)  # v3 user name -> key fingerprint
    v3_agents: int = 0  # v3 destinations homed here
    communities: dict[str, str] = field(default_factory=dict)  # hash -> community row name
    params: dict[tuple[str, str], _Security] = field(default_factory=dict)

    def security(self, cred: SnmpCredential, mark: str) -> _Security:
        """How to send as ``cred`` (fingerprint ``mark``), configuring it on first use.
        Names are pysnmp's own string type: its tables are keyed by those, and a plain
        str does not hash the same."""
        key = (mark, cred.context if cred.version == "3" else "")
        known = self.params.get(key)
        if known is not None:
            return known
        (text,) = self.engine.get_mib_builder().import_symbols(
            "SNMP-FRAMEWORK-MIB", "SnmpAdminString"
        )
        if cred.version in ("1", "2c"):
            assert cred.community is not None  # the model guarantees it
            # One row per community, whatever the version or context: an answer is matched
            # to its request by the row its community finds, so two rows for one community
            # would make answers to one of them look foreign (and time out).
            secret = cred.community.get_secret_value()
            row = hashlib.sha256(secret.encode()).hexdigest()
            name = self.communities.get(row)
            if name is None:
                name = self.communities[row] = f"community-{len(self.communities)}"
                config.add_v1_system(self.engine, name, secret)
            model = 0 if cred.version == "1" else 1
            known = _Security(model, model + 1, text(name), 1, text(""))  # v1/v2c: no context
        else:
            config.add_v3_user(
                self.engine,
                cred.user,
                AUTH_PROTOCOLS[cred.auth_protocol] if cred.auth_protocol else config.USM_AUTH_NONE,
                cred.auth_key.get_secret_value() if cred.auth_key else None,
                PRIV_PROTOCOLS[cred.priv_protocol] if cred.priv_protocol else config.USM_PRIV_NONE,
                cred.priv_key.get_secret_value() if cred.priv_key else None,
            )
            level = _LEVELS[cred.security_level]
            known = _Security(3, 3, text(cred.user), level, text(cred.context))
        self.params[key] = known
        return known


class _Engines:
    """Picks the engine for each request (see the module docstring) and sends on it."""

    def __init__(self) -> None:
        self.all: list[_Engine] = []
        self.gate = ReplyGate()
        self._v3_homes: dict[tuple[tuple[str, int], str], _Engine] = {}
        self._met: set[tuple[tuple[str, int], str]] = set()  # v3 agents that have answered
        self._meeting: dict[tuple[tuple[str, int], str], asyncio.Future[None]] = {}
        self._next_tidy = 0.0

    def close(self) -> None:
        for e in self.all:
            e.engine.close_dispatcher()
        self.all.clear()
        self._v3_homes.clear()
        self._met.clear()

    def _new(self) -> _Engine:
        engine = SnmpEngine()
        config.add_transport(engine, udp.DOMAIN_NAME, udp.UdpTransport().open_client_mode())
        self.gate.install(engine)
        self.all.append(_Engine(engine))
        return self.all[-1]

    def pick(self, cred: SnmpCredential, address: tuple[str, int], mark: str) -> _Engine:
        if not self.all:
            self._new()
        if cred.version != "3":
            return self.all[0]  # communities add no per-agent state
        home = self._v3_homes.get((address, mark))
        if home is None:
            user = cred.user or ""
            for e in self.all:
                if e.v3_agents < V3_AGENTS_PER_ENGINE and e.users.get(user, mark) == mark:
                    home = e
                    break
            else:
                home = self._new()
            home.users[user] = mark
            home.v3_agents += 1
            self._v3_homes[(address, mark)] = home
        return home

    async def send(
        self, address: tuple[str, int], cred: SnmpCredential, pdu: Any, timeout: float, retries: int
    ) -> tuple[Any, Any]:
        """Send ``pdu`` (SNMPv2 form) until an answer or ``retries`` timeouts:
        (errorIndication, None) or (None, the response PDU in SNMPv2 form).

        The first v3 request to an agent discovers its engine id (one more exchange);
        requests to it meanwhile wait for that, up to one ``timeout``, instead of each
        discovering it again (both checks of a device start together in a sweep)."""
        mark = _fingerprint(cred)
        key = (address, mark)
        if cred.version == "3" and time.monotonic() >= self._next_tidy:  # see the function
            self._next_tidy = time.monotonic() + TIMELINE_TIDY_EVERY
            for e in self.all:
                _tidy_usm_timeline(e.engine)
        if cred.version != "3" or key in self._met:
            return await self._exchange(address, cred, mark, pdu, timeout, retries)
        first = self._meeting.get(key)
        if first is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(first), timeout)
            return await self._exchange(address, cred, mark, pdu, timeout, retries)
        first = self._meeting[key] = asyncio.get_running_loop().create_future()
        try:
            outcome = await self._exchange(address, cred, mark, pdu, timeout, retries)
            if outcome[1] is not None:
                self._met.add(key)
            return outcome
        finally:
            del self._meeting[key]
            first.set_result(None)

    async def _exchange(
        self,
        address: tuple[str, int],
        cred: SnmpCredential,
        mark: str,
        pdu: Any,
        timeout: float,
        retries: int,
    ) -> tuple[Any, Any]:
        chosen = self.pick(cred, address, mark)
        engine, how = chosen.engine, chosen.security(cred, mark)
        wire = v2_to_v1(pdu) if how.mp_model == 0 else pdu
        expected = _expected(engine, address, how.mp_model, cred)
        ticks = timeout / engine.transport_dispatcher.get_timer_resolution()
        loop = asyncio.get_running_loop()
        tries = discoveries = 0
        while True:
            answer: asyncio.Future[tuple[Any, Any]] = loop.create_future()
            pdu_version = min(how.mp_model, 1)
            send = functools.partial(  # send_pdu's positional parameters, in order
                engine.message_dispatcher.send_pdu,
                *(engine, udp.DOMAIN_NAME, address, how.mp_model, how.sec_model, how.name),
                *(how.level, None, how.context, pdu_version, wire, True, ticks, _on_answer),
                answer,
            )
            try:
                wire_id = self.gate.send(expected, send)
            except StatusInformation as e:
                return e["errorIndication"], None
            try:
                status, reply = await answer
            finally:
                self.gate.forget(wire_id)
            if not status:
                break
            indication = status["errorIndication"]
            if isinstance(indication, _DISCOVERY) and discoveries < _MAX_DISCOVERIES:
                discoveries += 1  # v3: the agent told us its engine id or clock: ask again
            elif isinstance(indication, errind.RequestTimedOut) and tries < retries:
                tries += 1
            else:
                return indication, None
        if how.mp_model == 0:
            reply = v1_to_v2(reply, pdu)
        if v2c.apiPDU.get_request_id(reply) != v2c.apiPDU.get_request_id(pdu):
            return "request-id mismatch in the response", None
        return None, reply


def _expected(
    engine: Any, address: tuple[str, int], mp_model: int, cred: SnmpCredential
) -> Expected:
    """What a reply to a request sent as ``cred`` must carry to pass the gate."""
    if mp_model == 3:
        return Expected(engine, address, mp_model, user=(cred.user or "").encode())
    assert cred.community is not None  # the model guarantees it
    return Expected(engine, address, mp_model, community=cred.community.get_secret_value().encode())


def _tidy_usm_timeline(engine: Any) -> None:
    """Work around pysnmp 7.1's USM clock bookkeeping (lextudio/pysnmp#245).

    On every authenticated message the USM stores the agent's clock and queues "forget
    this clock in 300 s"; the first of those to come due forgets it although the agent
    spoke since. So from 5 minutes on, a request often goes out without the agent's
    clock, the agent reports notInTimeWindow (counted in its usmStatsNotInTimeWindows),
    and the request is sent again; and the queue holds one decoded engine id per message
    for 300 s (~100 MB at 700 v3 checks/s). Keeping only each agent's latest entry,
    more often than every 300 s, makes it "forget after 300 s of silence", as meant.
    A pysnmp without that private queue is left alone."""
    usm = engine.security_models.get(3)
    queue = getattr(usm, "_SnmpUSMSecurityModel__timelineExpQueue", None)
    if not isinstance(queue, dict):
        return
    latest: dict[Any, int] = {}
    for tick in sorted(queue):
        for engine_id in queue[tick]:
            latest[engine_id] = tick
    kept: dict[int, list[Any]] = {}
    for engine_id, tick in latest.items():
        kept.setdefault(tick, []).append(engine_id)
    queue.clear()
    queue.update(kept)


def _on_answer(
    engine: Any,
    mp_model: Any,
    sec_model: Any,
    sec_name: Any,
    level: Any,
    context_id: Any,
    context: Any,
    pdu_version: Any,
    pdu: Any,
    status: Any,
    handle: Any,
    answer: asyncio.Future[tuple[Any, Any]],
) -> None:
    """pysnmp's callback for a response, a report or a timeout of one sent PDU."""
    if not answer.done():  # the waiting probe may have been cancelled meanwhile
        answer.set_result((status, pdu))

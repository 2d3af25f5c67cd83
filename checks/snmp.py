"""SNMP GET and bounded table walks over pysnmp 7 (asyncio), for every SNMP check.

Requests go straight to pysnmp's message dispatcher (``_Engines.send``) with destination,
security parameters and retries given per request. pysnmp's high-level API
(``hlapi.get_cmd``) is not used: it adds a row to the engine's SNMP-TARGET-MIB for every
new device, and pysnmp rebuilds a lookup map over that whole table on the next response,
so a first sweep over 2,000 v2c devices took ~13 ms of CPU per check (quadratic); it also
resolves every request's target and varbinds through MIB objects (bench/README.md).

Engines are few: creating one costs ~70 ms of CPU (FACTS.md: never one per request).
SNMPv3 needs more than one for two reasons. An engine keeps one USM row per user name, so
two credentials with the same user name but different keys would overwrite each other's
keys mid-flight: a conflicting credential gets an engine of its own. And an engine keeps a
USM row per agent (engine id) too, with the same whole-table rebuild after each new one,
so each engine serves at most ``V3_AGENTS_PER_ENGINE`` v3 agents. ``_tidy_usm_timeline``
works around pysnmp forgetting v3 agents' clocks too early (and holding memory for it).

Failures come back from pysnmp as an ``errorIndication``; they are raised here as
``ProbeFailure`` with the state the check should show. No reason ever carries a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.hlapi.v3arch import asyncio as hl
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.api import v2c
from pysnmp.proto.error import StatusInformation
from pysnmp.proto.proxy.rfc2576 import v1_to_v2, v2_to_v1

from checks.evaluate import ProbeFailure
from checks.result import CheckState
from data.models import SnmpCredential

SnmpValue = int | str | None  # None: no such object / instance (or a bare NULL)
Oid = tuple[int, ...]

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
# what a v3 agent reports when the user, keys or protocols do not match its own
_AUTH_FAILURES = (
    errind.WrongDigest, errind.UnknownUserName, errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel, errind.DecryptionError, errind.AuthenticationError,
    errind.AuthenticationFailure, errind.NotInTimeWindow, errind.UnsupportedAuthProtocol,
    errind.UnsupportedPrivProtocol,
)  # fmt: skip
_NO_SUCH_NAME = 2  # SNMPv1 errorStatus for a missing object
_NULL = v2c.Null("")
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


def parse_oid(text: str) -> Oid:
    return tuple(int(part) for part in text.strip(".").split("."))


def oid_text(oid: Oid) -> str:
    return ".".join(map(str, oid))


def _decode(raw: bytes) -> str:
    raw = raw.rstrip(b"\x00")  # some agents pad DisplayStrings with NULs
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")  # Chinese vendors' sysDescr may be GBK


def python_value(value: Any) -> SnmpValue:
    """An SNMP value as int, text or None (missing); anything else as its printed form."""
    if isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | univ.Null):
        return None
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, rfc1902.IpAddress):
        return str(value.prettyPrint())
    if isinstance(value, univ.OctetString):
        return _decode(bytes(value.asOctets()))
    if isinstance(value, univ.ObjectIdentifier):
        return oid_text(tuple(value))
    return str(value.prettyPrint())


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


def auth_data(cred: SnmpCredential) -> hl.CommunityData | hl.UsmUserData:
    """pysnmp's auth object for a credential (v1/v2c community or v3 USM user)."""
    if cred.version in ("1", "2c"):
        assert cred.community is not None  # the model guarantees it
        return hl.CommunityData(
            cred.community.get_secret_value(), mpModel=0 if cred.version == "1" else 1
        )
    return hl.UsmUserData(
        cred.user,
        authKey=cred.auth_key.get_secret_value() if cred.auth_key else None,
        privKey=cred.priv_key.get_secret_value() if cred.priv_key else None,
        authProtocol=AUTH_PROTOCOLS[cred.auth_protocol] if cred.auth_protocol else None,
        privProtocol=PRIV_PROTOCOLS[cred.priv_protocol] if cred.priv_protocol else None,
    )


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
        self, address: tuple[str, int], cred: SnmpCredential, mark: str, pdu: Any,
        timeout: float, retries: int,
    ) -> tuple[Any, Any]:  # fmt: skip
        chosen = self.pick(cred, address, mark)
        engine, how = chosen.engine, chosen.security(cred, mark)
        wire = v2_to_v1(pdu) if how.mp_model == 0 else pdu
        ticks = timeout / engine.transport_dispatcher.get_timer_resolution()
        loop = asyncio.get_running_loop()
        tries = discoveries = 0
        while True:
            answer: asyncio.Future[tuple[Any, Any]] = loop.create_future()
            try:
                engine.message_dispatcher.send_pdu(
                    engine, udp.DOMAIN_NAME, address, how.mp_model, how.sec_model, how.name,
                    how.level, None, how.context, min(how.mp_model, 1), wire, True, ticks,
                    _on_answer, answer,
                )  # fmt: skip
            except StatusInformation as e:
                return e["errorIndication"], None
            status, reply = await answer
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


class SnmpClient:
    """Shared SNMP client: ``get`` (one PDU for all OIDs) and ``walk`` (GETBULK, bounded)."""

    def __init__(self, *, max_rows: int = 10_000, varbinds_per_request: int = 60) -> None:
        self.max_rows = max_rows  # per walked column: a runaway agent cannot fill memory
        self.varbinds_per_request = varbinds_per_request
        self._engines = _Engines()
        self._addresses: dict[tuple[str, int], tuple[str, int]] = {}

    @property
    def engine_count(self) -> int:
        return len(self._engines.all)

    def close(self) -> None:
        """Release sockets and timers of every engine (they live until closed)."""
        self._engines.close()
        self._addresses.clear()

    async def _address(self, host: str, port: int) -> tuple[str, int]:
        """host:port as an IPv4 socket address, resolved once (like a transport target)."""
        key = (host, port)
        if key not in self._addresses:
            try:
                found = await asyncio.get_running_loop().getaddrinfo(
                    host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM
                )
            except OSError as e:
                raise ProbeFailure(CheckState.UNKNOWN, f"cannot resolve {host}: {e}") from None
            self._addresses[key] = (str(found[0][4][0]), int(found[0][4][1]))
        return self._addresses[key]

    async def _request(
        self, host: str, port: int, cred: SnmpCredential, pdu: Any, timeout: float, retries: int
    ) -> tuple[Any, Any]:
        address = await self._address(host, port)
        return await self._engines.send(address, cred, pdu, timeout, retries)

    async def get(
        self,
        host: str,
        port: int,
        cred: SnmpCredential,
        oids: Sequence[str],
        *,
        timeout: float,
        retries: int,
    ) -> dict[str, SnmpValue]:
        """Values of ``oids`` (dotted text) in one GET; missing objects map to None."""
        wanted = [parse_oid(o) for o in oids]
        pdu = v2c.GetRequestPDU()
        v2c.apiPDU.set_defaults(pdu)
        v2c.apiPDU.set_varbinds(pdu, [(o, _NULL) for o in wanted])
        indication, reply = await self._request(host, port, cred, pdu, timeout, retries)
        status, index = _status(reply)
        if status and int(status) == _NO_SUCH_NAME and cred.version == "1":
            missing = oid_text(wanted[int(index) - 1]) if 0 < int(index) <= len(wanted) else "?"
            raise ProbeFailure(CheckState.UNKNOWN, f"no such object {missing}")
        _raise_for(indication, status, index, wanted, cred, timeout, retries)
        got = {tuple(name): python_value(value) for name, value in v2c.apiPDU.get_varbinds(reply)}
        return {oid_text(o): got.get(o) for o in wanted}

    async def walk(
        self,
        host: str,
        port: int,
        cred: SnmpCredential,
        roots: Sequence[str],
        *,
        timeout: float,
        retries: int,
    ) -> dict[str, dict[str, SnmpValue]]:
        """Every object under each root, walked side by side: {root: {index: value}}.

        The walk stops at each subtree's end (never past it), refuses OIDs that do not
        increase (an agent that loops) and more than ``max_rows`` rows per root.
        """
        root_oids = {r: parse_oid(r) for r in roots}
        rows: dict[str, dict[str, SnmpValue]] = {r: {} for r in roots}
        cursor = dict(root_oids)
        active = list(roots)
        while active:
            if cred.version == "1":  # no GETBULK in v1: GETNEXT, one row at a time
                pdu = v2c.GetNextRequestPDU()
                v2c.apiPDU.set_defaults(pdu)
            else:
                pdu = v2c.GetBulkRequestPDU()
                v2c.apiBulkPDU.set_defaults(pdu)
                v2c.apiBulkPDU.set_non_repeaters(pdu, 0)
                repetitions = max(1, self.varbinds_per_request // len(active))
                v2c.apiBulkPDU.set_max_repetitions(pdu, repetitions)
            v2c.apiPDU.set_varbinds(pdu, [(cursor[r], _NULL) for r in active])
            indication, reply = await self._request(host, port, cred, pdu, timeout, retries)
            status, index = _status(reply)
            if status and int(status) == _NO_SUCH_NAME and cred.version == "1":
                # v1 reports the end of the MIB as noSuchName on the column that ran out
                done = int(index) - 1 if 0 < int(index) <= len(active) else 0
                active.pop(done)
                continue
            var_binds = v2c.apiPDU.get_varbinds(reply) if reply is not None else []
            if indication is None and not status and not var_binds:
                indication = errind.emptyResponse  # else an agent could loop us forever
            asked_now = [cursor[r] for r in active]
            _raise_for(indication, status, index, asked_now, cred, timeout, retries)
            finished = self._take(active, var_binds, root_oids, cursor, rows)
            active = [r for r in active if r not in finished]
        return rows

    def _take(
        self,
        active: list[str],
        var_binds: Sequence[Any],
        root_oids: dict[str, Oid],
        cursor: dict[str, Oid],
        rows: dict[str, dict[str, SnmpValue]],
    ) -> set[str]:
        """File one GETBULK/GETNEXT answer (row-major, one column per active root)."""
        finished: set[str] = set()
        for position, var_bind in enumerate(var_binds):
            root = active[position % len(active)]
            if root in finished:
                continue
            name, value = tuple(var_bind[0]), var_bind[1]
            base = root_oids[root]
            if isinstance(value, rfc1905.EndOfMibView) or name[: len(base)] != base:
                finished.add(root)
                continue
            if len(name) <= len(base) or name <= cursor[root]:
                raise ProbeFailure(
                    CheckState.UNKNOWN, f"agent returned OIDs out of order under {root}"
                )
            cursor[root] = name
            rows[root][oid_text(name[len(base) :])] = python_value(value)
            if len(rows[root]) > self.max_rows:
                raise ProbeFailure(
                    CheckState.UNKNOWN, f"more than {self.max_rows} rows under {root}"
                )
        return finished


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
    engine: Any, mp_model: Any, sec_model: Any, sec_name: Any, level: Any, context_id: Any,
    context: Any, pdu_version: Any, pdu: Any, status: Any, handle: Any,
    answer: asyncio.Future[tuple[Any, Any]],
) -> None:  # fmt: skip
    """pysnmp's callback for a response, a report or a timeout of one sent PDU."""
    if not answer.done():  # the waiting probe may have been cancelled meanwhile
        answer.set_result((status, pdu))


def _status(reply: Any) -> tuple[Any, Any]:
    """A response's (errorStatus, errorIndex); (0, 0) without a response."""
    if reply is None:
        return 0, 0
    return v2c.apiPDU.get_error_status(reply), v2c.apiPDU.get_error_index(reply, muteErrors=True)


def _silent_failure_hint(cred: SnmpCredential) -> str:
    """What else an agent's silence can mean: these mistakes get no answer at all."""
    if cred.version != "3":
        return "; a wrong community looks the same"
    return "; a wrong priv_key looks the same" if cred.priv_key is not None else ""


def _raise_for(
    indication: Any, status: Any, index: Any, asked: Sequence[Oid], cred: SnmpCredential,
    timeout: float, retries: int,
) -> None:  # fmt: skip
    """Turn pysnmp's error triple into a ProbeFailure with the state it deserves."""
    if isinstance(indication, errind.RequestTimedOut):
        tries = retries + 1
        raise ProbeFailure(
            CheckState.CRITICAL,
            f"no response (timeout {timeout:g}s, {tries} {'try' if tries == 1 else 'tries'}"
            f"{_silent_failure_hint(cred)})",
        )
    if isinstance(indication, _AUTH_FAILURES):
        raise ProbeFailure(CheckState.CRITICAL, f"SNMPv3 authentication failed: {indication}")
    if indication:
        raise ProbeFailure(CheckState.UNKNOWN, f"SNMP error: {indication}")
    if status:
        position = int(index)
        where = f" at {oid_text(asked[position - 1])}" if 0 < position <= len(asked) else ""
        raise ProbeFailure(CheckState.UNKNOWN, f"agent error {status.prettyPrint()}{where}")

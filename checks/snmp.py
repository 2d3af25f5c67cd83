"""SNMP GET and bounded table walks over pysnmp 7 (asyncio), for every SNMP check.

Requests are sent by the engine pool in ``checks.snmp_engines`` (why not pysnmp's
high-level API, and how many engines, is told there). This module builds the PDUs, walks
tables within bounds and turns answers into Python values.

Failures come back from pysnmp as an ``errorIndication``; they are raised here as
``ProbeFailure`` with the state the check should show. No reason ever carries a key.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch import asyncio as hl
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.api import v2c

from checks.drops import DropCounters
from checks.evaluate import ProbeFailure
from checks.result import CheckState
from checks.snmp_engines import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    TIMELINE_TIDY_EVERY,
    V3_AGENTS_PER_ENGINE,
    _Engines,
)
from data.models import SnmpCredential

__all__ = [
    "AUTH_PROTOCOLS",
    "PRIV_PROTOCOLS",
    "TIMELINE_TIDY_EVERY",
    "V3_AGENTS_PER_ENGINE",
    "Oid",
    "SnmpClient",
    "SnmpValue",
    "auth_data",
    "oid_text",
    "parse_oid",
    "python_value",
]

SnmpValue = int | str | None  # None: no such object / instance (or a bare NULL)
Oid = tuple[int, ...]

# what a v3 agent reports when the user, keys or protocols do not match its own
_AUTH_FAILURES = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.DecryptionError,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.NotInTimeWindow,
    errind.UnsupportedAuthProtocol,
    errind.UnsupportedPrivProtocol,
)
_NO_SUCH_NAME = 2  # SNMPv1 errorStatus for a missing object
_NULL = v2c.Null("")


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

    @property
    def dropped(self) -> DropCounters:
        """Replies dropped as not answering any request of ours (``checks.snmp_gate``)."""
        return self._engines.gate.dropped

    @property
    def late_replies(self) -> int:
        """Replies that came from the right agent after their request had timed out."""
        return self._engines.gate.late_replies

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
    indication: Any,
    status: Any,
    index: Any,
    asked: Sequence[Oid],
    cred: SnmpCredential,
    timeout: float,
    retries: int,
) -> None:
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

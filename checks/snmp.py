"""SNMP GET and bounded table walks over pysnmp 7 (asyncio), for every SNMP check.

One SnmpEngine serves all requests (an engine per request costs ~100x the CPU, see
FACTS.md). The exception is SNMPv3: an engine keeps one USM row per user name, so two
credentials with the same user name but different keys would overwrite each other's keys
mid-flight. Each v3 credential therefore goes to the first engine where its user name is
free or already holds exactly these keys; a conflicting one gets an engine of its own.

Failures come back from pysnmp as an ``errorIndication``; they are raised here as
``ProbeFailure`` with the state the check should show. No reason ever carries a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch import asyncio as hl
from pysnmp.proto import errind, rfc1902, rfc1905

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
    """Identifies a v3 key set without keeping the keys in yet another place."""
    parts = [
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
class _EngineSlot:
    engine: Any  # hl.SnmpEngine (untyped library)
    users: dict[str, str] = field(default_factory=dict)  # v3 user name -> key fingerprint


class SnmpClient:
    """Shared SNMP client: ``get`` (one PDU for all OIDs) and ``walk`` (GETBULK, bounded)."""

    def __init__(self, *, max_rows: int = 10_000, varbinds_per_request: int = 60) -> None:
        self.max_rows = max_rows  # per walked column: a runaway agent cannot fill memory
        self.varbinds_per_request = varbinds_per_request
        self._slots: list[_EngineSlot] = []
        self._targets: dict[tuple[str, int, float, int], Any] = {}

    @property
    def engine_count(self) -> int:
        return len(self._slots)

    def close(self) -> None:
        """Release sockets and timers of every engine (they live until closed)."""
        for slot in self._slots:
            slot.engine.close_dispatcher()
        self._slots.clear()
        self._targets.clear()

    def _engine_for(self, cred: SnmpCredential) -> Any:
        if not self._slots:
            self._slots.append(_EngineSlot(hl.SnmpEngine()))
        if cred.version != "3":
            return self._slots[0].engine
        user, mark = cred.user or "", _fingerprint(cred)
        for slot in self._slots:
            owner = slot.users.setdefault(user, mark)
            if owner == mark:
                return slot.engine
        slot = _EngineSlot(hl.SnmpEngine(), {user: mark})
        self._slots.append(slot)
        return slot.engine

    async def _target(self, host: str, port: int, timeout: float, retries: int) -> Any:
        key = (host, port, timeout, retries)
        if key not in self._targets:
            self._targets[key] = await hl.UdpTransportTarget.create(
                (host, port), timeout=timeout, retries=retries
            )
        return self._targets[key]

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
        engine = self._engine_for(cred)
        target = await self._target(host, port, timeout, retries)
        wanted = [parse_oid(o) for o in oids]
        indication, status, index, var_binds = await hl.get_cmd(
            engine,
            auth_data(cred),
            target,
            hl.ContextData(contextName=cred.context),
            *(hl.ObjectType(hl.ObjectIdentity(oid_text(o))) for o in wanted),
            lookupMib=False,
        )
        if status and int(status) == _NO_SUCH_NAME and cred.version == "1":
            missing = oid_text(wanted[int(index) - 1]) if 0 < int(index) <= len(wanted) else "?"
            raise ProbeFailure(CheckState.UNKNOWN, f"no such object {missing}")
        _raise_for(indication, status, index, wanted, cred, timeout, retries)
        got = {tuple(vb[0]): python_value(vb[1]) for vb in var_binds}
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
        engine = self._engine_for(cred)
        target = await self._target(host, port, timeout, retries)
        auth, context = auth_data(cred), hl.ContextData(contextName=cred.context)
        root_oids = {r: parse_oid(r) for r in roots}
        rows: dict[str, dict[str, SnmpValue]] = {r: {} for r in roots}
        cursor = dict(root_oids)
        active = list(roots)
        while active:
            asked = [hl.ObjectType(hl.ObjectIdentity(oid_text(cursor[r]))) for r in active]
            if cred.version == "1":  # no GETBULK in v1: GETNEXT, one row at a time
                reply = await hl.next_cmd(engine, auth, target, context, *asked, lookupMib=False)
            else:
                repetitions = max(1, self.varbinds_per_request // len(active))
                reply = await hl.bulk_cmd(
                    engine, auth, target, context, 0, repetitions, *asked, lookupMib=False
                )
            indication, status, index, var_binds = reply
            if status and int(status) == _NO_SUCH_NAME and cred.version == "1":
                # v1 reports the end of the MIB as noSuchName on the column that ran out
                done = int(index) - 1 if 0 < int(index) <= len(active) else 0
                active.pop(done)
                continue
            asked_now = [cursor[r] for r in active]
            _raise_for(indication, status, index, asked_now, cred, timeout, retries)
            finished = self._take(active, var_binds, root_oids, cursor, rows)
            if not var_binds:
                break  # an agent that answers with nothing would otherwise loop forever
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

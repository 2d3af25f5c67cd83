"""The SNMPv3 users a trap receiver accepts, and the sender engine ids their keys need.

A v3 trap is authenticated with keys localised to the *sender's* engine id (the sender is
the authoritative engine), so pysnmp's USM needs a row per (sender engine id, user). Rows
are made for the ids configured up front (hex, as ``snmptrap -e`` takes them) and, when
learning is on, for any new id seen in a v3 message that names one of our users. The row
is added before pysnmp checks the message, so the digest is still verified with the real
keys: learning an id grants nothing without the key. If the message is then not accepted
the rows are removed again (``forget``), so spoofed ids cannot use up the room for at most
``MAX_ENGINE_IDS`` ids. Keys are kept as master keys (the expensive passphrase hashing is
done once); localising them for a new id is one hash.

One key set per user name: USM has one row per engine id and user, so two credentials
with the same user name and different keys cannot both be accepted. The first listed
wins and the clash is reported in ``warnings``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyasn1.codec.ber import decoder
from pyasn1.type import univ
from pysnmp.entity import config
from pysnmp.proto.api import verdec
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from checks.snmp import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from data.models import SnmpCredential

log = logging.getLogger(__name__)
MAX_ENGINE_IDS = 512  # configured and learned, in all
LEVELS = {"noAuthNoPriv": 1, "authNoPriv": 2, "authPriv": 3}  # as pysnmp numbers them
_USM = 3  # msgSecurityModel of the user-based security model


@dataclass(frozen=True, repr=False)
class V3User:
    credential: str  # the site.yaml credential's name
    user: str
    level: int  # the lowest security level accepted from this user
    auth_protocol: Any
    priv_protocol: Any
    auth_master: Any  # secret: the repr below leaves the keys out
    priv_master: Any

    def __repr__(self) -> str:
        return f"V3User(credential={self.credential!r}, user={self.user!r})"

    @classmethod
    def of(cls, name: str, cred: SnmpCredential) -> V3User:
        auth = AUTH_PROTOCOLS[cred.auth_protocol] if cred.auth_protocol else config.USM_AUTH_NONE
        priv = PRIV_PROTOCOLS[cred.priv_protocol] if cred.priv_protocol else config.USM_PRIV_NONE
        auth_key = univ.OctetString(cred.auth_key.get_secret_value() if cred.auth_key else "")
        priv_key = univ.OctetString(cred.priv_key.get_secret_value() if cred.priv_key else "")
        return cls(
            credential=name,
            user=cred.user or "",
            level=LEVELS[cred.security_level],
            auth_protocol=auth,
            priv_protocol=priv,
            auth_master=config.AUTH_SERVICES[auth].hash_passphrase(auth_key),
            priv_master=config.PRIV_SERVICES[priv].hash_passphrase(auth, priv_key),
        )

    def same_keys(self, other: V3User) -> bool:
        mine = (self.auth_protocol, self.priv_protocol, self.auth_master, self.priv_master)
        return mine == (
            other.auth_protocol,
            other.priv_protocol,
            other.auth_master,
            other.priv_master,
        )


def engine_id_bytes(value: bytes | str) -> bytes:
    """An engine id given as bytes or as hex text (``0x8000...`` like ``snmptrap -e``)."""
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(value.strip().lower().removeprefix("0x").replace(":", ""))


def v3_header(message: bytes) -> tuple[bytes, bytes] | None:
    """(authoritative engine id, user name) of a USM message; None for anything else.
    Raises on a malformed message (pysnmp will then drop it anyway)."""
    if verdec.decode_message_version(message) != 3:
        return None
    whole, _ = decoder.decode(message, asn1Spec=SNMPv3Message())
    if int(whole["msgGlobalData"]["msgSecurityModel"]) != _USM:
        return None
    usm, _ = decoder.decode(bytes(whole["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    return bytes(usm["msgAuthoritativeEngineId"]), bytes(usm["msgUserName"])


class TrapUsers:
    def __init__(self, engine_ids: Iterable[bytes | str] = (), *, learn: bool = True) -> None:
        self.learn = learn
        self.full = False  # the learning limit was reached
        self.warnings: list[str] = []
        self._users: dict[str, V3User] = {}
        self._engine_ids = {engine_id_bytes(e) for e in engine_ids}
        self._engine: Any = None

    @property
    def engine_ids(self) -> frozenset[bytes]:
        """The sender engine ids that have USM rows (the receiver's own among them)."""
        return frozenset(self._engine_ids)

    def add(self, name: str, cred: SnmpCredential) -> None:
        user = V3User.of(name, cred)
        known = self._users.setdefault(user.user, user)
        if known is not user and not known.same_keys(user):
            self.warnings.append(
                f"credentials {known.credential!r} and {name!r} share the v3 user name "
                f"{user.user!r} with different keys; traps are accepted only for "
                f"{known.credential!r}"
            )

    def get(self, user_name: str) -> V3User | None:
        return self._users.get(user_name)

    def install(self, engine: Any) -> None:
        """USM rows on a new receiver engine: each user under the engine's own id (for
        v3 informs, where the receiver is authoritative) and under every known sender id."""
        self._engine = engine
        for user in self._users.values():
            self._add_row(user, None)
            for engine_id in self._engine_ids:
                self._add_row(user, engine_id)
        self._engine_ids.add(bytes(engine.snmpEngineID))  # has its rows: nothing to learn

    def learn_from(self, message: bytes) -> bytes | None:
        """Add rows for a sender engine id first seen in ``message`` and return the id,
        to be kept if pysnmp accepts the message and forgotten if not (see module doc)."""
        if not (self.learn and self._users and self._engine is not None):
            return None
        try:
            header = v3_header(message)
        except Exception:  # not a well-formed v3 message: pysnmp drops it
            return None
        if header is None:
            return None
        engine_id, user_name = header
        # pysnmp refuses ids outside 5..32 bytes itself
        if not 4 < len(engine_id) < 33 or engine_id in self._engine_ids:
            return None
        if self.get(user_name.decode("utf-8", "replace")) is None:
            return None
        if len(self._engine_ids) >= MAX_ENGINE_IDS:
            if not self.full:  # say it once, not once per datagram
                log.warning("no more SNMPv3 engine ids learned: %d known", len(self._engine_ids))
            self.full = True
            return None
        self._engine_ids.add(engine_id)
        for user in self._users.values():
            self._add_row(user, engine_id)
        return engine_id

    def forget(self, engine_id: bytes) -> None:
        """Drop the rows ``learn_from`` added for a message that was then not accepted."""
        self._engine_ids.discard(engine_id)
        for user in self._users.values():
            config.delete_v3_user(self._engine, user.user, univ.OctetString(engine_id))

    def _add_row(self, user: V3User, engine_id: bytes | None) -> None:
        config.add_v3_user(
            self._engine,
            user.user,
            user.auth_protocol,
            user.auth_master,
            user.priv_protocol,
            user.priv_master,
            securityEngineId=None if engine_id is None else univ.OctetString(engine_id),
            authKeyType=config.USM_KEY_TYPE_MASTER,
            privKeyType=config.USM_KEY_TYPE_MASTER,
        )

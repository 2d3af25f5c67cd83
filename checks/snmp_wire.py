"""The few header fields of an SNMP datagram that say who it is for, read without pysnmp.

``read_header`` walks the BER just far enough to match a reply to a request (or a trap to
a credential) before pysnmp spends ~1 ms decoding it: version, community, PDU type and
request-id for v1/v2c; msgID, flags, authoritative engine id and user name for v3 (whose
PDU is encrypted at authPriv). It never raises: anything it cannot read is ``None``, and
such a datagram is garbage to every caller.
"""

from __future__ import annotations

from dataclasses import dataclass

# BER tags
_SEQUENCE, _INTEGER, _OCTET_STRING = 0x30, 0x02, 0x04
# PDU tags (context-specific, constructed)
GET, GET_NEXT, RESPONSE, SET, TRAP_V1 = 0xA0, 0xA1, 0xA2, 0xA3, 0xA4
GET_BULK, INFORM, TRAP_V2, REPORT = 0xA5, 0xA6, 0xA7, 0xA8
PDU_TAGS = frozenset(range(0xA0, 0xA9))
NOTIFICATIONS = frozenset({TRAP_V1, INFORM, TRAP_V2})
USM = 3  # msgSecurityModel of the user-based security model


@dataclass(frozen=True, slots=True)
class Header:
    version: int  # 0: v1, 1: v2c, 3: v3
    pdu_tag: int | None  # None: a v3 PDU that is encrypted
    request_id: int | None  # v1/v2c: the PDU's request-id (a v1 trap has none)
    community: bytes = b""  # v1/v2c
    msg_id: int | None = None  # v3: msgID, what a v3 reply is matched on
    level: int = 1  # v3: 1 noAuthNoPriv, 2 authNoPriv, 3 authPriv (from msgFlags)
    reportable: bool = False  # v3: the sender wants a report if this fails
    engine_id: bytes = b""  # v3: msgAuthoritativeEngineID
    user: bytes = b""  # v3: msgUserName

    @property
    def wire_id(self) -> int | None:
        """The number pysnmp matches a reply on: msgID in v3, the request-id before."""
        return self.msg_id if self.version == 3 else self.request_id


class _Malformed(Exception):
    pass


def _tlv(data: bytes, at: int, end: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the element at ``at``, which must end by ``end``."""
    if at + 2 > end:
        raise _Malformed
    tag, first = data[at], data[at + 1]
    at += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 0 < count <= 4 or at + count > end:  # 0: indefinite length, not in SNMP
            raise _Malformed
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > end:
        raise _Malformed
    return tag, at, at + length


def _expect(data: bytes, at: int, end: int, tag: int) -> tuple[int, int]:
    found, start, stop = _tlv(data, at, end)
    if found != tag:
        raise _Malformed
    return start, stop


def _integer(data: bytes, at: int, end: int) -> tuple[int, int]:
    """(value, position after it) of an INTEGER at ``at``."""
    start, stop = _expect(data, at, end, _INTEGER)
    if not 0 < stop - start <= 5:  # Integer32 and Counter32 values: at most 5 octets
        raise _Malformed
    return int.from_bytes(data[start:stop], "big", signed=True), stop


def _octets(data: bytes, at: int, end: int) -> tuple[bytes, int]:
    start, stop = _expect(data, at, end, _OCTET_STRING)
    return data[start:stop], stop


def read_header(data: bytes) -> Header | None:
    """The header of an SNMP message, or None if ``data`` is not one."""
    try:
        return _read(data)
    except _Malformed:
        return None


def _read(data: bytes) -> Header:
    start, end = _expect(data, 0, len(data), _SEQUENCE)
    version, at = _integer(data, start, end)
    if version in (0, 1):
        community, at = _octets(data, at, end)
        tag, start, stop = _tlv(data, at, end)
        if tag not in PDU_TAGS:
            raise _Malformed
        request_id = None if tag == TRAP_V1 else _integer(data, start, stop)[0]
        return Header(version, tag, request_id, community=community)
    if version != 3:
        raise _Malformed
    start, stop = _expect(data, at, end, _SEQUENCE)  # msgGlobalData
    msg_id, inner = _integer(data, start, stop)
    _, inner = _integer(data, inner, stop)  # msgMaxSize
    flags, inner = _octets(data, inner, stop)
    model, _ = _integer(data, inner, stop)
    if len(flags) != 1 or model != USM or flags[0] & 0x03 == 0x02:  # priv without auth
        raise _Malformed
    level = {0: 1, 1: 2, 3: 3}[flags[0] & 0x03]
    usm, at = _octets(data, stop, end)  # msgSecurityParameters: a BER SEQUENCE inside
    start, stop = _expect(usm, 0, len(usm), _SEQUENCE)
    engine_id, inner = _octets(usm, start, stop)
    _, inner = _integer(usm, inner, stop)  # msgAuthoritativeEngineBoots
    _, inner = _integer(usm, inner, stop)  # msgAuthoritativeEngineTime
    user, _ = _octets(usm, inner, stop)
    tag, start, stop = _tlv(data, at, end)  # msgData: a scopedPDU, or encrypted octets
    pdu_tag: int | None = None
    if tag == _SEQUENCE:
        _, inner = _octets(data, start, stop)  # contextEngineID
        _, inner = _octets(data, inner, stop)  # contextName
        pdu_tag = _tlv(data, inner, stop)[0]
        if pdu_tag not in PDU_TAGS:
            raise _Malformed
    elif tag != _OCTET_STRING or level != 3:
        raise _Malformed
    reportable = bool(flags[0] & 0x04)
    return Header(
        3,
        pdu_tag,
        None,
        msg_id=msg_id,
        level=level,
        reportable=reportable,
        engine_id=engine_id,
        user=user,
    )

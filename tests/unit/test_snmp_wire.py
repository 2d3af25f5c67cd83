"""The SNMP header reader (checks.snmp_wire) and the drop counters (checks.drops)."""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyasn1.codec.ber import encoder
from pysnmp.proto.api import v1 as v1api
from pysnmp.proto.api import v2c
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from checks.drops import OTHER_SOURCES, DropCounters
from checks.snmp_wire import GET, REPORT, RESPONSE, TRAP_V1, TRAP_V2, read_header

ENGINE_ID = b"\x80\x00\x1f\x88\x04lab"


def v3_message(msg_id: int, flags: int, user: bytes, pdu: Any) -> bytes:
    """An SNMPv3 message: ``pdu`` in a plaintext scoped PDU, or None for encrypted data."""
    usm = UsmSecurityParameters()
    usm["msgAuthoritativeEngineId"] = ENGINE_ID
    usm["msgAuthoritativeEngineBoots"] = 1
    usm["msgAuthoritativeEngineTime"] = 12
    usm["msgUserName"] = user
    usm["msgAuthenticationParameters"] = usm["msgPrivacyParameters"] = b""
    message = SNMPv3Message()
    message["msgVersion"] = 3
    for name, value in [
        ("msgID", msg_id),
        ("msgMaxSize", 65507),
        ("msgFlags", bytes([flags])),
        ("msgSecurityModel", 3),
    ]:
        message["msgGlobalData"][name] = value
    message["msgSecurityParameters"] = encoder.encode(usm)
    if pdu is None:
        message["msgData"]["encryptedPDU"] = os.urandom(40)
    else:
        scoped = message["msgData"]["plaintext"]
        scoped["contextEngineId"], scoped["contextName"] = ENGINE_ID, b""
        scoped["data"].setComponentByType(
            pdu.tagSet, pdu, verifyConstraints=False, matchTags=False, matchConstraints=False
        )
    return bytes(encoder.encode(message))


def report() -> Any:
    pdu = v2c.ReportPDU()
    v2c.apiPDU.set_defaults(pdu)
    return pdu


V3_REPORT = v3_message(123456, 0x00, b"", report())


def v2c_message(pdu: object, community: str = "public", version: int = 1) -> bytes:
    api = v2c if version == 1 else v1api
    message = api.Message()
    api.apiMessage.set_defaults(message)
    api.apiMessage.set_community(message, community)
    api.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def test_a_v2c_response_gives_version_community_type_and_request_id() -> None:
    pdu = v2c.ResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, 2_000_000_001)
    header = read_header(v2c_message(pdu, "s3cret"))
    assert header is not None
    assert (header.version, header.community, header.pdu_tag) == (1, b"s3cret", RESPONSE)
    assert header.request_id == header.wire_id == 2_000_000_001


def test_negative_request_ids_and_v1_traps() -> None:
    pdu = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, -5)
    header = read_header(v2c_message(pdu))
    assert header is not None and (header.pdu_tag, header.request_id) == (GET, -5)
    trap = v1api.TrapPDU()
    v1api.apiTrapPDU.set_defaults(trap)
    header = read_header(v2c_message(trap, version=0))
    assert header is not None
    assert (header.version, header.pdu_tag, header.request_id) == (0, TRAP_V1, None)
    trap2 = v2c.TrapPDU()
    v2c.apiTrapPDU.set_defaults(trap2)
    header = read_header(v2c_message(trap2))
    assert header is not None and header.pdu_tag == TRAP_V2


def test_a_v3_report_gives_msg_id_level_engine_id_and_user() -> None:
    header = read_header(V3_REPORT)
    assert header is not None
    assert (header.version, header.msg_id, header.wire_id) == (3, 123456, 123456)
    assert (header.level, header.pdu_tag, header.reportable) == (1, REPORT, False)
    assert (header.engine_id, header.user) == (ENGINE_ID, b"")


def test_an_encrypted_v3_message_has_no_pdu_type() -> None:
    header = read_header(v3_message(7, 0x07, b"ops", None))
    assert header is not None
    assert (header.level, header.reportable, header.user, header.pdu_tag) == (3, True, b"ops", None)
    assert read_header(v3_message(7, 0x01, b"ops", None)) is None  # octets, yet not encrypted
    assert read_header(v3_message(7, 0x02, b"ops", report())) is None  # privacy without auth


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30", b"\x30\x80\x02\x01\x01\x00\x00", b"\x30\x84\xff\xff\xff\xff", b"\x04\x00"],
    ids=["empty", "cut", "indefinite", "too long", "not a sequence"],
)
def test_malformed_datagrams_are_none(data: bytes) -> None:
    assert read_header(data) is None


@given(st.binary(max_size=300))
def test_no_input_makes_it_raise(data: bytes) -> None:
    read_header(data)


@given(st.integers(0, 400))
def test_no_cut_of_a_valid_message_makes_it_raise(cut: int) -> None:
    read_header(V3_REPORT[:cut] + os.urandom(3))


def test_drops_are_counted_per_source_and_reason_and_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    counters = DropCounters("SNMP replies", logging.getLogger("t"), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "t"):
        for _ in range(500):
            counters.note("10.0.0.9", "undecodable")
        counters.note("10.0.0.9", "wrong source")
        counters.note("10.0.0.7", "wrong community")
        assert len(caplog.records) == 2  # the first of each source, at once
        now[0] += 60
        counters.note("10.0.0.9", "undecodable")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[2].startswith("dropped 501 SNMP replies from 10.0.0.9")
    assert "undecodable: 500" in lines[2] and "wrong source: 1" in lines[2]
    assert counters.total == 503
    assert counters.by_source() == {"10.0.0.9": 502, "10.0.0.7": 1}
    assert counters.by_reason() == {"undecodable": 501, "wrong source": 1, "wrong community": 1}
    assert counters.summary(1) == "10.0.0.9: 502"


def test_sources_beyond_the_limit_are_counted_together() -> None:
    counters = DropCounters("traps", logging.getLogger("t"), max_sources=2)
    for host in ("a", "b", "c", "d", "a"):
        counters.note(host, "x")
    assert counters.by_source() == {"a": 2, "b": 1, OTHER_SOURCES: 2}

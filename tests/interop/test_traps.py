"""The trap receiver against real senders: net-snmp's snmptrap and pysnmp's originator.

Every wait is on the receiver's event queue with a deadline. A notification that must be
dropped is followed by a good one (the sentinel) from the same loopback: datagrams are
read in arrival order, so once the sentinel's event is here the dropped one has been
processed, and ``stats`` tells what became of it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyasn1.type import univ
from pysnmp.hlapi.v3arch import asyncio as hl

from checks.snmp import auth_data
from checks.trap_usm import engine_id_bytes
from checks.traps import TrapEvent, TrapReceiver
from data.models import Site

from .conftest import need

pytestmark = pytest.mark.interop
DEADLINE = 5.0  # generous for a shared 2-core machine; a pass takes milliseconds
COMMUNITY, V3_USER = "trap-community", "trapper"
AUTH_KEY, PRIV_KEY = "trap-auth-key", "trap-priv-key"
SENDER_ENGINE, OTHER_ENGINE = "0x80001f8880c0ffee0001", "0x80001f8880aaaaaaaa"
COLD_START, WARM_START = "1.3.6.1.6.3.1.1.5.1", "1.3.6.1.6.3.1.1.5.2"
LINK_DOWN, UPS_ON_BATTERY = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.33.2.1"
V2C = ("-v", "2c", "-c", COMMUNITY)
V3 = (
    "-v",
    "3",
    "-u",
    V3_USER,
    "-l",
    "authPriv",
    "-a",
    "SHA",
    "-A",
    AUTH_KEY,
    "-x",
    "AES",
    "-X",
    PRIV_KEY,
)
Start = Callable[..., Any]  # start_listener(site=None, **TrapReceiver options) -> Listener
Send = Callable[..., Any]  # snmptrap(options, port, *arguments)


def trap_site(host: str = "127.0.0.1") -> Site:
    v3 = {
        "version": "3",
        "user": V3_USER,
        "auth_protocol": "SHA",
        "auth_key": AUTH_KEY,
        "priv_protocol": "AES",
        "priv_key": PRIV_KEY,
    }
    return Site.model_validate(
        {
            "site": {"name": "t", "shifts": [{"name": "d", "start": "08:00", "end": "20:00"}]},
            "zones": [{"id": "z", "name": "Z"}],
            "credentials": {
                "legacy": {"snmp": {"version": "2c", "community": COMMUNITY}},
                "core-v3": {"snmp": v3},
            },
            "devices": [
                {"id": "core-sw-1", "name": "core", "kind": "switch", "zone": "z", "host": host}
            ],
            "traps": {"credentials": ["legacy", "core-v3"]},
        }
    )


@dataclass
class Listener:
    """A started receiver, the events it delivered, and a deadline-bound wait for them."""

    receiver: TrapReceiver
    events: asyncio.Queue[TrapEvent]

    @property
    def port(self) -> int:
        return self.receiver.port

    async def next(self) -> TrapEvent:
        return await asyncio.wait_for(self.events.get(), DEADLINE)


@pytest.fixture
async def start_listener() -> AsyncIterator[Start]:
    """``await start_listener(site=..., **receiver_options)`` on a free port; all stop after."""
    started: list[TrapReceiver] = []

    async def start(site: Site | None = None, **options: Any) -> Listener:
        events: asyncio.Queue[TrapEvent] = asyncio.Queue()
        receiver = TrapReceiver(site or trap_site(), events.put_nowait, port=0, **options)
        await receiver.start()
        started.append(receiver)
        return Listener(receiver, events)

    yield start
    for receiver in started:
        await receiver.stop()


@pytest.fixture
async def listener(start_listener: Start) -> Listener:
    return await start_listener()  # type: ignore[no-any-return]


@pytest.fixture
def snmptrap(tmp_path: Path) -> Send:
    """``await snmptrap(options, port, uptime, trap_oid, *oid_type_value)``: net-snmp's
    snmptrap to 127.0.0.1:port (for ``-v 1`` the rest is v1's enterprise, address...)."""
    binary = need("snmptrap")
    # no MIBs (numeric OIDs only) and no state or config from the user's home directory
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(tmp_path), "HOME": str(tmp_path)}

    async def run(options: tuple[str, ...], port: int, *rest: str) -> None:
        process = await asyncio.create_subprocess_exec(
            binary,
            *options,
            f"127.0.0.1:{port}",
            *rest,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), DEADLINE)
        assert process.returncode == 0, output.decode(errors="replace")

    return run


async def pysnmp_send(port: int, credential: str, *varbinds: Any, notify: str = "trap") -> Any:
    """Send with pysnmp's notification originator; returns the errorIndication. Its new
    engine has a fresh random engine id (an explicit one would make pysnmp write to /tmp)."""
    cred = trap_site().credentials[credential].snmp
    assert cred is not None
    engine = hl.SnmpEngine()
    try:
        target = await hl.UdpTransportTarget.create(("127.0.0.1", port), timeout=2, retries=1)
        error, _, _, _ = await hl.send_notification(
            engine, auth_data(cred), target, hl.ContextData(), notify, *varbinds
        )
        return error
    finally:
        engine.close_dispatcher()


def varbind(oid: str, value: Any) -> Any:
    return hl.ObjectType(hl.ObjectIdentity(oid), value)


def trap_oid(oid: str) -> Any:
    return varbind("1.3.6.1.6.3.1.1.4.1.0", univ.ObjectIdentifier(oid))


async def test_a_v2c_link_down_from_snmptrap_names_device_and_port(
    listener: Listener, snmptrap: Send
) -> None:
    if_index, if_descr = "1.3.6.1.2.1.2.2.1.1.3", "1.3.6.1.2.1.2.2.1.2.3"
    await snmptrap(V2C, listener.port, "", LINK_DOWN, if_index, "i", "3", if_descr, "s", "Gi0/3")
    event = await listener.next()
    assert (event.kind, event.device_id, event.version) == ("linkDown", "core-sw-1", "2c")
    assert event.message == "Link down on Gi0/3"
    assert event.message_params["if_index"] == "3"
    assert event.varbinds["1.3.6.1.2.1.2.2.1.2.3"] == "Gi0/3"
    assert (event.credential, event.user, event.source_ip) == ("legacy", None, "127.0.0.1")
    assert event.source_port > 0 and event.at.utcoffset() is not None
    assert COMMUNITY not in repr(event)
    assert listener.receiver.stats == dict(received=1, decoded=1, unknown_sender=0, rejected=0)


async def test_a_cold_start(listener: Listener, snmptrap: Send) -> None:
    await snmptrap(V2C, listener.port, "", COLD_START)
    event = await listener.next()
    assert (event.kind, event.oid, event.device_id) == ("coldStart", COLD_START, "core-sw-1")
    assert event.message_key == "trap.cold_start"


async def test_a_v1_trap_is_accepted_and_its_community_is_not_kept(
    listener: Listener, snmptrap: Send
) -> None:
    # v1: enterprise, agent address, generic trap 2 (linkDown), specific 0, uptime
    await snmptrap(
        ("-v", "1", "-c", COMMUNITY),
        listener.port,
        "1.3.6.1.4.1.8072",
        "127.0.0.1",
        "2",
        "0",
        "",
        "1.3.6.1.2.1.2.2.1.1.5",
        "i",
        "5",
    )
    event = await listener.next()
    assert (event.kind, event.version, event.credential) == ("linkDown", "1", "legacy")
    assert event.message == "Link down on ifIndex 5"
    assert event.varbinds["1.3.6.1.6.3.18.1.3.0"] == "127.0.0.1"  # snmpTrapAddress.0
    assert COMMUNITY not in repr(event)


async def test_ups_on_battery_from_pysnmp_v2c(listener: Listener) -> None:
    error = await pysnmp_send(
        listener.port,
        "legacy",
        trap_oid(UPS_ON_BATTERY),
        varbind("1.3.6.1.2.1.33.1.2.3.0", hl.Integer32(17)),
    )
    assert not error
    event = await listener.next()
    assert (event.kind, event.device_id, event.version) == ("ups_on_battery", "core-sw-1", "2c")
    assert event.message == "UPS on battery, about 17 min left"


async def test_a_wrong_community_is_dropped_and_counted(listener: Listener, snmptrap: Send) -> None:
    await snmptrap(("-v", "2c", "-c", "not-the-community"), listener.port, "", COLD_START)
    await snmptrap(V2C, listener.port, "", WARM_START)  # the sentinel
    assert (await listener.next()).kind == "warmStart" and listener.events.empty()
    assert (listener.receiver.stats["rejected"], listener.receiver.stats["decoded"]) == (1, 1)
    assert listener.receiver.dropped.counts() == {("127.0.0.1", "wrong community"): 1}


async def test_v3_auth_priv_from_snmptrap_given_or_learned_engine_id(
    listener: Listener, snmptrap: Send
) -> None:
    await snmptrap((*V3, "-e", SENDER_ENGINE), listener.port, "", COLD_START)
    event = await listener.next()
    assert (event.kind, event.version, event.device_id) == ("coldStart", "3", "core-sw-1")
    assert (event.credential, event.user) == ("core-v3", V3_USER)
    for secret in (AUTH_KEY, PRIV_KEY):
        assert secret not in repr(event) and secret not in repr(listener.receiver.__dict__)
    for _ in range(2):  # without -e net-snmp uses its own id: learned, then reused
        await snmptrap(V3, listener.port, "", WARM_START)
        assert (await listener.next()).kind == "warmStart"


async def test_without_learning_only_configured_engine_ids_are_accepted(
    start_listener: Start, snmptrap: Send
) -> None:
    strict = await start_listener(learn_engine_ids=False, engine_ids=[SENDER_ENGINE])
    await snmptrap((*V3, "-e", OTHER_ENGINE), strict.port, "", WARM_START)
    await snmptrap((*V3, "-e", SENDER_ENGINE), strict.port, "", COLD_START)
    assert (await strict.next()).kind == "coldStart"
    assert strict.events.empty() and strict.receiver.stats["rejected"] == 1
    assert strict.receiver.dropped.by_reason() == {"unknown engine id": 1}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (("-A", "wrong-auth-key"), "authentication failed"),
        (("-X", "wrong-priv-key"), "authentication failed"),
        (("-a", "MD5"), "authentication failed"),
        (("-u", "intruder"), "unknown user"),
        (("-l", "authNoPriv"), "below security level"),
        (("-l", "noAuthNoPriv"), "below security level"),
    ],
    ids=[
        "wrong-auth-key",
        "wrong-priv-key",
        "wrong-auth-protocol",
        "unknown-user",
        "below-level-auth",
        "below-level-noauth",
    ],
)
async def test_v3_with_wrong_keys_or_a_lower_level_is_rejected(
    listener: Listener, snmptrap: Send, bad: tuple[str, str], reason: str
) -> None:
    options = list(V3)
    flag = options.index(bad[0])
    options[flag + 1] = bad[1]
    if bad[1] == "noAuthNoPriv":  # the user name alone, nothing to check it by
        options = ["-v", "3", "-u", V3_USER, "-l", "noAuthNoPriv"]
    await snmptrap((*options, "-e", OTHER_ENGINE), listener.port, "", LINK_DOWN)
    await snmptrap((*V3, "-e", SENDER_ENGINE), listener.port, "", COLD_START)  # sentinel
    assert (await listener.next()).kind == "coldStart"
    assert listener.events.empty() and listener.receiver.stats["rejected"] == 1
    assert listener.receiver.dropped.counts() == {("127.0.0.1", reason): 1}
    # the id was learned for the check and forgotten after it failed; the good one is kept
    known = listener.receiver.engine_ids
    assert engine_id_bytes(SENDER_ENGINE) in known and engine_id_bytes(OTHER_ENGINE) not in known


async def test_v3_trap_and_inform_from_pysnmp(listener: Listener) -> None:
    error = await pysnmp_send(listener.port, "core-v3", trap_oid(UPS_ON_BATTERY))
    assert not error
    event = await listener.next()
    assert (event.kind, event.version, event.user) == ("ups_on_battery", "3", V3_USER)
    # an inform: the receiver is the authoritative engine, pysnmp discovers it and waits
    # for the acknowledgement
    error = await pysnmp_send(listener.port, "core-v3", trap_oid(LINK_DOWN), notify="inform")
    assert not error
    assert (await listener.next()).kind == "linkDown"
    assert listener.receiver.dropped.total == 0  # its discovery probe is no drop


async def test_an_unknown_sender_is_delivered_without_a_device(
    start_listener: Start, snmptrap: Send
) -> None:
    elsewhere = await start_listener(site=trap_site(host="127.0.0.2"))
    await snmptrap(V2C, elsewhere.port, "", COLD_START)
    event = await elsewhere.next()
    assert (event.device_id, event.device_ids, event.kind) == (None, (), "coldStart")
    assert elsewhere.receiver.stats["unknown_sender"] == 1


async def test_garbage_does_not_stop_the_receiver(listener: Listener, snmptrap: Send) -> None:
    # the last one: an SNMPv3 message cut short after its version
    junk = [
        b"",
        b"\x00",
        b"\x30\x82\xff\xff",
        b"not snmp",
        bytes(range(256)) * 4,
        b"\x30\x03\x02\x01\x03",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for datagram in junk:
            s.sendto(datagram, ("127.0.0.1", listener.port))
    await snmptrap(V2C, listener.port, "", COLD_START)
    assert (await listener.next()).kind == "coldStart"
    stats = listener.receiver.stats
    assert (stats["received"], stats["rejected"], stats["decoded"]) == (len(junk) + 1, len(junk), 1)
    assert listener.receiver.dropped.counts() == {("127.0.0.1", "undecodable"): len(junk)}


async def test_a_garbage_flood_logs_one_line_per_source(
    listener: Listener, snmptrap: Send, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(100):  # more could overflow the socket's receive buffer
            s.sendto(os.urandom(120), ("127.0.0.1", listener.port))
        await snmptrap(("-v", "2c", "-c", "not-the-community"), listener.port, "", COLD_START)
        await snmptrap(V2C, listener.port, "", WARM_START)  # the sentinel
        assert (await listener.next()).kind == "warmStart"
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert len(noisy) == 1 and "127.0.0.1" in noisy[0].getMessage()
    assert listener.receiver.dropped.by_source() == {"127.0.0.1": 101}
    assert listener.receiver.dropped.by_reason() == {"undecodable": 100, "wrong community": 1}


async def test_a_failing_handler_does_not_stop_the_receiver(snmptrap: Send) -> None:
    seen: asyncio.Queue[TrapEvent] = asyncio.Queue()

    def handler(event: TrapEvent) -> None:
        seen.put_nowait(event)
        raise RuntimeError("handler bug")

    async with TrapReceiver(trap_site(), handler, port=0) as receiver:
        for kind, oid in (("coldStart", COLD_START), ("warmStart", WARM_START)):
            await snmptrap(V2C, receiver.port, "", oid)
            assert (await asyncio.wait_for(seen.get(), DEADLINE)).kind == kind


async def test_stop_releases_the_port_and_a_taken_port_is_refused() -> None:
    receiver = TrapReceiver(trap_site(), lambda event: None, port=0)
    await receiver.start()
    port = receiver.port
    assert port > 0 and receiver.running
    clash = TrapReceiver(trap_site(), lambda event: None, port=port)
    with pytest.raises(OSError):
        await clash.start()
    await receiver.stop()
    await receiver.stop()  # twice is harmless
    assert not receiver.running
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))  # free again

"""Dropped SNMP datagrams are shown: in the console header and after ``check --once``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto.api import v2c

from console.cli import main
from tests.support.console import make_app, wait_until

UPTIME = "1.3.6.1.2.1.1.3.0"


async def test_the_header_counts_dropped_replies_and_traps(tmp_path: Path) -> None:
    app = make_app(tmp_path / "console.db", language="en", start_checks=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.live is not None)
        assert app.live is not None
        assert "SNMP dropped" not in app.status_text()
        app.live.runtime.context.snmp.dropped.note("127.0.0.3", "wrong source")
        app.live.runtime.context.snmp.dropped.note("127.0.0.3", "undecodable")
        assert "SNMP dropped 2" in app.status_text()


@pytest.fixture
def garbling_agent() -> Iterator[int]:
    """A v2c 'agent' on 127.0.0.3 that sends a garbage datagram before each real answer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.3", 0))
    sock.settimeout(0.05)  # how often the loop looks at ``stop``
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            message, _ = decoder.decode(data, asn1Spec=v2c.Message())
            reply = v2c.apiMessage.get_response(message)
            pdu = v2c.apiMessage.get_pdu(reply)
            asked = v2c.apiPDU.get_varbinds(v2c.apiMessage.get_pdu(message))
            v2c.apiPDU.set_varbinds(pdu, [(name, v2c.TimeTicks(4200)) for name, _ in asked])
            sock.sendto(b"\x30\x03garbage", addr)
            sock.sendto(encoder.encode(reply), addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(sock.getsockname()[1])
    stop.set()
    thread.join(5)
    sock.close()


def test_check_once_reports_dropped_replies(
    tmp_path: Path, garbling_agent: int, capsys: pytest.CaptureFixture[str]
) -> None:
    check = {
        "id": "up",
        "type": "snmp",
        "credential": "v2",
        "port": garbling_agent,
        "oid": UPTIME,
        "timeout": 2,
    }
    device = {
        "id": "dev",
        "name": "dev",
        "kind": "server",
        "zone": "z",
        "host": "127.0.0.3",
        "checks": [check],
    }
    site = {
        "site": {
            "name": "t",
            "language": "en",
            "shifts": [{"name": "d", "start": "08:00", "end": "20:00"}],
        },
        "credentials": {"v2": {"snmp": {"version": "2c", "community": "public"}}},
        "zones": [{"id": "z", "name": "z"}],
        "devices": [device],
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(site), encoding="utf-8")

    assert main(["check", "--once", "--site", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 SNMP replies dropped" in out and "127.0.0.3: 1" in out

    assert main(["check", "--once", "--json", "--site", str(path)]) == 0
    captured = capsys.readouterr()
    assert "dropped" not in captured.out and "127.0.0.3: 1" in captured.err

"""TCP, HTTP(S) and ping checks against small servers started in the test, on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from checks import net
from checks.probe import ProbeContext, run_probe
from checks.result import CheckState, ProbeResult
from tests.interop.lab import lab_site

PAGES = {
    "/": b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nhello dutydesk",
    "/missing": b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    "/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"6\r\nstatus\r\n4\r\n: up\r\n0\r\n\r\n",
    "/to-eof": b"HTTP/1.0 200 OK\r\n\r\nno length, ends at close",
    "/garbage": b"\x00\x01 this is not http\r\n\r\n",
}


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    path = (await reader.readline()).split()[1].decode()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    if path == "/slow":
        await asyncio.Event().wait()  # never answers; the client gives up
    writer.write(PAGES[path])
    await writer.drain()
    writer.close()


Serve = Callable[..., Awaitable[int]]


@pytest.fixture
async def web() -> AsyncIterator[Serve]:
    """``port = await web(tls=None)``: the PAGES server on 127.0.0.1."""
    servers: list[asyncio.Server] = []

    async def start(tls: ssl.SSLContext | None = None) -> int:
        server = await asyncio.start_server(_serve, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def ctx() -> AsyncIterator[ProbeContext]:
    context = ProbeContext()
    yield context
    await context.close()


async def _probe(ctx: ProbeContext, **check: Any) -> ProbeResult:
    site, device = lab_site([{"id": "c", "timeout": 2, **check}], {})
    return await run_probe(site, device, device.checks[0], ctx)


async def test_tcp_open_port_is_ok(web: Serve, ctx: ProbeContext) -> None:
    port = await web()
    result = await _probe(ctx, type="tcp", port=port)
    assert result.state == CheckState.OK and result.unit == "ms"
    assert result.message == f"port {port} open"


async def test_tcp_closed_port_is_critical(ctx: ProbeContext) -> None:
    port = free_tcp_port()
    result = await _probe(ctx, type="tcp", port=port)
    assert (result.state, result.message) == (
        CheckState.CRITICAL,
        f"port {port}: connection refused",
    )


@pytest.mark.parametrize(
    ("path", "extra", "state", "text"),
    [
        ("/", {"body": "hello \\w+"}, CheckState.OK, "HTTP 200"),
        ("/", {"body": "^goodbye"}, CheckState.CRITICAL, "body does not match /^goodbye/"),
        ("/missing", {}, CheckState.CRITICAL, "HTTP 404 (expected 200)"),
        ("/missing", {"status": [200, 404]}, CheckState.OK, "HTTP 404"),
        ("/chunked", {"body": "^status: up$"}, CheckState.OK, "HTTP 200"),
        ("/to-eof", {"body": "ends at close"}, CheckState.OK, "HTTP 200"),
        ("/garbage", {}, CheckState.UNKNOWN, "not HTTP"),
    ],
)
async def test_http(
    web: Serve, ctx: ProbeContext, path: str, extra: dict[str, Any], state: CheckState, text: str
) -> None:
    result = await _probe(ctx, type="http", port=await web(), path=path, **extra)
    assert result.state == state, result.message
    assert text in result.message


async def test_http_slow_server_is_critical_within_timeout(web: Serve, ctx: ProbeContext) -> None:
    result = await _probe(ctx, type="http", port=await web(), path="/slow", timeout=0.3)
    assert (result.state, result.message) == (CheckState.CRITICAL, "no answer within 0.3s")
    assert result.duration_ms < 2000


def _certificate(tmp_path: Path, days: int) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1 valid ``days`` more days: server context, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dutydesk lab")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days, hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, cert_file


@pytest.mark.parametrize(
    ("limits", "state"),
    [
        ({"cert_warn_days": 5, "cert_crit_days": 2}, CheckState.OK),
        ({}, CheckState.WARNING),  # 10 days left, warn below 21 by default
        ({"cert_warn_days": 60, "cert_crit_days": 30}, CheckState.CRITICAL),
    ],
)
async def test_https_certificate_expiry(
    web: Serve, ctx: ProbeContext, tmp_path: Path, limits: dict[str, int], state: CheckState
) -> None:
    server, ca_file = _certificate(tmp_path, days=10)
    port = await web(server)
    result = await _probe(ctx, type="https", port=port, ca_file=str(ca_file), **limits)
    assert result.state == state, result.message
    assert result.values["cert_days"] == 10
    if state != CheckState.OK:
        assert "certificate expires" in result.message and "(10 days)" in result.message


async def test_https_untrusted_certificate_is_critical(
    web: Serve, ctx: ProbeContext, tmp_path: Path
) -> None:
    server, _ = _certificate(tmp_path, days=100)
    result = await _probe(ctx, type="https", port=await web(server))
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("certificate not trusted: self-signed")


async def test_https_verify_off_still_reads_the_expiry(
    web: Serve, ctx: ProbeContext, tmp_path: Path
) -> None:
    server, _ = _certificate(tmp_path, days=3)
    result = await _probe(ctx, type="https", port=await web(server), verify=False)
    assert result.state == CheckState.CRITICAL and result.values["cert_days"] == 3


async def test_ping_loopback(ctx: ProbeContext) -> None:
    result = await _probe(ctx, type="ping", count=2, timeout=1)
    if result.state == CheckState.UNKNOWN:  # a machine with neither ping nor ICMP rights
        assert result.message.startswith("cannot ping")
    else:
        assert result.state == CheckState.OK and result.values["received"] == 2


async def test_ping_over_an_icmp_socket(ctx: ProbeContext) -> None:
    ctx.ping_binary = None
    result = await _probe(ctx, type="ping", count=3, timeout=1)
    if result.state == CheckState.UNKNOWN:
        assert "ICMP sockets are not allowed" in result.message
    else:
        assert (result.state, result.message, result.unit) == (CheckState.OK, "3 replies", "ms")


async def test_ping_without_binary_or_icmp_rights_is_unknown(
    ctx: ProbeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: Any) -> socket.socket:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(net.socket, "socket", refused)
    ctx.ping_binary = None
    result = await _probe(ctx, type="ping", count=1, timeout=1)
    assert result.state == CheckState.UNKNOWN
    assert result.message.startswith("cannot ping: no ping binary")


async def test_ping_binary_output_is_read(ctx: ProbeContext, tmp_path: Path) -> None:
    fake = tmp_path / "ping"  # prints what iputils ping prints for one lost reply of three
    fake.write_text(
        "#!/bin/sh\necho '3 packets transmitted, 2 received, 33% packet loss, time 2003ms'\n"
        "echo 'rtt min/avg/max/mdev = 0.030/0.041/0.050/0.008 ms'\nexit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    ctx.ping_binary = str(fake)
    result = await _probe(ctx, type="ping", count=3, timeout=1)
    assert (result.state, result.value) == (CheckState.WARNING, 0.041)
    assert result.message == "1 of 3 pings lost"

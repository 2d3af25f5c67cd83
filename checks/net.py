"""Plain network checks: TCP connect, HTTP(S) GET, ping.

HTTP is a small asyncio HTTP/1.1 client rather than urllib in a thread: a probe's timeout
then really stops the request (a thread cannot be cancelled and would pile up behind a
stuck server), and the certificate read for the expiry check is the one of the very
connection that answered. Ping uses the system ``ping`` binary (arguments as a list, no
shell) or, without one, an ICMP socket; when neither is possible the check is UNKNOWN.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import socket
import ssl
import struct
import time

from cryptography import x509

from checks.evaluate import ProbeFailure, judge
from checks.result import CheckState, ProbeResult
from data.models import HttpCheck, PingCheck, TcpCheck

BODY_LIMIT = 1024 * 1024  # bytes of body kept for the regex; the rest is not read
_STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3})")


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def _refusal(port: int, error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):  # asyncio's text names the call, not this
        return f"port {port}: connection refused"
    return f"port {port}: {error.strerror or error}"


async def tcp_probe(host: str, port: int, check: TcpCheck) -> ProbeResult:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(check.timeout):
            _, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        reason = f"port {port}: no answer within {check.timeout:g}s"
        raise ProbeFailure(CheckState.CRITICAL, reason) from None
    except OSError as e:
        raise ProbeFailure(CheckState.CRITICAL, _refusal(port, e)) from None
    took = _elapsed_ms(start)
    writer.close()
    return judge(took, check, f"port {port} open", unit="ms")


def tls_context(check: HttpCheck) -> ssl.SSLContext:
    """Verification on by default; ``ca_file`` for a private CA; ``verify: false`` opts out."""
    context = ssl.create_default_context(cafile=str(check.ca_file) if check.ca_file else None)
    if not check.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _cert_days(writer: asyncio.StreamWriter) -> tuple[float, dt.datetime] | None:
    tls = writer.get_extra_info("ssl_object")
    der = tls.getpeercert(binary_form=True) if tls is not None else None
    if not der:
        return None
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    return (not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400, not_after


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while len(body) < BODY_LIMIT:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            body += await reader.readexactly(size)
            await reader.readline()  # the CRLF after each chunk
        return bytes(body[:BODY_LIMIT])
    if "content-length" in headers:
        return await reader.readexactly(min(int(headers["content-length"]), BODY_LIMIT))
    body = bytearray()  # neither: the body runs to the end of the connection
    while len(body) < BODY_LIMIT and (chunk := await reader.read(65536)):
        body += chunk
    return bytes(body[:BODY_LIMIT])


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> tuple[int, bytes]:
    authority = f"[{host}]" if ":" in host else host
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: dutydesk\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n".encode("ascii", "strict")
    )
    await writer.drain()
    status = _STATUS_LINE.match(await reader.readline())
    if status is None:
        raise ProbeFailure(CheckState.UNKNOWN, "the answer is not HTTP/1.x")
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status[1]), await _read_body(reader, headers)


async def http_probe(host: str, port: int, check: HttpCheck) -> ProbeResult:
    secure = check.type == "https"
    start = time.perf_counter()
    try:
        async with asyncio.timeout(check.timeout):
            reader, writer = await asyncio.open_connection(
                host,
                port,
                ssl=tls_context(check) if secure else None,
                server_hostname=host if secure else None,
            )
            try:
                cert = _cert_days(writer) if secure else None
                status, body = await _exchange(reader, writer, host, check.path)
            finally:
                writer.close()
    except TimeoutError:
        raise ProbeFailure(CheckState.CRITICAL, f"no answer within {check.timeout:g}s") from None
    except ssl.SSLCertVerificationError as e:
        reason = f"certificate not trusted: {e.verify_message}"
        raise ProbeFailure(CheckState.CRITICAL, reason) from None
    except ssl.SSLError as e:
        raise ProbeFailure(CheckState.CRITICAL, f"TLS failed: {e.reason or e}") from None
    except (asyncio.IncompleteReadError, ValueError, UnicodeError):
        raise ProbeFailure(CheckState.UNKNOWN, "malformed HTTP answer") from None
    except OSError as e:
        raise ProbeFailure(CheckState.CRITICAL, _refusal(port, e)) from None
    took = _elapsed_ms(start)
    problems: list[tuple[CheckState, str]] = []
    values: dict[str, object] = {"status": status}
    if status not in check.status:
        expected = ", ".join(map(str, check.status))
        problems.append((CheckState.CRITICAL, f"HTTP {status} (expected {expected})"))
    text = body.decode("utf-8", "replace")
    if check.body is not None and not re.search(check.body, text, re.MULTILINE):
        problems.append((CheckState.CRITICAL, f"body does not match /{check.body}/"))
    if cert is not None:
        days, not_after = cert
        values |= {"cert_days": int(days), "cert_not_after": not_after.isoformat()}
        when = f"certificate expires {not_after:%Y-%m-%d} ({int(days)} days)"
        if days < check.cert_crit_days:
            problems.append((CheckState.CRITICAL, when))
        elif days < check.cert_warn_days:
            problems.append((CheckState.WARNING, when))
    floor = max((state for state, _ in problems), default=CheckState.OK)
    message = "; ".join(text for _, text in problems) or f"HTTP {status}"
    return judge(took, check, message, unit="ms", values=values, floor=floor)


def _icmp_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return int(~(total + (total >> 16)) & 0xFFFF)


async def _ping_socket(host: str, count: int, timeout: float) -> list[float]:
    """Round trips (ms) of ``count`` echo requests over an ICMP socket."""
    loop = asyncio.get_running_loop()
    address = (await loop.getaddrinfo(host, None, family=socket.AF_INET))[0][4][0]
    try:  # unprivileged ICMP sockets, where net.ipv4.ping_group_range allows them
        sock, raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False
    except PermissionError:  # a raw socket needs CAP_NET_RAW
        sock, raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True
    ident, token = os.getpid() & 0xFFFF, os.urandom(8)
    rtts: list[float] = []
    with sock:
        sock.setblocking(False)
        for seq in range(count):
            header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            checksum = _icmp_checksum(header + token)
            packet = struct.pack("!BBHHH", 8, 0, checksum, ident, seq) + token
            start = time.perf_counter()
            await loop.sock_sendto(sock, packet, (address, 0))
            try:
                async with asyncio.timeout(timeout):
                    while True:
                        data, source = await loop.sock_recvfrom(sock, 2048)
                        reply = data[(data[0] & 0x0F) * 4 :] if raw else data
                        # the kernel rewrites the id of datagram ICMP: match seq and token
                        if (
                            reply[:1] == b"\0"
                            and reply[6:8] == struct.pack("!H", seq)
                            and (reply[8:] == token and source[0] == address)
                        ):
                            rtts.append(_elapsed_ms(start))
                            break
            except TimeoutError:
                continue
    return rtts


async def _ping_binary(binary: str, host: str, count: int, timeout: float) -> list[float]:
    wait = str(max(1, round(timeout)))
    process = await asyncio.create_subprocess_exec(
        binary,
        "-n",
        "-c",
        str(count),
        "-W",
        wait,
        host,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await process.communicate())[0].decode("utf-8", "replace")
    received = re.search(r"(\d+) (?:packets )?received", output)
    if received is None:
        raise ProbeFailure(CheckState.UNKNOWN, f"ping failed: {output.strip()[:200]}")
    average = re.search(r"= [\d.]+/([\d.]+)/", output)
    replies = int(received[1])
    return [float(average[1])] * replies if average and replies else []


async def ping_probe(host: str, check: PingCheck, *, binary: str | None = "auto") -> ProbeResult:
    """``binary``: "auto" finds ``ping`` on PATH; None means use an ICMP socket."""
    binary = shutil.which("ping") if binary == "auto" else binary
    try:
        if binary:
            rtts = await _ping_binary(binary, host, check.count, check.timeout)
        else:
            rtts = await _ping_socket(host, check.count, check.timeout)
    except PermissionError:
        raise ProbeFailure(
            CheckState.UNKNOWN,
            "cannot ping: no ping binary, and ICMP sockets are not allowed here"
            " (net.ipv4.ping_group_range, CAP_NET_RAW)",
        ) from None
    lost = check.count - len(rtts)
    if not rtts:
        raise ProbeFailure(CheckState.CRITICAL, f"no reply to {check.count} pings")
    floor = CheckState.WARNING if lost else CheckState.OK
    message = f"{lost} of {check.count} pings lost" if lost else f"{check.count} replies"
    average = round(sum(rtts) / len(rtts), 3)
    values: dict[str, object] = {"sent": check.count, "received": len(rtts)}
    return judge(average, check, message, unit="ms", values=values, floor=floor)

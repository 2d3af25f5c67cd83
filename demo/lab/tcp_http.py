"""Plain TCP listeners and tiny HTTP servers for the site's ``tcp`` and ``http`` checks.

Each (device, port) the site checks gets one asyncio server on the device's address. A
port backed by a service the World knows (WebLogic on 7001, DM8 on 5236, GeoServer on
8080, nginx in front of OA on 8081) is open only while that unit is active, and nothing
listens while the device is dead: the console then sees the connection refused, exactly
as when the real process has stopped. ``reconcile()`` opens and closes servers to match.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from data.models import Site
from demo.lab.world import World

log = logging.getLogger(__name__)

BACKING_UNITS = {7001: "weblogic", 5236: "DmServiceDMSERVER", 8080: "geoserver", 8081: "nginx"}
PAGES = {  # path -> (content type, body); other paths of a checked port answer "OK"
    "/oa/health": ("application/json", '{"status":"UP","components":{"db":"UP"}}'),
    "/geoserver/web/": (
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><title>GeoServer: Welcome</title></head>"
        "<body><h1>GeoServer 2.23 (dutydesk demo lab)</h1></body></html>",
    ),
}
REASONS = {200: "OK", 302: "Found", 404: "Not Found", 405: "Method Not Allowed"}


@dataclass
class Endpoint:
    device_id: str
    host: str
    port: int  # where the lab listens (the site's port, maybe moved for tests)
    unit: str | None = None  # the service behind the port: closed while it is not active
    routes: dict[str, int] = field(default_factory=dict)  # http path -> status; empty: tcp


def port_endpoints(site: Site, world: World, port_of: Callable[[int], int]) -> list[Endpoint]:
    """One endpoint per (device, port) named by a tcp or http check."""
    found: dict[tuple[str, int], Endpoint] = {}
    for device in site.devices:
        for check in device.checks:
            if check.type not in ("tcp", "http") or check.port is None:
                continue
            key = (device.id, check.port)
            if key not in found:
                unit = BACKING_UNITS.get(check.port)
                known = unit is not None and world.service_state(device.id, unit) is not None
                found[key] = Endpoint(
                    device.id, device.host, port_of(check.port), unit if known else None
                )
            if check.type == "http":
                found[key].routes[check.path.split("?")[0]] = check.status[0]
    return list(found.values())


async def _answer_http(routes: dict[str, int], reader: asyncio.StreamReader) -> bytes:
    request = (await reader.readline()).decode("latin-1").split()
    while (await reader.readline()).strip():
        pass  # headers: nothing in them matters here
    if len(request) != 3 or not request[2].startswith("HTTP/"):
        return b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    method, path = request[0], request[1].split("?")[0]
    status = routes.get(path, 404)
    if method not in ("GET", "HEAD"):
        status = 405
    content_type, body = PAGES.get(path, ("text/plain; charset=utf-8", "OK\n"))
    if status != 200:
        content_type, body = "text/plain; charset=utf-8", f"{status} {REASONS.get(status, '')}\n"
    data = body.encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\nServer: dutydesk-lab\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n"
    )
    if status == 302:
        head += f"Location: {path}index.html\r\n"
    return (head + "\r\n").encode("latin-1") + (b"" if method == "HEAD" else data)


class PortListeners:
    """The tcp/http endpoints, opened and closed to follow the World."""

    def __init__(self, world: World, endpoints: list[Endpoint]) -> None:
        self.world = world
        self.endpoints = endpoints
        self.servers: dict[int, asyncio.Server] = {}  # by position in endpoints
        self._sessions: dict[asyncio.StreamWriter, asyncio.Future[None]] = {}  # being served

    def wanted(self, endpoint: Endpoint) -> bool:
        if self.world.devices[endpoint.device_id].dead:
            return False
        if endpoint.unit is None:
            return True
        return self.world.service_state(endpoint.device_id, endpoint.unit) == "active"

    def _handler(
        self, endpoint: Endpoint
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            done = self._sessions[writer] = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(10):
                    if endpoint.routes:
                        writer.write(await _answer_http(endpoint.routes, reader))
                        await writer.drain()
                    else:
                        await reader.read(4096)  # a bare TCP service: wait for the client
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                pass
            finally:
                del self._sessions[writer]
                done.set_result(None)
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

        return handle

    async def open(self, position: int) -> None:
        endpoint = self.endpoints[position]
        self.servers[position] = await asyncio.start_server(
            self._handler(endpoint), endpoint.host, endpoint.port
        )

    async def close(self, position: int) -> None:
        server = self.servers.pop(position, None)
        if server is not None:
            server.close()
            await server.wait_closed()

    async def reconcile(self, *, strict: bool = False) -> None:
        """Open what should listen, close what should not. ``strict``: a taken port raises."""
        for position, endpoint in enumerate(self.endpoints):
            wanted, listening = self.wanted(endpoint), position in self.servers
            if wanted and not listening:
                try:
                    await self.open(position)
                except OSError as e:
                    if strict:
                        raise OSError(e.errno, f"{endpoint.host}:{endpoint.port}: {e}") from e
                    log.warning("lab: cannot listen on %s:%s: %s", endpoint.host, endpoint.port, e)
            elif listening and not wanted:
                await self.close(position)

    async def stop(self) -> None:
        for position in list(self.servers):
            await self.close(position)
        # closing a connection ends its handler (the read sees EOF); cancelling the handler
        # task instead makes asyncio log the CancelledError as an unhandled error
        waits = list(self._sessions.values())
        for writer in list(self._sessions):
            writer.close()
        if waits:
            await asyncio.wait(waits, timeout=5)

"""A loopback TCP link to the private PostgreSQL that fails on demand, the way networks do.

- ``arm()``: loses a COMMIT's answer. Armed, it forwards the next client message holding
  ``COMMIT`` to the server, waits for the server's answer (sent only once the commit is
  durable: ``synchronous_commit`` is on), throws that answer away and closes the client's
  connection. The client is left not knowing whether its transaction committed: it did.
  This is the network dropping at the worst moment, made exact, so the store's answer to
  it can be tested without sleeps.
- ``freeze()``: every connection open now goes silent in both directions, without a reset
  (a firewall that forgot the connection, a cable pulled two switches away); connections
  opened afterwards work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine


class FaultyLink:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.cut = asyncio.Event()  # set once a COMMIT's answer was thrown away
        self._armed = False
        self._deliver = True
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._links: list[asyncio.Event] = []  # per connection: set once it is frozen

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def dsn(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def arm(self, *, deliver: bool = True) -> None:
        """Lose the next COMMIT's answer; with ``deliver=False`` lose the COMMIT itself (the
        server's session then waits in its open transaction)."""
        self.cut.clear()
        self._armed = True
        self._deliver = deliver

    def freeze(self) -> None:
        for frozen in self._links:
            frozen.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task

    async def _accept(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        server_in, server_out = await asyncio.open_connection(*self.target)
        cutting = asyncio.Event()  # this connection sent the COMMIT to lose
        frozen = asyncio.Event()
        self._links.append(frozen)

        async def upstream() -> None:
            while data := await client_in.read(65536):
                if frozen.is_set():
                    continue  # lost on the way
                if self._armed and b"COMMIT" in data:
                    self._armed = False
                    cutting.set()
                    if not self._deliver:
                        client_out.transport.abort()
                        self.cut.set()
                        return  # the server's session stays open, in its transaction
                server_out.write(data)
                await server_out.drain()
            server_out.close()

        async def downstream() -> None:
            while data := await server_in.read(65536):
                if frozen.is_set():
                    continue
                if cutting.is_set():  # the commit's answer: lost, and the line with it
                    client_out.transport.abort()
                    server_out.close()
                    self.cut.set()
                    return
                client_out.write(data)
                await client_out.drain()
            client_out.close()

        async def quietly(pump: Coroutine[None, None, None]) -> None:
            with contextlib.suppress(OSError):
                await pump

        for pump in (upstream(), downstream()):
            task = asyncio.create_task(quietly(pump))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

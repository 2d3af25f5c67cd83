"""A TCP port on 127.0.0.1 that a test (or bench/watch.py) opens and closes to make a tcp
check go OK and CRITICAL. A thread accepts, so code that waits synchronously never stalls
it; a closed port refuses connections at once."""

from __future__ import annotations

import contextlib
import socket
import threading


class LoopbackPort:
    def __init__(self) -> None:
        self.listener: socket.socket | None = None
        self.number = 0  # the port, kept across close/open

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.number))
        listener.listen(128)
        self.number = listener.getsockname()[1]
        self.listener = listener

        def accept() -> None:
            with contextlib.suppress(OSError):  # the listener was closed
                while True:
                    listener.accept()[0].close()

        threading.Thread(target=accept, daemon=True).start()

    def close(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None

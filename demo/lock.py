"""One demo at a time per demo folder.

``dutydesk demo`` recreates its database and key on every start, and its lab listens on
fixed loopback ports: a second demo on the same folder would wipe the running one's
records and then fail on a port in use. The first demo takes an exclusive ``flock`` on
``.dutydesk-demo.lock`` in the folder and holds it for its whole life (the kernel drops
it when the process ends, however it ends); a second one finds it taken and refuses
before it touches anything, naming the running demo's pid, written in the file.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from data.i18n import t
from demo.errors import DemoRefused

LOCK_NAME = ".dutydesk-demo.lock"


class DemoLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> DemoLock:
        """Take the lock, or DemoRefused naming the demo holding it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Not truncated on open: the holder's pid must survive a refused attempt.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            message = t("demo.already_running", pid=holder, path=self.path.parent)
            raise DemoRefused(message) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> DemoLock:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()

"""The tests' private PostgreSQL does not outlive a test run that is killed: its reaper
stops the server and removes its folder when the process that started it dies without its
teardown (``kill -9`` of pytest, a crash)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DEADLINE = 30.0
_STARTER = """
import sys, time
from tests.support.postgres import private_postgres
with private_postgres() as server:
    print(server.folder, server.port, flush=True)
    time.sleep(600)
"""


def test_a_killed_test_process_leaves_no_server_behind() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER], stdout=subprocess.PIPE, text=True, cwd=root, env=env
    )
    assert starter.stdout is not None
    folder_text, port = starter.stdout.readline().split()
    folder = Path(folder_text)
    pid_file = folder / "data" / "postmaster.pid"
    assert pid_file.exists()
    postmaster = int(pid_file.read_text().splitlines()[0])
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    deadline = time.monotonic() + DEADLINE
    while folder.exists() or _alive(postmaster):
        assert time.monotonic() < deadline, f"the server on port {port} outlived its test run"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

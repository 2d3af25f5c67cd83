"""``dutydesk check --watch``: the headless scheduler prints transitions and stops on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml


def test_watch_prints_a_hard_transition_and_stops_cleanly(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    site = tmp_path / "site.yaml"
    site.write_text(
        yaml.safe_dump(
            {
                "site": {
                    "name": "watch",
                    "language": "en",
                    "shifts": [{"name": "all", "start": "00:00", "end": "23:59"}],
                },
                "zones": [{"id": "z", "name": "z"}],
                "devices": [
                    {
                        "id": "gone",
                        "name": "gone",
                        "kind": "server",
                        "zone": "z",
                        "host": "127.0.0.1",
                        "checks": [
                            {
                                "id": "port",
                                "type": "tcp",
                                "port": closed,
                                "interval": 0.2,
                                "retry_interval": 0.1,
                                "max_attempts": 2,
                                "timeout": 1,
                            }
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    exe = Path(sys.executable).parent / "dutydesk"
    process = subprocess.Popen(
        [str(exe), "check", "--watch", "--site", str(site)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "ALARM gone/port CRITICAL" in line:
                break
        assert any("ALARM gone/port CRITICAL" in line for line in lines), lines
        assert any("gone/port OK -> CRITICAL (soft)" in line for line in lines), lines
        assert any("-> CRITICAL (hard)" in line for line in lines), lines
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0

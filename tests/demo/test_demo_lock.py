"""A second ``dutydesk demo`` on a running demo's folder refuses before touching anything,
naming the running one; two real processes share the folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from demo.lock import DemoLock

# The running demo: takes the lock as ``dutydesk demo`` does, says so, holds it until
# its stdin closes.
HOLDER = """
import sys
from pathlib import Path
from demo.lock import DemoLock
with DemoLock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_second_demo_refuses_and_leaves_the_running_one_alone(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    site, db = folder / "site" / "site.yaml", folder / "demo.db"
    site.parent.mkdir(parents=True)
    files = {
        site: b"the running demo's site\n",
        db: b"the running demo's records",
        db.with_name("demo.db.key"): b"the running demo's key",
        db.with_name("demo.db.demo"): b"marker\n",
        site.with_name(".dutydesk-demo"): b"marker\n",
    }
    for path, content in files.items():
        path.write_bytes(content)
    env = {**os.environ, "LANG": "en_US.UTF-8"}
    running = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert running.stdout is not None and running.stdout.readline() == "held\n"
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "console",
                "demo",
                "--lab-only",
                "--site",
                str(site),
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    finally:
        running.communicate(timeout=30)
    assert second.returncode == 2, second.stderr
    assert f"pid {running.pid}" in second.stderr and "already running" in second.stderr
    assert "Traceback" not in second.stderr
    assert {path: path.read_bytes() for path in files} == files  # nothing touched
    with DemoLock(folder):  # the running demo has ended: the folder is free again
        pass

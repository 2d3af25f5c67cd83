"""The offline install the duty terminal uses: wheels in one folder, no index."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_offline_install_from_wheelhouse(tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    subprocess.run(
        ["make", "-s", "-C", str(ROOT), "wheelhouse", f"WHEELHOUSE={wheelhouse}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheels = {p.name.split("-")[0].lower() for p in wheelhouse.glob("*.whl")}
    assert {
        "dutydesk",
        "textual",
        "pysnmp",
        "asyncssh",
        "bcrypt",
        "aiosqlite",
        "pydantic",
    } <= wheels
    # The duty terminal's wheel does not carry the demo (fake SNMP agents, fake SSH server).
    (runtime_wheel,) = wheelhouse.glob("dutydesk-*.whl")
    names = zipfile.ZipFile(runtime_wheel).namelist()
    demo_files = [name for name in names if "demo" in Path(name).parts[:-1]]
    assert demo_files == []

    venv = tmp_path / "terminal-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # No index at all: what is not in the wheelhouse cannot be installed.
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "dutydesk",
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = subprocess.run(
        [str(venv / "bin" / "dutydesk"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LANG": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    assert "dutydesk" in result.stdout and "demo" in result.stdout
    # The command stays, and tells where the demo runs instead of failing with a traceback.
    demo = subprocess.run(
        [str(venv / "bin" / "dutydesk"), "demo", "--db", str(tmp_path / "demo" / "demo.db")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LC_ALL": "en_US.UTF-8"},
        cwd=tmp_path,
    )
    assert (demo.returncode, demo.stderr) == (
        2,
        "dutydesk: the demo is not part of this installation; "
        "run it from the source tree with make demo\n",
    )

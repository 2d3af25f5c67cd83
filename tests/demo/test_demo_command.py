"""``dutydesk demo`` on an installation without the demo package (the runtime wheel of a
duty terminal) says so in one line and exits 2, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES = ("console", "widgets", "checks", "data")  # the runtime wheel's packages
NOT_INSTALLED = (
    "dutydesk: the demo is not part of this installation; "
    "run it from the source tree with make demo\n"
)
# The dutydesk entry point on a path that holds the runtime packages and not the source
# tree (which the editable install of the test venv puts on sys.path).
ENTRY = """
import os, sys
installed, source_tree = sys.argv.pop(1), sys.argv.pop(1)
sys.path[:] = [installed] + [p for p in sys.path if p and os.path.realpath(p) != source_tree]
from console.cli import entry
entry()
"""


def test_the_demo_command_without_the_demo_package_says_where_to_run_it(tmp_path: Path) -> None:
    installed = tmp_path / "site-packages"
    installed.mkdir()
    for package in RUNTIME_PACKAGES:
        (installed / package).symlink_to(ROOT / package)
    # A site that is not a demo copy: a demo that did load would refuse it, differently.
    site = tmp_path / "site" / "site.yaml"
    site.parent.mkdir()
    site.write_text("site: {}\n", encoding="utf-8")
    demo_args = ["demo", "--lab-only", "--site", str(site), "--db", str(tmp_path / "demo.db")]

    result = subprocess.run(
        [sys.executable, "-c", ENTRY, str(installed), str(ROOT), *demo_args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "LC_ALL": "en_US.UTF-8"},
    )

    assert (result.returncode, result.stderr) == (2, NOT_INSTALLED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "site-packages"]  # no lock


def test_a_missing_dependency_of_the_demo_is_not_taken_for_a_missing_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The demo is there but something it needs is not: the real error, not the hint.
    monkeypatch.delitem(sys.modules, "demo.lock", raising=False)
    monkeypatch.setitem(sys.modules, "fcntl", None)
    with pytest.raises(ModuleNotFoundError, match="fcntl"):
        main(["demo", "--lab-only", "--db", str(tmp_path / "demo.db")])

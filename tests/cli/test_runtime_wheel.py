"""The runtime wheel carries what the console reads beside its modules at run time: the
stylesheets (.tcss), the locale catalogs, the checklist templates, the migrations.

A stylesheet missing from the wheel shows no error until its screen opens on the duty
terminal; this builds only the dutydesk wheel (no dependencies, a second or two) and
compares it with the source tree, unlike the slow wheelhouse test.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def runtime_packages(root: Path) -> list[str]:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    packages: list[str] = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return packages


def resources(root: Path) -> set[str]:
    """The files of the runtime packages that are not Python code, as wheel paths."""
    return {
        path.relative_to(root).as_posix()
        for package in runtime_packages(root)
        for path in (root / package).rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }


def build_wheel(root: Path, into: Path) -> set[str]:
    """The dutydesk wheel built from ``root`` into ``into``: the names it holds."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(into), str(root)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (wheel,) = into.glob("dutydesk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_runtime_wheel_carries_every_stylesheet_and_resource(tmp_path: Path) -> None:
    wanted = resources(ROOT)
    assert "console/app.tcss" in wanted
    assert "console/dialogs/dialogs.tcss" in wanted
    assert "data/locale/zh_CN.yaml" in wanted
    assert sorted(wanted - build_wheel(ROOT, tmp_path)) == []

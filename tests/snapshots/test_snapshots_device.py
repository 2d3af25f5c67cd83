"""Snapshot tests of the device detail screen in both languages: a fixed clock and a
seeded database (asset data, a day of readings, transitions, a past action run), with no
live checks running, so every run draws the same screen.

Update the stored SVGs after an intended change with
``pytest tests/snapshots/test_snapshots_device.py --snapshot-update``, then look at
snapshot_report.html before committing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.console.test_device_screen import app_for, device_site, open_device, seed

LANGUAGES = ["zh_CN", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_device_screen(
    snap_compare: Callable[..., bool], tmp_path: Path, fast_scrypt: None, language: str
) -> None:
    site, db = device_site(language), tmp_path / "snap.db"
    asyncio.run(seed(db, site))
    app = app_for(db, site)

    async def opened(pilot: Pilot[Any]) -> None:
        await open_device(pilot, app)  # type: ignore[arg-type]

    assert snap_compare(app, terminal_size=(110, 36), run_before=opened)

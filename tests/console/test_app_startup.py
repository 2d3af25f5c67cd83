"""The console refuses to start, in one line, when it could not audit what is done at it."""

from __future__ import annotations

import os
from pathlib import Path

from data.crypto import audit_key_path_for
from tests.support.console import make_app


async def test_a_missing_audit_key_stops_the_console_before_the_login(seeded_db: Path) -> None:
    os.unlink(audit_key_path_for(seeded_db))
    app = make_app(seeded_db, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
    # the CLI prints startup_error in one line and exits 2 (console/commands/console_cmd.py)
    error = app.startup_error
    assert error is not None and "audit key" in error
    assert str(audit_key_path_for(seeded_db)) in error
    assert app.user is None

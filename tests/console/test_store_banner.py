"""The console's red header line while records are not being saved, and the warning about
a store that other users can read."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from tests.support.console import (
    ACCOUNTS,
    log_in,
    make_app,
    result_event,
    wait_until,
)
from widgets.duty_header import DutyHeader

pytestmark = pytest.mark.usefixtures("fast_scrypt")
NOT_SAVING = "⚠ Records are not being saved: the database cannot be written; retrying"
UNREACHABLE = "⚠ Store unreachable: the database server cannot be reached; reconnecting"


async def test_the_header_turns_red_while_records_are_not_saved(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", start_checks=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        assert app.live is not None
        recorder = app.live.recorder
        recorder.flush_every, recorder.retry_max = 0.02, 0.1
        await app.desk.store.fetchall("PRAGMA busy_timeout = 50")
        header = app.screen.query_one(DutyHeader)
        assert header.alert == "" and not header.has_class("-alert")

        with contextlib.closing(sqlite3.connect(seeded_db, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
            for event in result_event("core-sw-1", "ping", "WARNING", message="slow"):
                await recorder(event)  # type: ignore[arg-type]
            await wait_until(pilot, lambda: header.alert == NOT_SAVING)
            assert header.has_class("-alert")
            assert NOT_SAVING in str(header.render())
            other.execute("ROLLBACK")

        await wait_until(pilot, lambda: header.alert == "")  # the retry went through
        assert not header.has_class("-alert")
        latest = await app.desk.checks.latest()
        assert latest[("core-sw-1", "ping")].message == "slow"


async def test_the_console_names_a_store_others_can_read(seeded_db: Path) -> None:
    seeded_db.chmod(0o644)
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_until(pilot, lambda: bool(app._notifications))
        texts = [notice.message for notice in app._notifications]
        assert any(
            f"{seeded_db} can be read by other users (mode 0644)" in text
            and f"chmod 600 {seeded_db}" in text
            for text in texts
        ), texts


async def test_the_header_says_store_unreachable_while_the_server_is_away(
    seeded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data.pg_store import _fault

    app = make_app(seeded_db, language="en", start_checks=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        header = app.screen.query_one(DutyHeader)
        assert header.alert == ""

        async def away() -> int:  # what PgStore.data_version raises while it reconnects
            raise _fault("postgresql://duty@db.example:5432/room", ConnectionError("refused"))

        monkeypatch.setattr(app.desk.store, "data_version", away)
        await wait_until(pilot, lambda: header.alert == UNREACHABLE)
        assert header.has_class("-alert")
        monkeypatch.undo()  # the server is back
        await wait_until(pilot, lambda: header.alert == "")

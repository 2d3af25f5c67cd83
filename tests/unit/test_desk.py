"""The desk: every book opened once over one store, closed together; alarms are the desk's,
so they can be acknowledged with no watch (no checks running) at all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from data.accounts import User
from data.clock import ManualClock
from data.config import load_site
from data.crypto import KeyFileError, ensure_key, key_path_for
from data.desk import Desk, open_desk
from data.models import Site
from data.roles import Role

OPERATOR = User(2, "wang", "Wang Wei", Role.OPERATOR)
SITE_FILE = Path(__file__).parents[1] / "fixtures" / "minimal-site.yaml"


def minimal_site() -> Site:
    return load_site(SITE_FILE)


async def test_an_alarm_is_acknowledged_through_the_desk_with_no_watch_running(
    db_path: Path, clock: ManualClock
) -> None:
    async with await open_desk(minimal_site(), db_path, terminal="test", clock=clock) as desk:
        alarm = await desk.alarms.raise_or_update(
            "core-sw-1", "ping", "CRITICAL", "no reply", clock(), 3
        )
        clock.advance(timedelta(minutes=1))
        [acked] = await desk.alarms.acknowledge(OPERATOR, [alarm.id], "on it")
        assert acked.acknowledged and acked.ack_by == "wang" and acked.ack_at == clock()
        [row] = await desk.audit.query(action="alarm.ack")
        assert (row.user, row.terminal) == ("wang", "test")
        verdict = await desk.audit.verify()
        assert verdict.ok, verdict.reason


async def test_the_books_share_the_desks_store_audit_and_clock(
    db_path: Path, clock: ManualClock
) -> None:
    async with await open_desk(minimal_site(), db_path, clock=clock) as desk:
        assert isinstance(desk, Desk) and desk.db_path == db_path
        inspections = desk.handovers._inspections  # the handover lists the desk's inspections
        assert inspections is desk.inspections
        assert desk.clock is clock and desk.reports is not None


async def test_the_visitor_book_opens_on_first_use_and_never_makes_a_key(db_path: Path) -> None:
    async with await open_desk(minimal_site(), db_path) as desk:  # no key: still opens
        with pytest.raises(KeyFileError):
            desk.visitors  # noqa: B018 - reading it builds it
        assert not key_path_for(db_path).exists()
        ensure_key(db_path)
        assert desk.visitors is desk.visitors


async def test_closing_the_desk_closes_its_store(db_path: Path) -> None:
    desk = await open_desk(minimal_site(), db_path)
    await desk.close()
    with pytest.raises(Exception):  # noqa: B017 - any use of a closed store fails
        await desk.store.fetchone("SELECT 1")

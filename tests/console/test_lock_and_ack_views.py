"""What a locked console shows of the room, and the sticky-ack box by role.

The app runs on a real store with its live state but without probing; alarms are raised
through the AlarmBook and announced with a CheckEvent, as the recorder does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Static

from checks.feed import AlarmRaised
from checks.result import CheckState
from console.app import DutyDeskApp
from console.live import CheckEvent
from console.screens.acknowledge import AckDialog, acknowledge_device
from console.screens.session.login import LoginScreen
from data.records.alarms.model import Alarm
from tests.support.console import (
    ACCOUNTS,
    FIXED_NOW,
    log_in,
    make_app,
    post_events,
    result_event,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("fast_scrypt")


async def raise_critical(app: DutyDeskApp, device: str, check: str, minutes_ago: int) -> Alarm:
    assert app.live is not None
    at = FIXED_NOW - dt.timedelta(minutes=minutes_ago)
    alarm = await app.desk.alarms.raise_or_update(device, check, "CRITICAL", "no reply", at, 3)
    app.post_message(
        CheckEvent(AlarmRaised(device, check, CheckState.CRITICAL, at, "", None), alarm)
    )
    post_events(app, result_event(device, check, "CRITICAL", message="no reply"))
    return alarm


def room_text(app: DutyDeskApp) -> str:
    return str(app.screen.query_one("#login-room", Static).render())


async def test_the_lock_screen_shows_the_room_and_the_newest_unacknowledged_critical(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", start_checks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        older = await raise_critical(app, "core-sw-1", "ping", 30)
        await wait_until(pilot, lambda: app.live_state is not None and bool(app.live_state.alarms))
        await app.action_lock()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await wait_until(pilot, lambda: "外网核心交换机1" in room_text(app))
        assert "Critical 1" in room_text(app) and "11-27 09:30" in room_text(app)

        newer = await raise_critical(app, "ups-1", "ups", 5)  # while locked: shown as it comes
        await wait_until(pilot, lambda: "UPS 1" in room_text(app))
        assert "Critical 2" in room_text(app) and "外网核心交换机1" not in room_text(app)

        assert app.live is not None and app.user is not None  # acknowledged: the older again
        app.alarms_changed(await app.desk.alarms.acknowledge(app.user, [newer.id], "on it"))
        await wait_until(pilot, lambda: "外网核心交换机1" in room_text(app))
        app.alarms_changed(await app.desk.alarms.acknowledge(app.user, [older.id], "on it"))
        await wait_until(pilot, lambda: "No unacknowledged critical alarm" in room_text(app))
        assert "Acknowledged 2" in room_text(app)


@pytest.mark.parametrize(("user", "allowed"), [("zhangsan", False), ("wangwu", True)])
async def test_only_a_supervisor_can_tick_the_sticky_box(
    seeded_db: Path, user: str, allowed: bool
) -> None:
    app = make_app(seeded_db, language="en", start_checks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, user, ACCOUNTS[user][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await raise_critical(app, "core-sw-1", "ping", 5)
        await wait_until(pilot, lambda: app.live_state is not None and bool(app.live_state.alarms))
        acknowledge_device(app, app, "core-sw-1")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        await wait_until(pilot, lambda: bool(app.screen.query("#ack-sticky")))
        sticky = app.screen.query_one("#ack-sticky", Checkbox)
        assert sticky.disabled is not allowed
        await pilot.click("#ack-sticky")
        assert sticky.value is allowed

"""Pilot tests of the alarms screen: acknowledge (comment required, sticky by role, mass),
withdraw, the expiry that re-raises, the bell and its mute, history, opening a device.

The app runs on a real store in tmp_path with its live state but without probing
(``start_checks=False``); alarms are raised through the AlarmBook and announced with a
CheckEvent, as the recorder does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static

from checks.feed import AlarmCleared, AlarmRaised, CheckSnapshot, ResultEvent
from checks.result import CheckState, ProbeResult
from console.app import DutyDeskApp
from console.dialogs.reason import ReasonDialog
from console.live import CheckEvent
from console.screens.acknowledge import AckDialog, acknowledge_device
from console.screens.device.screen import DeviceScreen
from data.clock import ManualClock
from data.records.alarms.model import Alarm
from tests.support.console import ACCOUNTS, FIXED_NOW, log_in, make_app, wait_until
from widgets.alarm_list import AlarmList

pytestmark = pytest.mark.usefixtures("fast_scrypt")


def quiet_app(db: Path, **overrides: object) -> DutyDeskApp:
    return make_app(db, language="en", start_checks=False, **overrides)


async def raise_alarm(
    app: DutyDeskApp, device: str, check: str, severity: str = "CRITICAL", minutes_ago: int = 5
) -> Alarm:
    assert app.live is not None
    at = app.config.clock() - dt.timedelta(minutes=minutes_ago)
    alarm = await app.desk.alarms.raise_or_update(device, check, severity, f"{check} failed", at, 3)
    event = AlarmRaised(device, check, CheckState[severity], at, alarm.message, None)
    app.post_message(CheckEvent(event, alarm))
    return alarm


async def open_alarms(pilot: Pilot[int], user: str = "zhangsan") -> AlarmList:
    await log_in(pilot, user, ACCOUNTS[user][0])
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
    await pilot.press("2")
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-alarms")
    return pilot.app.screen.query_one(AlarmList)


def error_text(app: DutyDeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def actions(app: DutyDeskApp, action: str) -> list[tuple[str | None, str, str]]:
    rows = await app.desk.audit.query(action=action)
    return [(row.user, row.object, row.outcome) for row in reversed(rows)]


async def test_acknowledge_needs_a_comment_then_shows_who_and_until(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        alarm = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        assert table.rows_by_id[alarm.id].ack_by == ""

        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        await pilot.press("space", "space", "enter")  # a blank comment is refused
        await wait_until(pilot, lambda: "Enter a comment" in error_text(app, "#ack-error"))
        assert isinstance(app.screen, AckDialog)
        comment = app.screen.query_one("#ack-comment", Input)
        assert comment.value == "  "  # what was typed is kept
        await pilot.press(*"fan replaced", "enter")
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "zhangsan")
        assert table.rows_by_id[alarm.id].ack_until == "11-27 12:00"  # 10:00 + 2 h, site time
        assert app.live_state is not None
        assert app.live_state.alarms[("core-sw-1", "ping")].ack_comment == "fan replaced"
        assert await actions(app, "alarm.ack") == [("zhangsan", f"alarm:{alarm.id}", "ok")]


async def test_sticky_is_refused_for_an_operator_and_the_comment_kept(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        alarm = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        app.screen.query_one("#ack-sticky", Checkbox).value = True
        await pilot.press(*"on it", "enter")
        await wait_until(pilot, lambda: "operator role may not" in error_text(app, "#ack-error"))
        assert isinstance(app.screen, AckDialog)
        assert app.screen.query_one("#ack-comment", Input).value == "on it"
        assert table.rows_by_id[alarm.id].ack_by == ""
        assert await actions(app, "alarm.ack") == [("zhangsan", f"alarm:{alarm.id}", "denied")]


async def test_a_supervisor_may_acknowledge_until_recovery(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot, "wangwu")
        alarm = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        app.screen.query_one("#ack-sticky", Checkbox).value = True
        await pilot.press(*"vendor on site", "enter")
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "wangwu")
        row = table.rows_by_id[alarm.id]
        assert row.sticky and row.ack_until == "recovery"


async def test_ctrl_s_acknowledges_from_anywhere_in_the_dialog(seeded_db: Path) -> None:
    """As in every record form: at 80x24 the dialog's buttons are below the fold, and an
    operator who moved on to the duration saves with ctrl+s."""
    app = quiet_app(seeded_db)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_alarms(pilot, "zhangsan")
        alarm = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        await pilot.press(*"on it", "tab", "ctrl+s")
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "zhangsan")


async def test_mass_acknowledge_of_three_marked_alarms(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        raised = [
            await raise_alarm(app, "core-sw-1", "ping", "CRITICAL", 30),
            await raise_alarm(app, "ups-1", "battery", "WARNING", 20),
            await raise_alarm(app, "app-1", "http", "UNKNOWN", 10),
            await raise_alarm(app, "app-1", "disk", "WARNING", 5),
        ]
        await wait_until(pilot, lambda: len(table.rows_by_id) == 4)
        # Most severe first, then oldest: CRITICAL, UNKNOWN, WARNING (20 min), WARNING (5 min).
        assert list(table.rows_by_id) == [raised[0].id, raised[2].id, raised[1].id, raised[3].id]
        await pilot.press("space", "space", "space")  # marks the first three, moving down
        assert table.selected_ids() == [raised[0].id, raised[2].id, raised[1].id]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        assert "3 alarm" in str(app.screen.query_one(".dialog-title", Static).render())
        await pilot.press(*"power work in room A", "enter")
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")
        await wait_until(pilot, lambda: table.rows_by_id[raised[1].id].ack_by == "zhangsan")
        assert [table.rows_by_id[a.id].ack_by for a in raised] == ["zhangsan"] * 3 + [""]
        assert table.marked == set()
        rows = await actions(app, "alarm.ack")
        assert sorted(rows) == sorted(("zhangsan", f"alarm:{a.id}", "ok") for a in raised[:3])


async def test_withdrawing_an_acknowledgement_needs_a_reason(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        alarm = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        assert app.live is not None and app.user is not None
        app.alarms_changed(await app.desk.alarms.acknowledge(app.user, [alarm.id], "ok"))
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "zhangsan")

        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Enter a reason" in error_text(app, "#reason-error"))
        await pilot.press(*"wrong alarm", "enter")
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "")
        assert app.screen.id == "section-alarms"
        assert await actions(app, "alarm.unack") == [("zhangsan", f"alarm:{alarm.id}", "ok")]


async def test_bell_rings_on_a_new_critical_and_flashes_until_seen(
    seeded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = quiet_app(seeded_db)
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(140, 30)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await raise_alarm(app, "ups-1", "battery", "WARNING")  # not critical: silent
        await raise_alarm(app, "core-sw-1", "ping", "CRITICAL")
        await wait_until(pilot, lambda: app.alarm_bell.rings == 1)
        assert bells == [1]
        header = app.screen.query_one("DutyHeader")
        assert header.has_class("-ringing")
        await pilot.press("2")  # any key, and the alarms screen, count as seen
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")
        assert not app.alarm_bell.flashing
        assert not app.screen.query_one("DutyHeader").has_class("-ringing")


async def test_an_expired_ack_re_raises_the_alarm_with_the_bell_unless_muted(
    seeded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(FIXED_NOW)
    app = quiet_app(seeded_db, clock=clock)
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        alarm = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: app.alarm_bell.rings == 1)
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        await pilot.press(*"looking", "enter")
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "zhangsan")

        clock.advance(dt.timedelta(hours=1))
        assert await app.alarm_bell.expire_acks() == []  # not yet
        clock.advance(dt.timedelta(hours=1))
        (expired,) = await app.alarm_bell.expire_acks()
        assert expired.id == alarm.id and expired.reraised_count == 1
        row = table.rows_by_id[alarm.id]
        assert (row.ack_by, row.ack_until, row.reraised) == ("", "", 1)
        assert app.alarm_bell.rings == 2 and bells == [1, 1] and app.alarm_bell.flashing

        await pilot.press("m")  # mute for 30 minutes, with a reason
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press(*"vendor testing the UPS", "enter")
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")
        await wait_until(
            pilot, lambda: "bell muted until 12:30" in error_text(app, "#alarms-summary")
        )
        await raise_alarm(app, "app-1", "http", "CRITICAL")
        await wait_until(pilot, lambda: app.alarm_bell.silenced == 1)
        assert bells == [1, 1] and app.alarm_bell.flashing  # quiet, but still shown
        assert await actions(app, "bell.mute") == [("zhangsan", "bell", "ok")]
        assert await actions(app, "alarm.ack_expired") == [(None, f"alarm:{alarm.id}", "ok")]


async def test_history_lists_cleared_alarms_with_filters(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        old = await raise_alarm(app, "ups-1", "battery", "WARNING", 50)
        live = await raise_alarm(app, "core-sw-1", "ping", "CRITICAL", 10)
        await wait_until(pilot, lambda: len(table.rows_by_id) == 2)
        assert app.live is not None
        await app.desk.alarms.clear("ups-1", "battery", app.config.clock())
        app.post_message(CheckEvent(AlarmCleared("ups-1", "battery", FIXED_NOW, "ok"), None))
        await wait_until(pilot, lambda: list(table.rows_by_id) == [live.id])

        await pilot.press("h")
        await wait_until(pilot, lambda: len(table.rows_by_id) == 2)
        assert table.rows_by_id[old.id].cleared == "11-27 10:00"
        assert app.screen.query_one("#alarms-from", Input).value == "2026-11-21"
        device = app.screen.query_one("#alarms-device", Input)
        device.focus()
        await pilot.press(*"UPS", "enter")
        await wait_until(pilot, lambda: list(table.rows_by_id) == [old.id])
        app.screen.query_one("#alarms-to", Input).value = "2026-11-26"
        device.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: table.rows_by_id == {})
        await pilot.press("h")
        await wait_until(pilot, lambda: list(table.rows_by_id) == [live.id])


async def test_enter_opens_the_device_and_the_wall_key_needs_an_alarm(
    seeded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        alarm = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DeviceScreen) and app.screen.device_id == "core-sw-1",
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")

        acknowledge_device(app, app, "ups-1")
        await pilot.pause()
        assert app.screen.id == "section-alarms"
        messages = [n.message for n in app._notifications]
        assert any("UPS 1 has no active alarm" in m for m in messages)
        acknowledge_device(app, app, "core-sw-1")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        assert [a.id for a in app.screen.alarms] == [alarm.id]  # type: ignore[attr-defined]


async def test_escape_leaves_the_history_and_the_history_follows_new_alarms(
    seeded_db: Path,
) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        first = await raise_alarm(app, "core-sw-1", "ping")
        await wait_until(pilot, lambda: first.id in table.rows_by_id)
        await pilot.press("h")
        await wait_until(pilot, lambda: table.history and first.id in table.rows_by_id)

        second = await raise_alarm(app, "ups-1", "battery", "WARNING", 1)  # while it is shown
        await wait_until(pilot, lambda: second.id in table.rows_by_id)
        assert table.history

        app.screen.query_one("#alarms-device", Input).focus()  # Esc from a filter box too
        await pilot.press("escape")
        await wait_until(pilot, lambda: not table.history)
        assert set(table.rows_by_id) == {first.id, second.id}
        assert app.screen.query_one("#alarms-filters").has_class("hidden")
        assert app.focused is table


def hard_failure(device: str, check: str) -> ResultEvent:
    """The third failed result in a row of a check with max_attempts 3: now hard."""
    snapshot = CheckSnapshot(
        device_id=device,
        check_id=check,
        state=CheckState.CRITICAL,
        hard=True,
        attempt=3,
        max_attempts=3,
        pending=False,
        stale=False,
        flapping=False,
        flap_percent=0.0,
        alarm=CheckState.CRITICAL,
        message="refused",
        value=None,
        unit=None,
        last_run=FIXED_NOW,
        last_change=FIXED_NOW,
        next_run=FIXED_NOW,
    )
    result = ProbeResult(CheckState.CRITICAL, "refused")
    return ResultEvent(device, check, result, snapshot, FIXED_NOW)


async def test_attempts_of_a_live_alarm_are_those_the_device_detail_shows(
    seeded_db: Path,
) -> None:
    """The recorder stores the alarm with the attempts that made it hard, and the list shows
    the check's attempt of its maximum, as the device detail does (it showed 0)."""
    app = quiet_app(seeded_db)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        assert app.live is not None
        raised = AlarmRaised("core-sw-1", "ping", CheckState.CRITICAL, FIXED_NOW, "refused", None)
        events: list[ResultEvent | AlarmRaised] = [hard_failure("core-sw-1", "ping"), raised]
        for event in events:  # as console.live does: record, then tell the App
            app.post_message(CheckEvent(event, await app.live.recorder(event)))
        await wait_until(pilot, lambda: len(table.rows_by_id) == 1)
        (alarm_id,) = table.rows_by_id
        assert table.rows_by_id[alarm_id].attempts == "3/3"
        assert (await app.desk.alarms.active())[0].attempts == 3

        await app.desk.alarms.clear("core-sw-1", "ping", FIXED_NOW)
        app.post_message(CheckEvent(AlarmCleared("core-sw-1", "ping", FIXED_NOW, "ok"), None))
        await pilot.press("h")
        await wait_until(pilot, lambda: table.history and alarm_id in table.rows_by_id)
        assert table.rows_by_id[alarm_id].attempts == "3"  # the stored count, in the history


async def test_an_alarm_is_acknowledged_from_a_console_that_runs_no_checks(
    seeded_db: Path,
) -> None:
    """A console attached to a watch running elsewhere reads alarms from the store and
    acknowledges them through the desk's alarm book (was: no book without checks, and the
    ack dialog's submit did nothing)."""
    app = quiet_app(seeded_db, run_checks=False)
    async with app.run_test(size=(140, 30)) as pilot:
        table = await open_alarms(pilot)
        at = FIXED_NOW - dt.timedelta(minutes=5)  # raised by the watch, in the store
        alarm = await app.desk.alarms.raise_or_update(
            "core-sw-1", "ping", "CRITICAL", "ping failed", at, 3
        )
        await pilot.press("h")  # the history lists what the store holds
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        await pilot.press(*"on site", "enter")
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")
        (stored,) = await app.desk.alarms.active()
        assert (stored.ack_by, stored.ack_comment) == ("zhangsan", "on site")
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "zhangsan")

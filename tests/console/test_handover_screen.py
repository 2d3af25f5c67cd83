"""Pilot tests of the handover screen on a real store: taking duty, notes and pending items,
the dual sign-off by keyboard, the same account and a refusal turned away, history, the
read-only viewer with amend and export. Every test ends with the audit chain verified."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static

from checks.feed import AlarmRaised
from checks.result import CheckState
from console.app import DutyDeskApp
from console.dialogs.confirm import ConfirmDialog
from console.live import CheckEvent
from console.screens.acknowledge import AckDialog
from console.screens.handover.screen import HandoverScreen
from data.audit import AuditTrail
from data.clock import ManualClock
from data.records.sealing import SealedRecordError
from data.store import Store
from tests.support.console import ACCOUNTS, FIXED_NOW, log_in, make_app, wait_until
from widgets.alarm_list import AlarmList

pytestmark = pytest.mark.usefixtures("fast_scrypt")
ZHANG, WANG = ACCOUNTS["zhangsan"][0], ACCOUNTS["wangwu"][0]


@pytest.fixture(autouse=True)
async def chain_still_verifies(seeded_db: Path) -> AsyncIterator[None]:
    """Whatever the test did, the audit chain of its database still verifies."""
    yield
    store = await Store.open(seeded_db)
    try:
        verdict = await AuditTrail(store).verify()
    finally:
        await store.close()
    assert verdict.ok, verdict.reason


def screen_of(app: DutyDeskApp) -> HandoverScreen:
    screen = app.screen
    assert isinstance(screen, HandoverScreen), screen
    return screen


def text_of(app: DutyDeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def header_operator(app: DutyDeskApp) -> str:
    return str(app.screen.query_one("DutyHeader").operator)  # type: ignore[attr-defined]


async def on_duty_as_zhangsan(pilot: Pilot[int]) -> HandoverScreen:
    """Log in as zhangsan, open the handover section and take duty with ``o``."""
    app = pilot.app
    assert isinstance(app, DutyDeskApp)
    await log_in(pilot, "zhangsan", ZHANG)
    await wait_until(pilot, lambda: app.screen.id == "section-wall")
    await pilot.press("3")
    await wait_until(pilot, lambda: app.screen.id == "section-handover")
    screen = screen_of(app)
    await wait_until(pilot, lambda: text_of(app, "#handover-watch") != "")
    await pilot.press("o")
    await wait_until(pilot, lambda: screen.duty_watch is not None)
    return screen


async def dialog(pilot: Pilot[int], dialog_id: str) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.id == dialog_id)


async def sign_out(pilot: Pilot[int]) -> None:
    await pilot.press("t")
    await dialog(pilot, "handover-sign-out")
    await pilot.press(*ZHANG, "enter")
    await dialog(pilot, "handover-sign-in")


async def test_take_over_through_a_handover_signed_by_two_accounts(seeded_db: Path) -> None:
    clock = ManualClock(FIXED_NOW)
    app = make_app(seeded_db, language="en", run_checks=False, clock=clock)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await on_duty_as_zhangsan(pilot)
        watch = screen.duty_watch
        assert watch is not None and (watch.operator, watch.shift_name) == ("zhangsan", "白班")
        await wait_until(pilot, lambda: header_operator(app) == "张三")

        await pilot.press("n")  # notes, saved as typed
        await dialog(pilot, "handover-notes")
        await pilot.press(*"UPS-2 fan noisy", "ctrl+s")
        await wait_until(pilot, lambda: "UPS-2 fan noisy" in text_of(app, "#handover-notes"))
        await pilot.press("p")  # a pending item
        await dialog(pilot, "handover-pending-add")
        await pilot.press(*"call vendor about fan", "enter")
        await wait_until(pilot, lambda: len(screen.pending_items) == 1)

        clock.advance(dt.timedelta(hours=7, minutes=30))  # 17:30: the night shift
        await sign_out(pilot)
        await pilot.press(*"wangwu", "enter", *WANG, "enter")  # Enter moves name -> password
        await wait_until(pilot, lambda: app.screen is screen and screen.sealed_note != "")

        book = app.desk.handovers
        sealed = await book.get(watch.id)
        assert sealed.sealed and sealed.incoming == "wangwu" and sealed.notes == "UPS-2 fan noisy"
        assert sealed.seal is not None and sealed.seal.sha256 in text_of(app, "#handover-watch")
        assert await book.verify(sealed)
        await wait_until(pilot, lambda: header_operator(app) == "王五")  # the duty operator
        nxt = screen.duty_watch
        assert nxt is not None and (nxt.operator, nxt.shift_name) == ("wangwu", "夜班")
        assert nxt.previous_id == watch.id
        # The pending item is carried to the next watch and listed there.
        summary = await book.preview(nxt.id)
        assert [p.text for p in summary.open_pending] == ["call vendor about fan"]
        table = screen.query_one("#handover-pending", DataTable)
        assert table.row_count == 1


async def test_after_the_handover_the_console_acts_as_the_incoming_operator(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", start_checks=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await on_duty_as_zhangsan(pilot)
        await sign_out(pilot)
        await pilot.press(*"wangwu", "enter", *WANG, "enter")
        await wait_until(pilot, lambda: screen.sealed_note != "")
        assert app.user is not None and app.user.name == "wangwu"

        assert app.live is not None  # an alarm, acknowledged from the alarms section
        at = FIXED_NOW - dt.timedelta(minutes=5)
        alarm = await app.desk.alarms.raise_or_update(
            "core-sw-1", "ping", "CRITICAL", "down", at, 3
        )
        raised = AlarmRaised("core-sw-1", "ping", CheckState.CRITICAL, at, "down", None)
        app.post_message(CheckEvent(raised, alarm))
        await pilot.press("2")
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")
        table = app.screen.query_one(AlarmList)
        await wait_until(pilot, lambda: alarm.id in table.rows_by_id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
        await pilot.press(*"looking into it", "enter")
        await wait_until(pilot, lambda: table.rows_by_id[alarm.id].ack_by == "wangwu")
        acks = await app.desk.audit.query(action="alarm.ack")
        assert [(row.user, row.outcome) for row in acks] == [("wangwu", "ok")]

        await app.action_lock()  # the lock screen asks for the incoming operator
        await wait_until(pilot, lambda: app.screen.id == "login")
        assert app.screen.query_one("#login-user", Input).value == "wangwu"
        locks = await app.desk.audit.query(action="session.lock")
        assert [row.user for row in locks] == ["wangwu"]


async def test_same_account_is_refused_and_the_form_keeps_what_was_typed(
    seeded_db: Path,
) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await on_duty_as_zhangsan(pilot)
        await sign_out(pilot)
        await pilot.press(*"zhangsan", "enter", *ZHANG, "enter")
        expected = "must sign with a different account"
        await wait_until(pilot, lambda: expected in text_of(app, "#form-error"))
        assert app.screen.id == "handover-sign-in"
        assert app.screen.query_one("#field-name", Input).value == "zhangsan"
        await pilot.press("escape")  # something was typed: asks before discarding it
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.screen is screen)
        watch = screen.duty_watch
        assert watch is not None and watch.status == "signed_out" and not watch.sealed
        assert "waiting for the incoming operator" in text_of(app, "#handover-watch")
        assert header_operator(app) == "张三"


async def test_a_refusal_takes_its_own_key_and_a_confirmation(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="zh_CN", run_checks=False)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await on_duty_as_zhangsan(pilot)
        await sign_out(pilot)
        watch = screen.duty_watch
        assert watch is not None
        book = app.desk.handovers
        await pilot.press(*"wangwu", "enter", *WANG, "tab", *"UPS alarm not explained", "enter")
        await pilot.press("ctrl+r")  # Enter in the reason did nothing; Ctrl+R asks first
        await dialog(pilot, "confirm-dialog")
        question = text_of(app, "#confirm-question")
        assert "UPS alarm not explained" in question and "zhangsan" in question
        assert not (await book.get(watch.id)).refusals
        await pilot.press("enter")  # a stray Enter answers "back"
        await dialog(pilot, "handover-sign-in")
        await pilot.press("ctrl+r")
        await dialog(pilot, "confirm-dialog")
        await pilot.press("escape")
        await dialog(pilot, "handover-sign-in")
        assert not (await book.get(watch.id)).refusals
        assert (await book.get(watch.id)).status == "signed_out"

        await pilot.press("ctrl+r", "y")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: "拒绝接班" in text_of(app, "#handover-watch"))
        watch = screen.duty_watch
        assert watch is not None and (watch.operator, watch.status) == ("zhangsan", "open")
        assert [(r.refused_by, r.reason) for r in watch.refusals] == [
            ("wangwu", "UPS alarm not explained")
        ]
        assert header_operator(app) == "张三"
        # The outgoing operator may then sign again and hand over.
        await sign_out(pilot)
        await pilot.press(*"wangwu", "enter", *WANG, "enter")
        await wait_until(pilot, lambda: header_operator(app) == "王五")


async def test_sealed_handover_is_read_only_amended_and_exported(seeded_db: Path) -> None:
    clock = ManualClock(FIXED_NOW)
    app = make_app(seeded_db, language="en", run_checks=False, clock=clock)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await on_duty_as_zhangsan(pilot)
        await pilot.press("p")
        await dialog(pilot, "handover-pending-add")
        await pilot.press(*"label rack B3", "enter")
        await wait_until(pilot, lambda: len(screen.pending_items) == 1)
        first = screen.duty_watch
        assert first is not None
        clock.advance(dt.timedelta(hours=1))
        await sign_out(pilot)
        await pilot.press(*"wangwu", "enter", *WANG, "enter")
        await wait_until(pilot, lambda: screen.sealed_note != "")

        book = app.desk.handovers
        assert app.user is not None
        with pytest.raises(SealedRecordError) as refused:  # data/ refuses an edit of it
            await book.set_notes(app.user, first.id, "rewritten afterwards")
        assert refused.value.code == "record_sealed"
        sealed = await book.get(first.id)
        assert sealed.notes == "" and sealed.seal is not None
        denied = (await app.desk.audit.query(action="handover.notes"))[0]
        assert (denied.user, denied.outcome) == ("wangwu", "denied")  # the attempt is audited

        # Any operator may close a carried-forward item.
        await pilot.press("c")
        await dialog(pilot, "handover-pending-close")
        await pilot.press(*"labelled", "enter")
        await wait_until(pilot, lambda: not screen.pending_items)

        await pilot.press("h")
        history = screen.query_one("#handover-history", DataTable)
        await wait_until(pilot, lambda: history.row_count == 1)
        row = [str(cell) for cell in history.get_row_at(0)]
        assert row[0] == f"#{first.id}" and row[2:] == ["白班", "zhangsan", "wangwu", "sealed"]
        await pilot.press("enter")
        await dialog(pilot, "handover-viewer")
        status = "#handover-viewer-status"
        await wait_until(pilot, lambda: "Seal verified" in text_of(app, status))
        assert "cannot be edited" in text_of(app, status)
        await pilot.press("a")
        await dialog(pilot, "handover-amend")
        labels = [str(label.render()) for label in app.screen.query(Label)]
        assert "Password of 王五" in labels  # whose: the session is the incoming operator's
        await pilot.press(*"the rack is B4, not B3", "tab", *WANG, "enter")
        await dialog(pilot, "handover-viewer")
        await wait_until(pilot, lambda: "Amended by #" in text_of(app, status))
        amendments = await book.amendments(first.id)
        assert [(a.kind, a.notes, a.sealed) for a in amendments] == [
            ("amendment", "the rack is B4, not B3", True)
        ]
        assert (await book.get(first.id)).seal == sealed.seal  # the original never changes

        await pilot.press("e")
        exported = seeded_db.parent / "exports" / f"handover-{first.id}.md"
        await wait_until(pilot, exported.exists)
        markdown = exported.read_text(encoding="utf-8")
        assert "label rack B3" in markdown and "wangwu" in markdown
        pdf = exported.with_suffix(".pdf")
        await wait_until(pilot, pdf.exists)
        assert pdf.read_bytes().startswith(b"%PDF")

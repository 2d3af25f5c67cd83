"""The duty roster: permissions by role, audit rows, validation, swaps, assurance periods
(two-person duty, the period's leader) and who the handover expects."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.calendar import assurance_period, interval_factor
from data.checklist_templates import PRE_HOLIDAY_FILE, template_path
from data.checklists import load_checklist
from data.clock import ManualClock
from data.config import SiteConfigError, load_site_config
from data.exports.report_doc import report_document
from data.models import Site, SiteInfo
from data.records.handover.book import HandoverBook
from data.records.handover.model import HandoverError
from data.records.inspections.book import InspectionBook
from data.records.reports.book import monthly
from data.records.roster.book import RosterBook
from data.records.roster.model import RosterError, plan
from data.roles import PermissionDenied
from data.store import Store
from tests.unit.test_sealing import words_of

PASSWORD = "R0ster-pass"
BASE = {
    "name": "南宁市电子政务外网中心机房",
    "timezone": "Asia/Shanghai",
    "shifts": [
        {"name": "白班", "start": "08:30", "end": "17:30"},
        {"name": "夜班", "start": "17:30", "end": "08:30"},
    ],
}
SITE = SiteInfo.model_validate(
    {
        **BASE,
        "calendar": {
            "assurance": [
                {
                    "name": "国庆节",
                    "start": "2026-10-01",
                    "end": "2026-10-07",
                    "leader": "韦主任",
                    "leader_phone": "13800001111",
                    "interval_factor": 0.5,
                }
            ]
        },
    }
)
MONDAY = dt.date(2026, 3, 2)
HOLIDAY = dt.date(2026, 10, 1)


@dataclass
class Staff:
    book: RosterBook
    audit: AuditTrail
    clock: ManualClock
    admin: User
    boss: User
    alice: User
    bob: User
    carol: User


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
async def staff(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> AsyncIterator[Staff]:
    boss = await accounts.add(admin, "boss", PASSWORD, "supervisor", "值班长")
    alice = await accounts.add(admin, "alice", PASSWORD, "operator")
    bob = await accounts.add(admin, "bob", PASSWORD, "operator")
    carol = await accounts.add(admin, "Carol", PASSWORD, "operator")
    yield Staff(RosterBook(store, audit, SITE, clock), audit, clock, admin, boss, alice, bob, carol)
    verdict = await audit.verify()
    assert verdict.ok, verdict.reason


async def test_the_supervisor_saves_a_day_and_it_is_audited(staff: Staff) -> None:
    day = plan(
        day=MONDAY,
        shifts={"白班": ["alice"], "夜班": ["carol"]},
        leader="韦主任",
        leader_phone="138 0000 1111",
        vendors="华为 400-822-9999\n\n  深信服 400-630-6430 ",
    )
    saved = await staff.book.save_day(staff.boss, day)
    # names as the accounts spell them, every site shift listed, text tidied
    assert saved.shifts == {"白班": ("alice",), "夜班": ("Carol",)}
    assert saved.vendors == "华为 400-822-9999\n深信服 400-630-6430"
    assert (saved.saved_by, saved.period) == ("boss", None)
    row = (await staff.audit.query(action="roster.save"))[0]
    assert (row.user, row.object, row.outcome) == ("boss", "roster:2026-03-02", "ok")
    assert row.detail["shifts"] == {"白班": ["alice"], "夜班": ["Carol"]}
    assert row.detail["before"] == {"白班": [], "夜班": []}


async def test_the_admin_edits_the_roster_too(staff: Staff) -> None:
    saved = await staff.book.save_day(staff.admin, plan(day=MONDAY, shifts={"白班": ["bob"]}))
    assert saved.on("白班") == ("bob",)


async def test_an_operator_reads_but_may_not_edit_and_the_refusal_is_audited(
    staff: Staff,
) -> None:
    with pytest.raises(PermissionDenied):
        await staff.book.save_day(staff.alice, plan(day=MONDAY, shifts={"白班": ["alice"]}))
    with pytest.raises(PermissionDenied):
        await staff.book.swap(staff.alice, MONDAY, "白班", "alice", "bob", "病假")
    denied = await staff.audit.query(user="alice")
    assert {(e.action, e.outcome, e.object) for e in denied} == {
        ("roster.save", "denied", "roster:2026-03-02"),
        ("roster.swap", "denied", "roster:2026-03-02"),
    }
    assert not (await staff.book.day(MONDAY)).planned  # nothing stored


@pytest.mark.parametrize(
    ("fields", "code", "param"),
    [
        ({"shifts": {"早班": ["alice"]}}, "roster_unknown_shift", "早班"),
        ({"shifts": {"白班": ["nobody"]}}, "roster_unknown_operator", "nobody"),
        ({"shifts": {"白班": ["admin"]}}, "roster_unknown_operator", "admin"),
    ],
)
async def test_a_day_naming_an_unknown_shift_or_person_is_refused(
    staff: Staff, fields: dict[str, object], code: str, param: str
) -> None:
    with pytest.raises(RosterError) as refused:
        await staff.book.save_day(staff.boss, plan(day=MONDAY, **fields))
    assert refused.value.code == code and param in str(refused.value)
    assert not (await staff.book.day(MONDAY)).planned


def test_a_plan_is_validated_field_by_field_with_a_clear_message() -> None:
    with pytest.raises(RosterError) as twice:
        plan(day=MONDAY, shifts={"白班": ["alice", "ALICE"]})
    assert twice.value.code == "roster_bad_plan" and twice.value.params["field"] == "shifts"
    assert "白班: the same person is listed twice" in str(twice.value)
    with pytest.raises(RosterError) as bad_day:
        plan(day="2026-02-30")
    assert bad_day.value.params["field"] == "day"
    with pytest.raises(RosterError) as long_name:
        plan(day=MONDAY, leader="长" * 65)
    assert long_name.value.params["field"] == "leader"


async def test_during_an_assurance_period_every_shift_needs_two_people(staff: Staff) -> None:
    one_each = plan(day=HOLIDAY, shifts={"白班": ["alice", "bob"], "夜班": ["carol"]})
    with pytest.raises(RosterError) as refused:
        await staff.book.save_day(staff.boss, one_each)
    error = refused.value
    assert error.code == "roster_too_few_on_duty"
    assert (error.params["shift"], error.params["need"], error.params["got"]) == ("夜班", 2, 1)
    assert "国庆节" in str(error) and "at least 2" in str(error)
    two_each = plan(day=HOLIDAY, shifts={"白班": ["alice", "bob"], "夜班": ["carol", "boss"]})
    saved = await staff.book.save_day(staff.boss, two_each)
    # the period names the leader on call when the day names none
    assert saved.period is not None and saved.period.name == "国庆节"
    assert (saved.leader, saved.leader_phone) == ("韦主任", "13800001111")
    # the day before is an ordinary day: one person is enough
    eve = plan(day=HOLIDAY - dt.timedelta(days=1), shifts={"白班": ["alice"]})
    assert (await staff.book.save_day(staff.boss, eve)).period is None


async def test_a_swap_is_recorded_with_both_names_and_the_reason(staff: Staff) -> None:
    await staff.book.save_day(staff.boss, plan(day=MONDAY, shifts={"白班": ["alice", "bob"]}))
    swap = await staff.book.swap(staff.boss, MONDAY, "白班", "ALICE", "carol", "  家中有事 ")
    assert (swap.from_name, swap.to_name, swap.reason) == ("alice", "Carol", "家中有事")
    assert (await staff.book.day(MONDAY)).on("白班") == ("Carol", "bob")  # same place
    assert await staff.book.swaps(MONDAY, MONDAY) == [swap]
    row = (await staff.audit.query(action="roster.swap"))[0]
    assert row.detail == {"shift": "白班", "from": "alice", "to": "Carol", "reason": "家中有事"}
    for args, code in [
        (("dave", "carol", "x"), "roster_not_rostered"),
        (("bob", "carol", "x"), "roster_already_rostered"),
        (("bob", "alice", " "), "roster_reason_required"),
        (("bob", "BOB", "x"), "roster_same_person"),
    ]:
        with pytest.raises(RosterError) as refused:
            await staff.book.swap(staff.boss, MONDAY, "白班", *args)
        assert refused.value.code == code


async def test_the_handover_expects_the_operator_rostered_for_the_next_shift(
    staff: Staff,
) -> None:
    # Nobody rostered: nothing to check.
    evening = dt.datetime(2026, 3, 2, 17, 20, tzinfo=SITE.tz)
    assert await staff.book.off_roster("bob", evening) is None
    await staff.book.save_day(
        staff.boss, plan(day=MONDAY, shifts={"白班": ["alice"], "夜班": ["bob"]})
    )
    # At 17:20 the incoming operator takes the night shift (it starts at 17:30).
    assert await staff.book.off_roster("BOB", evening) is None
    expected = await staff.book.off_roster("carol", evening)
    assert expected is not None
    assert (expected.day, expected.shift, expected.operators) == (MONDAY, "夜班", ("bob",))
    # The night shift of Monday is still Monday's after midnight.
    night = await staff.book.on_shift(dt.datetime(2026, 3, 3, 2, 0, tzinfo=SITE.tz))
    assert night is not None and (night.day, night.operators) == (MONDAY, ("bob",))


def test_the_period_covers_its_days_in_the_site_zone_and_tightens_intervals() -> None:
    assert assurance_period(SITE, HOLIDAY) is not None
    assert assurance_period(SITE, dt.date(2026, 10, 8)) is None
    # 2026-09-30 16:30 UTC is already 1 October in Asia/Shanghai
    assert interval_factor(SITE, dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC)) == 0.5
    assert interval_factor(SITE, dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)) == 1.0


def test_assurance_periods_are_validated() -> None:
    def with_periods(*periods: Mapping[str, object]) -> None:
        SiteInfo.model_validate({**BASE, "calendar": {"assurance": list(periods)}})

    period = {"name": "春节", "start": "2027-02-06", "end": "2027-02-12", "leader": "韦主任"}
    with_periods(period)  # valid as it is
    with pytest.raises(ValidationError, match="must not end before it starts"):
        with_periods({**period, "end": "2027-02-01"})
    with pytest.raises(ValidationError, match="'春节' and '两会' overlap"):
        with_periods(period, {**period, "name": "两会", "start": "2027-02-12", "end": "2027-02-20"})
    with pytest.raises(ValidationError, match="leader"):
        with_periods({key: v for key, v in period.items() if key != "leader"})
    with pytest.raises(ValidationError, match="greater than or equal to 2"):
        with_periods({**period, "min_on_duty": 1})
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        with_periods({**period, "interval_factor": 2})


async def test_an_incoming_operator_off_the_roster_signs_only_with_a_reason(
    staff: Staff, store: Store, accounts: Accounts
) -> None:
    handovers = HandoverBook(store, staff.audit, accounts, SITE, staff.clock, roster=staff.book)
    shifts = {"白班": ["alice"], "夜班": ["bob"]}
    await staff.book.save_day(staff.boss, plan(day=MONDAY, shifts=shifts))
    watch = await handovers.open_shift(staff.alice)  # 08:30 Monday
    staff.clock.advance(dt.timedelta(hours=8, minutes=50))  # 17:20, the night shift next
    await handovers.sign_outgoing(staff.alice, watch.id, PASSWORD)
    with pytest.raises(HandoverError) as asked:
        await handovers.sign_incoming("Carol", PASSWORD, watch.id, off_roster_reason="  ")
    error = asked.value
    assert error.code == "handover_off_roster"
    assert (error.params["shift"], error.params["rostered"]) == ("夜班", "bob")
    assert (await handovers.get(watch.id)).status == "signed_out"  # still waiting

    sealed = await handovers.sign_incoming("Carol", PASSWORD, watch.id, "bob 病假，已电话确认")
    assert sealed.sealed and sealed.incoming == "Carol"
    [kept] = await staff.book.deviations(MONDAY, MONDAY)
    assert (kept.handover_id, kept.incoming, kept.shift, kept.rostered, kept.reason) == (
        watch.id,
        "Carol",
        "夜班",
        ("bob",),
        "bob 病假，已电话确认",
    )
    signed = (await staff.audit.query(action="handover.sign_in"))[0]
    assert signed.detail["off_roster"] == {
        "day": "2026-03-02",
        "shift": "夜班",
        "rostered": ["bob"],
        "reason": "bob 病假，已电话确认",
    }


async def test_the_rostered_operator_signs_in_without_a_reason(
    staff: Staff, store: Store, accounts: Accounts
) -> None:
    handovers = HandoverBook(store, staff.audit, accounts, SITE, staff.clock, roster=staff.book)
    await staff.book.save_day(staff.boss, plan(day=MONDAY, shifts={"夜班": ["bob"]}))
    watch = await handovers.open_shift(staff.alice)
    staff.clock.advance(dt.timedelta(hours=9))  # 17:30
    await handovers.sign_outgoing(staff.alice, watch.id, PASSWORD)
    assert (await handovers.sign_incoming("bob", PASSWORD, watch.id)).sealed
    assert await staff.book.deviations(MONDAY, MONDAY) == []
    signed = (await staff.audit.query(action="handover.sign_in"))[0]
    assert "off_roster" not in signed.detail


async def test_the_monthly_report_counts_the_roster_and_the_assurance_period(
    staff: Staff, store: Store
) -> None:
    for day in (HOLIDAY, HOLIDAY + dt.timedelta(days=1)):
        shifts = {"白班": ["alice", "bob"], "夜班": ["Carol", "boss"]}
        await staff.book.save_day(staff.boss, plan(day=day, shifts=shifts))
    await staff.book.save_day(staff.boss, plan(day=dt.date(2026, 10, 20), shifts={"白班": ["bob"]}))
    await staff.book.swap(staff.boss, HOLIDAY, "白班", "alice", "boss", "调休")
    site = Site.model_validate({"site": SITE, "zones": [{"id": "z", "name": "机房"}]})
    report = await monthly(store, site, "2026-10", clock=staff.clock)
    roster = report.roster
    assert roster is not None
    assert (roster.days, roster.days_rostered, roster.swaps) == (31, 3, 1)
    assert roster.shifts_by_person == {"bob": 3, "Carol": 2, "boss": 3, "alice": 1}
    [holiday] = roster.assurance
    # 1-7 October: two days rostered two by two, five days with no one on either shift
    assert (holiday.period.name, holiday.days, holiday.short_shifts) == ("国庆节", 7, 10)
    words = words_of(report_document(report))
    assert "Duty roster" in words and "Holiday assurance" in words and "国庆节" in words
    assert "Shifts of bob" in words and "3/31" in words
    assert "Shifts of 值班长" in words and "Shifts of boss" not in words  # by full name
    filtered = await monthly(store, site, "2026-10", zone="z", clock=staff.clock)
    assert filtered.roster is None  # the roster concerns no device


async def test_the_off_roster_refusal_names_the_rostered_people_by_full_name(
    staff: Staff, store: Store, accounts: Accounts
) -> None:
    handovers = HandoverBook(store, staff.audit, accounts, SITE, staff.clock, roster=staff.book)
    await staff.book.save_day(
        staff.boss, plan(day=MONDAY, shifts={"白班": ["alice"], "夜班": ["boss"]})
    )
    watch = await handovers.open_shift(staff.alice)
    staff.clock.advance(dt.timedelta(hours=8, minutes=50))
    await handovers.sign_outgoing(staff.alice, watch.id, PASSWORD)
    with pytest.raises(HandoverError) as asked:
        await handovers.sign_incoming("Carol", PASSWORD, watch.id)
    assert (asked.value.params["name"], asked.value.params["rostered"]) == ("Carol", "值班长")


async def test_people_are_named_by_full_name_else_by_account(staff: Staff) -> None:
    names = await staff.book.people_names()
    assert names.each(["boss", "BOSS", "bob", "gone"]) == ("值班长", "值班长", "bob", "gone")
    assert (names.labelled("boss"), names.labelled("bob")) == ("值班长 (boss)", "bob")


async def test_the_pre_holiday_inspection_is_due_the_day_before_the_period(
    staff: Staff, store: Store, accounts: Accounts
) -> None:
    checklist = load_checklist(template_path(PRE_HOLIDAY_FILE))
    book = InspectionBook(store, staff.audit, accounts, SITE, [checklist], staff.clock)
    two_weeks_ahead = dt.datetime(2026, 9, 17, 10, 0, tzinfo=SITE.tz)
    assert await book.status(two_weeks_ahead) == []  # no holiday within the week
    eve = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SITE.tz)
    [due] = await book.status(eve)
    assert (due.template.id, due.period.label, due.done) == ("pre-holiday", "pre-2026-10-01", False)
    assert due.due_by == dt.datetime(2026, 10, 1, 0, 0, tzinfo=SITE.tz)  # the day before
    # Not done by the first holiday: missed, once.
    week = dt.timedelta(days=7)
    [missed] = await book.missed(eve - week, eve + week)
    assert missed.period.label == "pre-2026-10-01"

    staff.clock.set(eve)
    draft = await book.start(staff.alice, "pre-holiday")
    for section in checklist.sections:
        for item in section.items:
            if item.required:
                answer = "20" if item.kind == "reading" else "pass"
                await book.save_answer(staff.alice, draft, item.id, answer)
    await book.submit(staff.alice, draft, PASSWORD)
    [done] = await book.status(eve)
    assert done.done and done.record_id == draft
    assert await book.missed(eve - week, eve + week) == []


def test_a_bad_assurance_period_is_reported_at_its_line_in_site_yaml(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "site:\n"
        "  name: 机房\n"
        "  shifts: [{name: 白班, start: '08:30', end: '17:30'}]\n"
        "  calendar:\n"
        "    assurance:\n"
        "      - {name: 国庆节, start: 2026-10-01, end: 2026-10-07, leader: 韦主任}\n"
        "      - name: 东盟博览会\n"
        "        start: 2026-09-17\n"
        "        end: 2026-09-20\n"
        "        interval_factor: 0\n"
        "zones: [{id: z, name: 机房}]\n",
        encoding="utf-8",
    )
    with pytest.raises(SiteConfigError) as refused:
        load_site_config(site)
    lines = str(refused.value).splitlines()
    assert any(
        line.startswith(f"{site}:7:") and "site.calendar.assurance[1].leader" in line
        for line in lines
    ), lines
    assert any(line.startswith(f"{site}:10:") and "interval_factor" in line for line in lines), (
        lines
    )


async def test_the_report_counts_the_pre_holiday_inspection_in_the_month_it_was_due(
    staff: Staff, store: Store
) -> None:
    checklist = load_checklist(template_path(PRE_HOLIDAY_FILE))
    site = Site.model_validate({"site": SITE, "zones": [{"id": "z", "name": "机房"}]})
    staff.clock.set(dt.datetime(2026, 11, 1, tzinfo=dt.UTC))  # both months are over
    september = await monthly(store, site, "2026-09", templates=[checklist], clock=staff.clock)
    assert september.inspections is not None
    [due] = september.inspections
    assert (due.template_id, due.due, due.done) == ("pre-holiday", 1, 0)
    october = await monthly(store, site, "2026-10", templates=[checklist], clock=staff.clock)
    assert october.inspections is not None and october.inspections[0].due == 0

"""Inspections: shipped templates, drafts that survive a restart, pre-fill and override,
flagged readings, signing and sealing, and which periods are done, due or missed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.accounts import Accounts, AuthError, User
from data.audit import AuditTrail
from data.checklist_templates import TEMPLATE_FILES, shipped_templates, template_path
from data.checklists import Checklist, load_checklist
from data.clock import ManualClock
from data.exports.inspection_doc import inspection_document
from data.records.checks.model import Key, LatestRow
from data.records.inspections.book import InspectionBook
from data.records.inspections.model import InspectionError, LiveReading, live_readings
from data.records.sealing import SealedRecordError, verify_seal
from data.roles import PermissionDenied
from data.store import Store
from data.stores import open_store
from tests.unit.test_sealing import SITE, speaking

PASSWORD = "Insp3ct-pw"
LIVE = Checklist.model_validate(
    {
        "id": "live-round",
        "name": "带实时读数的巡检",
        "schedule": "daily",
        "sections": [
            {
                "title": "环境",
                "items": [
                    {
                        "id": "temp",
                        "text": "A列温度",
                        "kind": "reading",
                        "unit": "°C",
                        "range": "18..27",
                        "source": {"device": "th-a", "check": "temp"},
                    },
                    {
                        "id": "ups",
                        "text": "UPS 正常",
                        "source": {"device": "ups-1", "check": "ups"},
                    },
                    {
                        "id": "fire",
                        "text": "消防控制器",
                        "kind": "choice",
                        "choices": ["正常", "故障"],
                    },
                    {"id": "notes", "text": "其他", "kind": "text", "required": False},
                ],
            }
        ],
    }
)


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The book's tests over both backends: SQLite and PostgreSQL (issue 14)."""
    return any_store


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SITE.tz)


@pytest.fixture
async def inspector(accounts: Accounts, admin: User) -> User:
    return await accounts.add(admin, "zhang", PASSWORD, "operator", "张伟")


@pytest.fixture
async def book(
    store: Store, audit: AuditTrail, accounts: Accounts, clock: ManualClock
) -> AsyncIterator[InspectionBook]:
    yield InspectionBook(store, audit, accounts, SITE, [LIVE, *shipped_templates()], clock)
    verdict = await audit.verify()
    assert verdict.ok, verdict.reason


async def filled(book: InspectionBook, who: User) -> int:
    draft = await book.start(who, "live-round")
    for item, value in (("temp", 22.5), ("ups", "pass"), ("fire", "正常")):
        await book.save_answer(who, draft, item, value)
    return draft


def test_shipped_templates_load_with_the_checklist_loader() -> None:
    loaded = {c.id: c for c in shipped_templates()}
    assert set(loaded) == {"daily-room", "monthly-system", "access-switch"}
    assert len(TEMPLATE_FILES) == 3
    daily = load_checklist(template_path("daily-room.yaml"))
    assert daily.schedule == "daily" and daily.name_en
    temps = [i for i in daily.items() if i.unit == "°C" and i.id.startswith("temp-row")]
    assert temps and all(str(i.range) == "18..27" for i in temps)
    assert all(i.range is not None and not i.range.holds(28) for i in temps)
    assert loaded["monthly-system"].schedule == "monthly"
    titles = " ".join(s.title for s in loaded["monthly-system"].sections)
    for word in ("Hosts", "Databases", "Middleware", "Application", "Backups", "Logs"):
        assert word in titles


async def test_drafts_survive_closing_and_reopening_the_store(
    store: Store,
    store_target: str,
    tmp_path: Path,
    audit: AuditTrail,
    accounts: Accounts,
    inspector: User,
    clock: ManualClock,
) -> None:
    book = InspectionBook(store, audit, accounts, SITE, [LIVE], clock)
    draft = await book.start(inspector, "live-round")
    await book.save_answer(inspector, draft, "temp", "23.5", note="测于冷通道")
    await store.close()

    reopened: Any = await open_store(store_target, key_dir=tmp_path / "keys")
    try:
        again = InspectionBook(reopened, AuditTrail(reopened, "t", clock), accounts, SITE, [LIVE])
        restored = await again.draft(draft)
        assert restored.value("temp") == "23.5" and restored.answers["temp"].note == "测于冷通道"
        assert [d.id for d in await again.open_drafts(inspector)] == [draft]
        assert not restored.sealed and restored.missing() == ["ups", "fire"]
    finally:
        await reopened.close()


async def test_prefill_marks_live_values_and_an_override_is_recorded(
    book: InspectionBook, inspector: User, audit: AuditTrail, clock: ManualClock
) -> None:
    read_at = clock() - timedelta(minutes=2)
    draft = await book.start(inspector, "live-round")
    live: dict[Key, LiveReading | tuple[float | None, datetime]] = {
        ("th-a", "temp"): LiveReading(24.0, read_at, "OK"),
        ("ups-1", "ups"): (None, read_at),
    }
    assert await book.prefill(draft, live) == ["temp"]  # pass/fail needs the check's state
    stale = LatestRow("ups-1", "ups", "CRITICAL", True, 0, None, None, "", read_at, stale=True)
    fresh = LatestRow("ups-1", "ups", "OK", True, 0, None, None, "", read_at)
    assert live_readings({("ups-1", "ups"): stale}) == {}
    assert await book.prefill(draft, live_readings({("ups-1", "ups"): fresh})) == ["ups"]

    answer = (await book.draft(draft)).answers["temp"]
    assert answer.prefilled and answer.value == "24.0" and answer.prefilled_at == read_at
    assert answer.answered_by is None
    assert (await book.draft(draft)).value("ups") == "pass"

    overridden = await book.save_answer(inspector, draft, "temp", 26)
    assert overridden.overridden and not overridden.prefilled
    assert (overridden.value, overridden.prefilled_value) == ("26.0", "24.0")
    [row] = await audit.query(action="inspection.override")
    assert row.detail["prefilled"] == "24.0" and row.detail["value"] == "26.0"
    # an answered item is no longer refreshed from the live value
    assert await book.prefill(draft, {("th-a", "temp"): LiveReading(25.0, clock())}) == []
    assert (await book.draft(draft)).value("temp") == "26.0"


async def test_out_of_range_and_fail_need_a_note_before_submit(
    book: InspectionBook, inspector: User
) -> None:
    draft = await filled(book, inspector)
    hot = await book.save_answer(inspector, draft, "temp", 29.5)
    assert hot.flagged
    await book.save_answer(inspector, draft, "ups", "fail")
    with pytest.raises(InspectionError) as refused:
        await book.submit(inspector, draft, PASSWORD)
    assert refused.value.code == "note_required"
    assert refused.value.params["items"] == "temp, ups"

    await book.save_answer(inspector, draft, "temp", 29.5, note="空调1停机，已报修")
    await book.save_answer(inspector, draft, "ups", "fail", note="旁路运行")
    flagged = await book.submit(inspector, draft, PASSWORD)
    assert [(f.item_id, f.reason) for f in flagged] == [("temp", "out_of_range"), ("ups", "fail")]
    assert flagged[0].allowed == "18..27" and flagged[0].note == "空调1停机，已报修"
    with pytest.raises(InspectionError) as bad:
        await book.save_answer(inspector, await book.start(inspector, "live-round"), "fire", "x")
    assert bad.value.code == "bad_answer"


async def test_submit_needs_every_required_item_and_the_password(
    book: InspectionBook, inspector: User, accounts: Accounts, admin: User, audit: AuditTrail
) -> None:
    draft = await book.start(inspector, "live-round")
    await book.save_answer(inspector, draft, "temp", 22)
    with pytest.raises(InspectionError) as missing:
        await book.submit(inspector, draft, PASSWORD)
    assert missing.value.code == "answers_missing" and missing.value.params["items"] == "ups, fire"

    await book.save_answer(inspector, draft, "ups", True)
    await book.save_answer(inspector, draft, "fire", "正常")
    with pytest.raises(AuthError):
        await book.submit(inspector, draft, "wrong-Passw0rd")
    assert not (await book.draft(draft)).sealed
    other = await accounts.add(admin, "li", PASSWORD, "operator")
    with pytest.raises(InspectionError) as not_theirs:
        await book.submit(other, draft, PASSWORD)
    assert not_theirs.value.code == "not_your_draft"
    auditor = await accounts.add(admin, "zhao", PASSWORD, "auditor")
    with pytest.raises(PermissionDenied):
        await book.start(auditor, "live-round")

    assert await book.submit(inspector, draft, PASSWORD) == []
    record = await book.get(draft)
    assert record.sealed and verify_seal(record) and await book.verify(record)
    assert record.period == "2026-03-02" and await book.open_drafts() == []
    [seal_row] = await audit.query(action="inspection.seal")
    assert record.seal is not None and seal_row.detail == {"sha256": record.seal.sha256}
    signed = await audit.query(action="inspection.sign")  # newest first
    assert [(row.outcome, row.user) for row in signed] == [("ok", "zhang"), ("failed", "zhang")]


async def test_sealed_record_refuses_edits_and_is_amended_by_a_new_record(
    book: InspectionBook, inspector: User, audit: AuditTrail
) -> None:
    draft = await filled(book, inspector)
    await book.submit(inspector, draft, PASSWORD)
    with pytest.raises(SealedRecordError) as sealed:
        await book.save_answer(inspector, draft, "temp", 30)
    assert sealed.value.code == "record_sealed"
    denied = (await audit.query(action="inspection.answer"))[0]  # the newest
    assert (denied.outcome, denied.object) == ("denied", f"inspection:{draft}")
    assert denied.detail == {"reason": "record_sealed"}

    amendment = await book.start(inspector, "live-round", amends=draft)
    assert (await book.draft(amendment)).value("temp") == "22.5"  # answers copied
    await book.save_answer(inspector, amendment, "temp", 23.0)
    await book.submit(inspector, amendment, PASSWORD)
    original, amended = await book.get(draft), await book.get(amendment)
    assert original.value("temp") == "22.5" and verify_seal(original)
    assert amended.amends_id == draft and amended.period == original.period
    assert [a.id for a in await book.amendments(draft)] == [amendment]
    # an amendment does not count twice for the period
    [status] = [s for s in await book.status() if s.template.id == "live-round"]
    assert status.done and status.record_id == draft


async def test_due_and_missed_across_a_month_boundary_in_shanghai(
    book: InspectionBook, inspector: User, clock: ManualClock
) -> None:
    async def submit_at(moment: datetime, template: str) -> int:
        clock.set(moment)
        draft = await book.start(inspector, template)
        for item in (await book.draft(draft)).template.items():
            if item.required:
                value: object = {"passfail": "pass", "text": "无"}.get(item.kind)
                if item.kind == "choice":
                    value = item.choices[0]
                elif item.kind == "reading":
                    value = next(
                        v / 10 for v in range(1000) if item.range and item.range.holds(v / 10)
                    )
                await book.save_answer(inspector, draft, item.id, value)
        await book.submit(inspector, draft, PASSWORD)
        return draft

    daily = await submit_at(local(2026, 3, 30, 9, 0), "daily-room")
    monthly = await submit_at(local(2026, 3, 31, 23, 50), "monthly-system")
    # 00:30 on 1 April in Shanghai is 16:30 UTC on 31 March: it counts for April.
    april = await submit_at(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "live-round")
    assert (await book.get(april)).period == "2026-04-01"
    assert (await book.get(monthly)).period == "2026-03"

    now = local(2026, 4, 1, 8, 0)
    status = {s.template.id: s for s in await book.status(now)}
    assert status["live-round"].done and status["live-round"].record_id == april
    assert not status["daily-room"].done and status["daily-room"].due_by == local(2026, 4, 2)
    assert status["monthly-system"].period.label == "2026-04"
    assert not status["monthly-system"].done and status["monthly-system"].due_by == local(
        2026, 5, 1
    )

    missed = [(s.template.id, s.period.label) for s in await book.missed(local(2026, 3, 29), now)]
    assert ("daily-room", "2026-03-29") in missed and ("daily-room", "2026-03-31") in missed
    assert ("daily-room", "2026-03-30") not in missed  # done (record `daily`)
    assert ("monthly-system", "2026-03") not in missed
    assert ("access-switch", "2026-03") in missed
    assert ("live-round", "2026-03-31") in missed and ("live-round", "2026-04-01") not in missed
    [march] = [
        s for s in await book.missed(local(2026, 3, 29), now) if s.template.id == "access-switch"
    ]
    assert march.due_by == local(2026, 4, 1) and not march.done and march.record_id is None
    assert daily > 0


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_record_prints_with_prefilled_overridden_and_flagged_items(
    book: InspectionBook, inspector: User, clock: ManualClock, language: str
) -> None:
    draft = await book.start(inspector, "live-round")
    await book.prefill(draft, {("th-a", "temp"): LiveReading(28.5, clock(), "OK")})
    await book.save_answer(inspector, draft, "temp", 28.5, note="回风口堵塞")
    await book.save_answer(inspector, draft, "ups", "pass")
    await book.prefill(draft, {("ups-1", "ups"): LiveReading(None, clock(), "CRITICAL")})
    await book.save_answer(inspector, draft, "fire", "正常")
    await book.submit(inspector, draft, PASSWORD)
    with speaking(language):
        document = inspection_document(await book.get(draft), site=book.site)
    assert document.subtitle == SITE.name and len(document.signatures) == 2
    [section, flagged] = document.sections
    assert section.table is not None
    assert [row[0] for row in section.table.rows] == ["A列温度", "UPS 正常", "消防控制器", "其他"]
    temp = section.table.rows[0]
    assert temp[1] == "28.5°C" and temp[2] == "18..27°C" and temp[3] == "!"
    assert "回风口堵塞" in temp[4]
    assert flagged.paragraphs == ["A列温度: 28.5°C — 回风口堵塞"]
    words = [document.title, *(v for pair in document.meta for v in pair)]
    words += [cell for row in section.table.rows for cell in row] + section.table.columns
    assert not [w for w in words if "record_doc." in w]  # every label is in the catalog
    if language == "zh_CN":
        assert document.title == "带实时读数的巡检记录表" and section.table.rows[1][1] == "正常"


async def test_only_a_submitted_record_is_amended(book: InspectionBook, inspector: User) -> None:
    draft = await book.start(inspector, "live-round")
    with pytest.raises(InspectionError) as error:
        await book.start(inspector, "live-round", amends=draft)
    assert error.value.code == "inspection_not_submitted"
    with pytest.raises(InspectionError) as unknown:
        await book.start(inspector, "no-such-round")
    assert unknown.value.code == "no_such_template"

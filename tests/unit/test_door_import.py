"""Door-controller CSV import: encodings and headers, matching events to access records
by card and time window, unmatched and malformed lines, no duplicates on re-import. Over
both backends (``any_store``: SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.crypto import FieldCipher
from data.records.visitors.book import AccessLog
from data.records.visitors.door_import import DoorImporter, DoorImportError, ImportReport
from data.roles import PermissionDenied
from data.store import Store
from tests.support.visitors import SHANGHAI, VISITOR, count, make_people

# The day as the room saw it (START is 08:30 in Asia/Shanghai): the visitor is inside
# 08:30-10:30 with badge V-01, li from 09:00 on with badge S-7.
GBK_LOG = """时间,卡号,门禁点,方向
2026-03-02 08:20:00,V-01,机房A门,进
2026/03/02 10:35:10,V-01,机房A门,出
2026-03-02 10:41:00,V-01,机房A门,进
2026-03-02 09:01:00,S-7,机房A门,in
2026-03-02 09:30:00,X-99,机房A门,进
not a time,V-01,机房A门,进

2026-03-02 09:30:00,V-01,机房A门,sideways
2026-03-02 09:30:00,V-01
2026-03-02 09:30:00,,机房A门,进
"""


@dataclass
class Room:
    visitor: int
    staff: int


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
async def people(accounts: Accounts, admin: User) -> dict[str, User]:
    return await make_people(accounts, admin)


@pytest.fixture
async def room(
    store: Store, audit: AuditTrail, clock: ManualClock, people: dict[str, User]
) -> AsyncIterator[Room]:
    log = AccessLog(store, audit, FieldCipher(os.urandom(32)), clock, tz=SHANGHAI)
    visitor = await log.enter_visitor(people["wang"], VISITOR)
    clock.advance(timedelta(minutes=30))
    staff = await log.enter_staff(people["wang"], "li", badge="S-7")
    clock.advance(timedelta(minutes=90))
    await log.exit(people["wang"], visitor)
    yield Room(visitor, staff)
    verdict = await audit.verify()
    assert verdict.ok, verdict.reason


@pytest.fixture
def importer(store: Store, audit: AuditTrail, clock: ManualClock) -> DoorImporter:
    return DoorImporter(store, audit, clock, tz=SHANGHAI)


async def door_events(store: Store) -> int:
    return await count(store, "door_events")


def lines(report: ImportReport) -> tuple[list[int], list[int], list[int]]:
    return (
        [m.event.line for m in report.matched],
        [e.line for e in report.unmatched],
        [m.line for m in report.malformed],
    )


async def test_a_gbk_log_with_a_chinese_header_is_matched_and_reported(
    importer: DoorImporter,
    room: Room,
    store: Store,
    audit: AuditTrail,
    people: dict[str, User],
    tmp_path: Path,
) -> None:
    path = tmp_path / "门禁0302.csv"
    path.write_bytes(GBK_LOG.encode("gbk"))
    report = await importer.import_file(people["wang"], path)
    assert report.encoding == "gbk" and report.source == "门禁0302.csv"
    assert lines(report) == ([2, 3, 5], [4, 6], [7, 9, 10, 11])
    assert [(m.record_id, m.kind) for m in report.matched] == [
        (room.visitor, "visitor"),
        (room.visitor, "visitor"),
        (room.staff, "staff"),
    ]
    first = report.matched[0].event
    assert (first.card, first.door, first.direction) == ("V-01", "机房A门", "in")
    assert first.at.astimezone(SHANGHAI).hour == 8 and first.at.minute == 20
    assert report.matched[1].event.direction == "out"
    assert [e.card for e in report.unmatched] == ["V-01", "X-99"]  # 11 min after the exit
    assert "time" in report.malformed[0].reason and "direction" in report.malformed[1].reason
    assert "columns" in report.malformed[2].reason and "card" in report.malformed[3].reason
    assert report.duplicates == 0 and await door_events(store) == 5
    [row] = await audit.query(action="door.import")
    assert row.object == "door_import:门禁0302.csv"
    assert {k: row.detail[k] for k in ("matched", "unmatched", "malformed", "duplicates")} == {
        "matched": 3,
        "unmatched": 2,
        "malformed": 4,
        "duplicates": 0,
    }

    again = await importer.import_file(people["wang"], path)  # the same file twice
    assert lines(again) == ([], [], [7, 9, 10, 11]) and again.duplicates == 5
    assert await door_events(store) == 5


async def test_utf8_with_bom_and_no_header_in_the_default_order(
    importer: DoorImporter, room: Room, people: dict[str, User]
) -> None:
    text = "S-7,2026-03-02T01:05:00+00:00,机房B门,IN\r\nV-01,2026-03-02 10:40,机房B门,出\r\n"
    report = await importer.import_bytes(people["wang"], ("\ufeff" + text).encode(), "b.csv")
    assert report.encoding == "utf-8"
    assert [(m.event.line, m.record_id) for m in report.matched] == [
        (1, room.staff),
        (2, room.visitor),  # 10:40 is exactly 10 minutes after the exit
    ]
    assert report.unmatched == [] and report.malformed == []
    plain = b"card,time,door,direction\nV-01,2026-03-02 08:19:59,A,in\n"
    late = await importer.import_bytes(people["wang"], plain, "c.csv")
    assert [e.line for e in late.unmatched] == [2]  # 10 minutes and 1 second early


async def test_the_newer_stay_wins_when_a_badge_was_reused(
    importer: DoorImporter,
    room: Room,
    store: Store,
    audit: AuditTrail,
    clock: ManualClock,
    people: dict[str, User],
) -> None:
    log = AccessLog(store, audit, FieldCipher(os.urandom(32)), clock, tz=SHANGHAI)
    clock.advance(timedelta(minutes=5))  # 10:35, 5 minutes after the first visitor left
    again = await log.enter_visitor(people["wang"], replace(VISITOR, name="Second Visitor"))
    text = "V-01,2026-03-02 10:36,A,in\nV-01,2026-03-02 10:31,A,out\n"
    report = await importer.import_bytes(people["wang"], text.encode(), "d.csv")
    assert [m.record_id for m in report.matched] == [again, room.visitor]


async def test_unusable_files_are_refused_before_anything_is_stored(
    importer: DoorImporter, room: Room, store: Store, people: dict[str, User], tmp_path: Path
) -> None:
    cases = [
        (b"card,time,door\nV-01,2026-03-02 09:00,A\n", "door_file_columns"),
        (b"card,time\n\x80\x80\n", "door_file_encoding"),
    ]
    for data, code in cases:
        with pytest.raises(DoorImportError) as caught:
            await importer.import_bytes(people["wang"], data, "bad.csv")
        assert caught.value.code == code
    with pytest.raises(DoorImportError) as caught:
        await importer.import_file(people["wang"], tmp_path / "missing.csv")
    assert caught.value.code == "door_file_unreadable"
    assert await door_events(store) == 0


async def test_only_record_keepers_import_and_refusals_are_audited(
    importer: DoorImporter, room: Room, audit: AuditTrail, people: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        await importer.import_bytes(people["zhao"], b"V-01,2026-03-02 09:00,A,in\n", "e.csv")
    [row] = await audit.query(action="door.import")
    assert (row.user, row.outcome) == ("zhao", "denied")


async def test_purge_takes_old_door_events_with_the_records(
    importer: DoorImporter,
    room: Room,
    store: Store,
    audit: AuditTrail,
    clock: ManualClock,
    people: dict[str, User],
) -> None:
    await importer.import_bytes(people["wang"], GBK_LOG.encode("gbk"), "f.csv")
    log = AccessLog(store, audit, FieldCipher(os.urandom(32)), clock, tz=SHANGHAI)
    report = await log.purge(people["admin"], date(2026, 3, 3))
    assert (report.records, report.door_events) == (1, 5)  # li is still inside: kept
    assert await door_events(store) == 0

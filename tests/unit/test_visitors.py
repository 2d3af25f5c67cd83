"""The access log: entries refused by the rules, exits with item checks, who is inside,
search, masked numbers and the audited reveal, and retention with secure delete. Over both
backends (``any_store``: SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.crypto import FieldCipher
from data.i18n import explain
from data.idnumbers import IdNumberError, check_character
from data.phones import PhoneError
from data.records.handover.book import HandoverBook
from data.records.visitors.book import AccessLog
from data.records.visitors.model import AccessError, AccessRecord, EntryRefused, Item
from data.roles import PermissionDenied
from data.store import Store
from tests.support.console import minimal_site
from tests.support.visitors import ID_NUMBER, PHONE_DIGITS, SHANGHAI, VISITOR, make_people
from tests.support.visitors import count as count_rows


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
async def people(accounts: Accounts, admin: User) -> dict[str, User]:
    return await make_people(accounts, admin)


@pytest.fixture
async def log(
    store: Store, audit: AuditTrail, clock: ManualClock, people: dict[str, User]
) -> AsyncIterator[AccessLog]:
    yield AccessLog(store, audit, FieldCipher(os.urandom(32)), clock, tz=SHANGHAI)
    verdict = await audit.verify()  # every test leaves a chain that still verifies
    assert verdict.ok, verdict.reason
    for entry in await audit.query(limit=10_000):  # and no name or full number in any row
        text = repr(entry.detail) + entry.object
        assert ID_NUMBER not in text and PHONE_DIGITS not in text and "Zhang" not in text


def ids(records: list[AccessRecord]) -> list[int]:
    return [record.id for record in records]


async def count(store: Store, table: str = "access_records") -> int:
    return await count_rows(store, table)


async def test_a_visitor_enters_and_only_masked_numbers_come_back(
    log: AccessLog, store: Store, people: dict[str, User], clock: ManualClock
) -> None:
    record_id = await log.enter_visitor(people["wang"], VISITOR)
    record = await log.get(people["wang"], record_id)
    assert record.id_masked == ID_NUMBER[:6] + "********" + ID_NUMBER[14:]
    assert record.phone_masked == "138****3456"
    assert (record.escort, record.badge, record.entered_at) == ("wang", "V-01", clock())
    assert record.work_on == ("A03", "core-sw-1") and record.inside
    assert record.items_in == (Item("Laptop", "SN-1"), Item("patch cable", None, 3))
    [inside] = await log.inside_now()
    assert (inside.record_id, inside.name, inside.since) == (record_id, "Zhang Mingzhe", clock())
    assert inside.id_masked == record.id_masked
    # Stored encrypted only: no column holds either number in clear.
    row = await store.fetchone("SELECT * FROM access_records WHERE id = ?", (record_id,))
    assert row is not None
    stored = " ".join(str(value) for value in tuple(row))
    assert ID_NUMBER not in stored and PHONE_DIGITS not in stored and "7712" not in stored


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"escort": "  "}, "escort_required"),
        ({"escort": "nobody"}, "escort_unknown"),
        ({"escort": "admin"}, "escort_not_operator"),
        ({"escort": "zhao"}, "escort_not_operator"),
        ({"escort": "liu"}, "escort_disabled"),
        ({"name": " "}, "name_required"),
        ({"items_in": [Item("", "SN")]}, "bad_item"),
        ({"items_in": [Item("cable", None, 0)]}, "bad_item"),
        ({"purpose": "x" * 501}, "text_too_long"),
    ],
)
async def test_refused_entries_store_nothing(
    log: AccessLog, store: Store, people: dict[str, User], change: dict[str, object], code: str
) -> None:
    with pytest.raises(AccessError) as caught:
        await log.enter_visitor(people["wang"], replace(VISITOR, **change))  # type: ignore[arg-type]
    assert caught.value.code == code
    assert await count(store) == 0 and await count(store, "access_items") == 0


async def test_bad_id_or_phone_numbers_are_refused(
    log: AccessLog, store: Store, people: dict[str, User]
) -> None:
    typo = ID_NUMBER[:15] + str((int(ID_NUMBER[15]) + 1) % 10) + ID_NUMBER[16:]
    with pytest.raises(IdNumberError) as id_error:
        await log.enter_visitor(people["wang"], replace(VISITOR, id_number=typo))
    assert id_error.value.code == "id_bad_check_digit"
    with pytest.raises(PhoneError):
        await log.enter_visitor(people["wang"], replace(VISITOR, phone="1234"))
    assert await count(store) == 0
    # A passport is checked by its shape only.
    passport = replace(VISITOR, id_type="passport", id_number="E12345678")
    record = await log.get(people["li"], await log.enter_visitor(people["wang"], passport))
    assert record.id_masked == "E1*****78" and record.escort == "wang"


async def test_the_escort_is_on_duty_or_in_the_room(
    log: AccessLog,
    store: Store,
    audit: AuditTrail,
    accounts: Accounts,
    people: dict[str, User],
    clock: ManualClock,
) -> None:
    """Registered by li, escorted by wang: refused while wang is neither at the desk (the
    one registering), nor holding the watch, nor in the room; allowed once wang is."""
    escorted_by_wang = replace(VISITOR, escort="WANG")
    with pytest.raises(AccessError) as caught:
        await log.enter_visitor(people["li"], escorted_by_wang)
    assert caught.value.code == "escort_absent" and caught.value.params["escort"] == "wang"
    assert await count(store) == 0
    assert "wang" in explain(caught.value) and "error." not in explain(caught.value)
    # wang walks in as staff: may escort from inside the room
    staff = await log.enter_staff(people["li"], "wang")
    inside = await log.enter_visitor(people["li"], escorted_by_wang)
    await log.exit(people["li"], inside, VISITOR.items_in)
    await log.exit(people["li"], staff)
    # wang holds the watch: may escort from the desk
    watch = HandoverBook(store, audit, accounts, minimal_site(), clock)
    await watch.open_shift(people["wang"])
    record = await log.get(people["li"], await log.enter_visitor(people["li"], escorted_by_wang))
    assert record.escort == "wang"


async def test_a_refused_entry_names_every_problem_in_form_order(
    log: AccessLog, store: Store, people: dict[str, User]
) -> None:
    """The form shows them all at once: each field's own check and the room's."""
    wang = people["wang"]
    await log.enter_staff(wang, "Chen", badge="V-01")
    bad = replace(
        VISITOR,
        name=" ",
        phone="1234",
        escort="li",
        purpose="x" * 501,
        items_in=[Item("cable", None, 0)],
    )
    with pytest.raises(EntryRefused) as caught:
        await log.enter_visitor(wang, bad)
    codes = [problem.code for problem in caught.value.problems]
    assert codes[0] == "name_required" and codes[1].startswith("phone_")
    assert codes[2:] == ["text_too_long", "escort_absent", "badge_inside", "bad_item"]
    assert caught.value.code == "name_required"  # the first one stands for them all
    with pytest.raises(PhoneError):  # a single problem is raised as itself
        await log.enter_visitor(wang, replace(VISITOR, phone="1234", badge="V-02"))
    assert await count(store) == 1  # only Chen's entry


async def test_badge_and_id_document_cannot_be_inside_twice(
    log: AccessLog, people: dict[str, User]
) -> None:
    wang = people["wang"]
    first = await log.enter_visitor(wang, VISITOR)
    with pytest.raises(AccessError) as caught:
        await log.enter_visitor(wang, replace(VISITOR, id_number=ID_NUMBER, badge="V-02"))
    assert caught.value.code == "id_inside"  # lower-case x or not, the same document
    other_id = ID_NUMBER[:14] + "999" + check_character(ID_NUMBER[:14] + "999")
    with pytest.raises(AccessError) as caught:
        await log.enter_visitor(wang, replace(VISITOR, id_number=other_id, badge=" V-01 "))
    assert caught.value.code == "badge_inside"
    with pytest.raises(AccessError) as caught:
        await log.enter_staff(wang, "Chen", badge="V-01")
    assert caught.value.code == "badge_inside"
    await log.exit(wang, first, VISITOR.items_in)
    second = await log.enter_visitor(wang, VISITOR)  # gone out, may come back in
    assert [p.record_id for p in await log.inside_now()] == [second]


async def test_staff_enter_by_account_or_free_name(
    log: AccessLog, people: dict[str, User], clock: ManualClock
) -> None:
    li = await log.enter_staff(people["wang"], "LI", badge="S-7", purpose="round")
    record = await log.get(people["wang"], li)
    assert (record.kind, record.account, record.name, record.escort) == ("staff", "li", "LI", None)
    assert record.id_masked is None and record.phone_masked is None
    with pytest.raises(AccessError) as caught:
        await log.enter_staff(people["wang"], "li")
    assert caught.value.code == "person_inside"
    clock.advance(timedelta(minutes=1))
    cleaner = await log.enter_staff(people["wang"], "保洁 陈阿姨")
    assert (await log.get(people["wang"], cleaner)).account is None
    assert [p.record_id for p in await log.inside_now()] == [li, cleaner]


async def test_items_mismatch_is_flagged_not_refused(
    log: AccessLog, audit: AuditTrail, people: dict[str, User], clock: ManualClock
) -> None:
    record_id = await log.enter_visitor(people["wang"], VISITOR)
    clock.advance(timedelta(hours=2))
    out = [Item("LAPTOP", "sn-1"), Item("patch  cable", None, 2), Item("USB stick", "U9")]
    record = await log.exit(people["wang"], record_id, out, note="one cable left in rack A03")
    assert record.exited_at == clock() and record.exited_by == "wang" and not record.inside
    assert record.mismatch is not None
    assert record.mismatch.missing == (Item("patch cable", None, 1),)
    assert record.mismatch.extra == (Item("USB stick", "U9"),)
    assert (await log.get(people["li"], record_id)).mismatch == record.mismatch  # stored
    [row] = await audit.query(action="access.exit")
    assert row.outcome == "flagged" and row.detail == {"items_out": 3, "missing": 1, "extra": 1}
    with pytest.raises(AccessError) as caught:
        await log.exit(people["wang"], record_id)
    assert caught.value.code == "already_exited"
    with pytest.raises(AccessError) as caught:
        await log.exit(people["wang"], 999)
    assert caught.value.code == "no_such_record"
    assert await log.inside_now() == []


async def test_matching_items_leave_no_flag(log: AccessLog, people: dict[str, User]) -> None:
    record_id = await log.enter_visitor(people["wang"], VISITOR)
    out = [Item("patch cable", None, 1), Item("laptop", "SN-1"), Item("Patch Cable", None, 2)]
    assert (await log.exit(people["wang"], record_id, out)).mismatch is None


async def test_reveal_only_for_supervisors_and_always_audited(
    log: AccessLog, audit: AuditTrail, people: dict[str, User]
) -> None:
    record_id = await log.enter_visitor(people["wang"], VISITOR)
    for who in ("wang", "admin", "zhao"):
        with pytest.raises(PermissionDenied):
            await log.reveal(people[who], record_id, "id_number")
    assert await log.reveal(people["li"], record_id, "id_number") == ID_NUMBER
    assert await log.reveal(people["li"], record_id, "phone") == PHONE_DIGITS
    with pytest.raises(AccessError) as caught:
        await log.reveal(people["li"], record_id, "name")
    assert caught.value.code == "no_such_field"
    staff = await log.enter_staff(people["wang"], "li")
    with pytest.raises(AccessError) as caught:
        await log.reveal(people["li"], staff, "phone")
    assert caught.value.code == "field_empty"
    rows = list(reversed(await audit.query(action="access.reveal")))
    assert [(r.user, r.outcome) for r in rows] == [
        ("wang", "denied"),
        ("admin", "denied"),
        ("zhao", "denied"),
        ("li", "ok"),
        ("li", "ok"),
    ]
    assert rows[3].object == f"access:{record_id}"
    masked = ID_NUMBER[:6] + "*" * 8 + ID_NUMBER[14:]
    assert rows[3].detail == {"field": "id_number", "masked": masked}


async def test_search_by_name_organisation_badge_date_and_numbers(
    log: AccessLog, audit: AuditTrail, people: dict[str, User], clock: ManualClock
) -> None:
    wang = people["wang"]
    first = await log.enter_visitor(wang, VISITOR)
    await log.exit(wang, first, VISITOR.items_in)
    clock.advance(timedelta(days=2))
    other_id = "11010519491231002X"
    second = await log.enter_visitor(
        wang,
        replace(
            VISITOR,
            name="王 5%_",
            organisation="Guangxi Power",
            id_number=other_id,
            phone="0771-5551234",
            badge="V-09",
            items_in=[],
        ),
    )
    assert ids(await log.search(wang)) == [second, first]  # newest first
    assert ids(await log.search(wang, name="mingzhe")) == [first]
    assert ids(await log.search(wang, name="5%_")) == [second]  # LIKE wildcards are literal
    assert ids(await log.search(wang, name="M_ngzhe")) == []
    assert ids(await log.search(wang, organisation="power")) == [second]
    assert ids(await log.search(wang, badge="V-01")) == [first]
    assert ids(await log.search(wang, id_number="11010519491231002x")) == [second]
    assert ids(await log.search(wang, id_number=ID_NUMBER)) == [first]
    assert ids(await log.search(wang, phone="+86 771 5551234")) == [second]
    # START is 2026-03-02 08:30 in Asia/Shanghai; the second entry two days later.
    march_2 = date(2026, 3, 2)
    assert ids(await log.search(wang, date_from=march_2, date_to=march_2)) == [first]
    assert ids(await log.search(wang, date_from=date(2026, 3, 3))) == [second]
    assert ids(await log.search(wang, date_to=date(2026, 3, 1))) == []
    assert ids(await log.search(wang, limit=1)) == [second]
    with pytest.raises(AccessError) as caught:
        await log.search(wang, date_from=date(2026, 3, 5), date_to=date(2026, 3, 4))
    assert caught.value.code == "bad_date_range"
    with pytest.raises(PermissionDenied):
        await log.search(people["zhao"], name="Zhang")
    searches = [r for r in await audit.query(action="access.search") if r.outcome == "ok"]
    assert sorted(tuple(r.detail["by"]) for r in searches) == [
        ("id_number",),
        ("id_number",),
        ("phone",),
    ]


async def test_visitors_still_inside_at_shift_end(
    log: AccessLog, people: dict[str, User], clock: ManualClock
) -> None:
    wang = people["wang"]
    leaves = await log.enter_visitor(wang, VISITOR)
    other = "11010519491231002X"
    stays = await log.enter_visitor(wang, replace(VISITOR, id_number=other, badge="V-02"))
    await log.enter_staff(wang, "li")
    clock.advance(timedelta(hours=8))
    shift_end = clock()
    clock.advance(timedelta(minutes=30))
    await log.exit(wang, leaves, VISITOR.items_in)  # left after the shift ended
    flagged = await log.inside_at_shift_end(shift_end)
    assert [p.record_id for p in flagged] == [leaves, stays]
    assert [p.record_id for p in await log.inside_at_shift_end(clock())] == [stays]


async def test_purge_deletes_old_exited_records_for_good(
    log: AccessLog,
    store: Store,
    audit: AuditTrail,
    db_path: Path,
    backend: str,
    people: dict[str, User],
    clock: ManualClock,
) -> None:
    wang = people["wang"]
    marker = "Purgeable Visitor Qzx"
    old = await log.enter_visitor(wang, replace(VISITOR, name=marker))
    await log.exit(wang, old, VISITOR.items_in)
    still_inside = await log.enter_staff(wang, "li")
    clock.advance(timedelta(days=40))
    recent = await log.enter_visitor(wang, VISITOR)
    await log.exit(wang, recent, [])
    if backend == "sqlite":
        await store.fetchall("PRAGMA secure_delete = OFF")  # prove purge turns it on itself
    with pytest.raises(PermissionDenied):
        await log.purge(people["li"], date(2026, 4, 1))
    assert await count(store) == 3
    report = await log.purge(people["admin"], date(2026, 4, 1))
    assert (report.records, report.items) == (1, 4)  # 2 items in, the same 2 out
    remaining = {r.id for r in await log.search(wang)}
    assert remaining == {still_inside, recent}
    assert await count(store, "access_items") == 2  # the recent visitor's items in
    [row] = [r for r in await audit.query(action="access.purge") if r.outcome == "ok"]
    assert row.user == "admin" and row.detail["records"] == 1 and row.detail["items"] == 4
    if backend == "sqlite":  # PostgreSQL has no secure_delete: its files are the DBA's
        assert (await store.fetchone("PRAGMA secure_delete"))[0] == 0  # type: ignore[index]
        files = [db_path, db_path.with_name(db_path.name + "-wal")]
        content = b"".join(path.read_bytes() for path in files if path.exists())
        assert marker.encode() not in content
    assert (await audit.verify()).ok


async def test_the_schema_itself_refuses_a_visitor_without_an_escort(
    log: AccessLog, store: Store
) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.write(
            "INSERT INTO access_records (kind, name, id_type, id_cipher, id_index, id_masked,"
            " entered_at, entered_by) VALUES ('visitor', 'x', 'passport', 'v1:x', 'i', 'm',"
            " '2026-03-02T00:30:00.000000+00:00', 'wang')"
        )

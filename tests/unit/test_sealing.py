"""Sealed records: the hash, its row in the audit chain, the triggers, tamper detection.

Also the site and the document helpers the handover and inspection tests share."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from data import i18n
from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.checklists import Checklist
from data.clock import ManualClock
from data.exports.document import Document
from data.models import SiteInfo
from data.records.inspections.book import InspectionBook
from data.records.sealing import (
    SealedRecordError,
    content_hash,
    refuse_sealed,
    seal_in_chain,
    verify_seal,
)
from data.store import Store

PASSWORD = "S3aled-pw"
SITE = SiteInfo.model_validate(
    {
        "name": "南宁市电子政务外网中心机房",
        "timezone": "Asia/Shanghai",
        "shifts": [
            {"name": "白班", "start": "08:30", "end": "17:30"},
            {"name": "夜班", "start": "17:30", "end": "08:30"},
        ],
    }
)
ROUND = Checklist.model_validate(
    {
        "id": "round",
        "name": "巡检",
        "schedule": "daily",
        "sections": [{"title": "环境", "items": [{"id": "clean", "text": "卫生整洁"}]}],
    }
)


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The book's tests over both backends: SQLite and PostgreSQL (issue 14)."""
    return any_store


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    previous = i18n.language()
    i18n.set_language(language)
    try:
        yield
    finally:
        i18n.set_language(previous)


def words_of(document: Document) -> list[str]:
    words = [document.title, *(value for pair in document.meta for value in pair)]
    for section in document.sections:
        words += [section.heading, *section.paragraphs]
        if section.table is not None:
            words += section.table.columns + [cell for row in section.table.rows for cell in row]
    return words


def drop_trigger(store: Any, name: str, table: str) -> str:
    """``DROP TRIGGER`` as the store's backend spells it (PostgreSQL names the table)."""
    if getattr(store, "dialect", "sqlite") == "postgresql":
        return f"DROP TRIGGER {name} ON {table}"
    return f"DROP TRIGGER {name}"


async def sealed_record(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> tuple[InspectionBook, int]:
    who = await accounts.add(admin, "chen", PASSWORD, "operator")
    book = InspectionBook(store, audit, accounts, SITE, [ROUND], clock)
    draft = await book.start(who, "round")
    await book.save_answer(who, draft, "clean", "pass", note="无杂物")
    await book.submit(who, draft, PASSWORD)
    return book, draft


def test_content_hash_is_sha256_of_canonical_json() -> None:
    content = {"b": 1, "a": "机房", "c": [1.5, None]}
    expected = '{"a":"机房","b":1,"c":[1.5,null]}'
    assert content_hash(content) == hashlib.sha256(expected.encode()).hexdigest()
    assert content_hash({"c": [1.5, None], "a": "机房", "b": 1}) == content_hash(content)


async def test_a_sealed_row_refuses_raw_sql_update_and_delete(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> None:
    book, record_id = await sealed_record(store, audit, accounts, admin, clock)
    statements = [
        ("UPDATE inspections SET inspector = 'someone' WHERE id = ?", (record_id,)),
        ("UPDATE inspections SET seal_sha256 = NULL WHERE id = ?", (record_id,)),
        ("DELETE FROM inspections WHERE id = ?", (record_id,)),
        ("UPDATE inspection_answers SET value = 'fail' WHERE inspection_id = ?", (record_id,)),
        ("DELETE FROM inspection_answers WHERE inspection_id = ?", (record_id,)),
        (
            "INSERT INTO inspection_answers (inspection_id, item_id, answered_at)"
            " VALUES (?, 'extra', '2026-01-01T00:00:00.000000+00:00')",
            (record_id,),
        ),
    ]
    for sql, params in statements:
        with pytest.raises(sqlite3.IntegrityError, match="record_sealed"):
            await store.write(sql, params)
    record = await book.get(record_id)
    assert record.inspector == "chen" and verify_seal(record)
    assert (await audit.verify()).ok


async def test_a_change_behind_the_triggers_back_is_detected(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> None:
    book, record_id = await sealed_record(store, audit, accounts, admin, clock)
    before = await book.get(record_id)
    assert await seal_in_chain(store, before, f"inspection:{record_id}")
    async with store.transaction() as db:  # what only someone editing the file can do
        await db.execute(
            drop_trigger(store, "inspection_answers_sealed_no_update", "inspection_answers")
        )
        await db.execute(
            "UPDATE inspection_answers SET note = '改过' WHERE inspection_id = ?", (record_id,)
        )
    after = await book.get(record_id)
    assert after.answers["clean"].note == "改过"
    assert not verify_seal(after) and not await book.verify(after)
    # a seal rewritten on the row alone does not match its row in the chain
    assert not await seal_in_chain(store, before, "inspection:999")


async def test_refuse_sealed_audits_a_denied_attempt(audit: AuditTrail) -> None:
    error = await refuse_sealed(audit, "chen", "handover.notes", "handover:7")
    assert isinstance(error, SealedRecordError) and error.code == "record_sealed"
    assert error.params == {"obj": "handover:7"}
    [row] = await audit.query(action="handover.notes")
    assert (row.user, row.object, row.outcome) == ("chen", "handover:7", "denied")
    assert row.detail == {"reason": "record_sealed"}

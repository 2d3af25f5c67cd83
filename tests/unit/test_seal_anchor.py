"""The audit chain's anchor at seal time: stored with every seal, printed on the record.

Issue 10 (d): paper anchors the chain. A sealed handover or inspection prints the seal's
own audit row as ``ID:HASH``; ``verify(anchor=...)`` with it proves the trail still holds
that row, and a seal whose audit row was replaced no longer checks in the chain.
"""

from __future__ import annotations

from typing import Any

import pytest

from data.accounts import Accounts, User
from data.audit import AuditTrail, ChainHead
from data.clock import ManualClock
from data.exports.handover_doc import handover_document
from data.exports.inspection_doc import inspection_document
from data.records.sealing import seal_in_chain
from data.store import Store
from tests.unit.test_handover import Desk, desk, handed_over
from tests.unit.test_sealing import drop_trigger, sealed_record, speaking

__all__ = ["desk"]  # the fixture, shared with the handover tests


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The book's tests over both backends: SQLite and PostgreSQL (issue 14)."""
    return any_store


async def _audit_row(store: Store, row_id: int) -> ChainHead:
    row = await store.fetchone("SELECT id, hash FROM audit WHERE id = ?", (row_id,))
    assert row is not None
    return ChainHead(int(row[0]), str(row[1]))


async def test_a_sealed_handover_prints_the_anchor_of_its_seal(desk: Desk) -> None:
    sealed = await handed_over(desk)
    assert sealed.seal is not None and sealed.seal.anchor is not None
    assert sealed.seal.anchor == await _audit_row(desk.store, sealed.seal.audit_id)
    for language, label in (("zh_CN", "审计锚点（封存时）"), ("en", "Audit anchor (at sealing)")):
        with speaking(language):
            meta = dict(handover_document(sealed, desk.book.site).meta)
        assert meta[label] == f"{sealed.seal.audit_id}:{sealed.seal.anchor.hash}"
    await desk.audit.record("bob", "later.work", "thing:1")  # the trail moves on
    verdict = await desk.audit.verify(anchor=ChainHead.parse(str(sealed.seal.anchor)))
    assert verdict.ok, verdict.reason


async def test_a_sealed_inspection_prints_the_anchor_of_its_seal(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> None:
    book, record_id = await sealed_record(store, audit, accounts, admin, clock)
    record = await book.get(record_id)
    assert record.seal is not None and record.seal.anchor is not None
    assert record.seal.anchor == await _audit_row(store, record.seal.audit_id)
    with speaking("en"):
        meta = dict(inspection_document(record).meta)
    assert meta["Audit anchor (at sealing)"] == str(record.seal.anchor)
    assert (await audit.verify(anchor=record.seal.anchor)).ok


async def test_a_seal_whose_anchor_no_longer_matches_its_audit_row_fails(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> None:
    book, record_id = await sealed_record(store, audit, accounts, admin, clock)
    obj = f"inspection:{record_id}"
    assert await seal_in_chain(store, await book.get(record_id), obj)
    async with store.transaction() as db:  # what only someone editing the file can do
        await db.execute(drop_trigger(store, "inspections_sealed_no_update", "inspections"))
        await db.execute(
            "UPDATE inspections SET seal_anchor = ? WHERE id = ?", ("0" * 64, record_id)
        )
    assert not await seal_in_chain(store, await book.get(record_id), obj)


async def test_a_record_sealed_before_anchors_were_stored_reads_its_seal_row(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, clock: ManualClock
) -> None:
    book, record_id = await sealed_record(store, audit, accounts, admin, clock)
    async with store.transaction() as db:  # as migration 0007 leaves an older seal
        await db.execute(drop_trigger(store, "inspections_sealed_no_update", "inspections"))
        await db.execute("UPDATE inspections SET seal_anchor = NULL WHERE id = ?", (record_id,))
    record = await book.get(record_id)
    assert record.seal is not None
    assert record.seal.anchor == await _audit_row(store, record.seal.audit_id)

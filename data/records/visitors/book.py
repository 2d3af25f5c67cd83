"""The machine-room access log: who came in (visitors and staff), who escorted them, what
they carried in and out, and who is inside now (operator guide, section 7).

Rules kept here, whatever the screen:
- A visitor needs a valid ID document (resident IDs by the GB 11643 check digit), a
  valid mainland phone number and an escort: an active operator or supervisor account
  who is there to walk in with them (the one registering, the one on duty, or staff in
  the room).
  Nobody enters with a badge someone inside still holds, nor with an ID document that is
  already inside. A refused entry stores nothing.
- ID and phone numbers are stored only encrypted (data.crypto) with a keyed blind index
  (exact-match search) and a masked copy; every record returned shows the masked copy.
  ``reveal`` gives the full number to supervisors (Permission.VIEW_ID_NUMBERS) only, and
  every reveal, granted or denied, is audited.
- Every change writes its audit row in the same transaction. Audit rows name the record
  id, the document type, masked numbers and the badge, never a name or a full number:
  the audit trail is kept forever, and retention (``purge``) must leave no personal data
  behind in it.
- Reading the log needs Permission.VIEW_STATUS; changing it WRITE_RECORDS; ``purge``
  MANAGE_CONFIG (the admin: retention is site configuration, run as a maintenance
  command, and supervisors keep no power to erase records).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo

from data.audit import AuditTrail
from data.clock import Clock, to_db, utc_now
from data.crypto import DecryptError, FieldCipher
from data.idnumbers import normalise_id
from data.phones import parse_phone
from data.records.permissions import require_audited
from data.records.visitors.model import (
    COLUMNS,
    REVEALABLE,
    AccessError,
    AccessRecord,
    Item,
    ItemMismatch,
    Presence,
    VisitorEntry,
    clean_items,
    clean_text,
    compare_items,
    presence_from_row,
    refusal,
)
from data.records.visitors.purge import PurgeReport, purge_exited_before
from data.records.visitors.rows import (
    account_named,
    clean_badge,
    entry_problems,
    escort_account,
    insert_items,
    insert_record,
    load_record,
    refuse_if_inside,
    staff_row,
    visitor_row,
)
from data.records.visitors.search import SearchFilter, search_records
from data.roles import Actor, Permission
from data.store import Store


class AccessLog:
    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        cipher: FieldCipher,
        clock: Clock = utc_now,
        *,
        tz: tzinfo = UTC,
    ) -> None:
        """``tz`` is the site's time zone: dates (search, purge, birth dates) are its days."""
        self._store = store
        self._audit = audit
        self._cipher = cipher
        self._clock = clock
        self._tz = tz

    # Entry and exit.

    async def enter_visitor(self, actor: Actor, entry: VisitorEntry) -> int:
        """Register a visitor entering now; the new record's id."""
        await self._require(actor, Permission.WRITE_RECORDS, "access.enter", "access:new")
        today = self._clock().astimezone(self._tz).date()
        async with self._store.transaction():
            problems = await entry_problems(self._store, self._cipher, entry, today, actor.name)
            if problems:
                raise refusal(problems)
            row, items = visitor_row(entry, self._cipher, today)
            row["escort"] = await escort_account(self._store, row["escort"])  # as spelt there
            record_id = await insert_record(self._store, row, items, self._clock(), actor.name)
            detail = {
                "kind": "visitor",
                "id_type": row["id_type"],
                "id_masked": row["id_masked"],
                "badge": row["badge"],
                "escort": row["escort"],
                "items_in": len(items),
            }
            await self._audit.record(actor.name, "access.enter", _obj(record_id), detail=detail)
        return record_id

    async def enter_staff(
        self, actor: Actor, name: str, badge: str | None = None, purpose: str = ""
    ) -> int:
        """Register staff entering now, by account name (matched to the account,
        whatever the case) or any other name; the new record's id."""
        await self._require(actor, Permission.WRITE_RECORDS, "access.enter", "access:new")
        row = staff_row(name, badge, purpose)
        async with self._store.transaction():
            row["account"] = await account_named(self._store, row["name"])
            await refuse_if_inside(self._store, row["badge"], None, row["account"])
            record_id = await insert_record(self._store, row, [], self._clock(), actor.name)
            detail = {"kind": "staff", "account": row["account"], "badge": row["badge"]}
            await self._audit.record(actor.name, "access.enter", _obj(record_id), detail=detail)
        return record_id

    async def exit(
        self, actor: Actor, record_id: int, items_out: Sequence[Item] = (), note: str = ""
    ) -> AccessRecord:
        """Register the exit now. Items carried out that differ from those carried in are
        flagged on the record (``mismatch``), not refused."""
        obj = _obj(record_id)
        await self._require(actor, Permission.WRITE_RECORDS, "access.exit", obj)
        items = clean_items(items_out)
        exit_note = clean_text(note, "note")
        async with self._store.transaction():
            current = await load_record(self._store, record_id)
            if not current.inside:
                raise AccessError("that person has already left", code="already_exited")
            mismatch = compare_items(current.items_in, items)
            await self._store.write(
                "UPDATE access_records SET exited_at = ?, exited_by = ?, exit_note = ?,"
                " items_mismatch = ? WHERE id = ?",
                (to_db(self._clock()), actor.name, exit_note, _json(mismatch), record_id),
            )
            await insert_items(self._store, record_id, "out", items)
            detail = {
                "items_out": len(items),
                "missing": len(mismatch.missing) if mismatch else 0,
                "extra": len(mismatch.extra) if mismatch else 0,
            }
            outcome = "ok" if mismatch is None else "flagged"
            await self._audit.record(actor.name, "access.exit", obj, outcome, detail)
            return await load_record(self._store, record_id)

    # Who is inside.

    async def inside_now(self) -> list[Presence]:
        """Everyone in the room now, the longest there first. The header shows it: no
        actor is needed, and nothing in it is unmasked."""
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM access_records WHERE exited_at IS NULL ORDER BY entered_at, id"
        )
        return [presence_from_row(row) for row in rows]

    async def inside_at_shift_end(self, shift_end: datetime) -> list[Presence]:
        """Visitors who had entered by ``shift_end`` and not left by then: the handover
        flags them."""
        end = to_db(shift_end)
        rows = await self._store.fetchall(
            f"SELECT {COLUMNS} FROM access_records WHERE kind = 'visitor' AND entered_at <= ?"
            " AND (exited_at IS NULL OR exited_at > ?) ORDER BY entered_at, id",
            (end, end),
        )
        return [presence_from_row(row) for row in rows]

    # Reading.

    async def get(self, actor: Actor, record_id: int) -> AccessRecord:
        await self._require(actor, Permission.VIEW_STATUS, "access.read", _obj(record_id))
        return await load_record(self._store, record_id)

    async def search(
        self,
        actor: Actor,
        name: str | None = None,
        organisation: str | None = None,
        date_from: date | datetime | None = None,
        date_to: date | datetime | None = None,
        badge: str | None = None,
        id_number: str | None = None,
        limit: int = 200,
        phone: str | None = None,
    ) -> list[AccessRecord]:
        """Records newest first. Name and organisation match a part, case-insensitively;
        a date range keeps the visits that overlap it (dates are whole days of the site's
        time zone, both ends included); badge, ID and phone numbers match exactly (the
        numbers through their blind index, and such a search is audited)."""
        await self._require(actor, Permission.VIEW_STATUS, "access.search", "access:*")
        where = SearchFilter(name, organisation, date_from, date_to, clean_badge(badge))
        where.limit = limit
        if id_number is not None:
            where.id_index = self._cipher.blind_index(normalise_id(id_number), field="id_number")
        if phone is not None:
            normalised = parse_phone(phone).normalised
            where.phone_index = self._cipher.blind_index(normalised, field="phone")
        found = await search_records(self._store, where, self._tz)
        by = [key for key, value in (("id_number", id_number), ("phone", phone)) if value]
        if by:
            detail = {"by": by, "matches": len(found)}
            await self._audit.record(actor.name, "access.search", "access:*", detail=detail)
        return found

    async def reveal(self, actor: Actor, record_id: int, field: str) -> str:
        """The full ID number (``field="id_number"``) or phone number (``"phone"``) of a
        record: supervisors only; granted and denied attempts are both audited."""
        obj = _obj(record_id)
        await self._require(actor, Permission.VIEW_ID_NUMBERS, "access.reveal", obj)
        if field not in REVEALABLE:
            raise AccessError("only an ID or phone number can be revealed", code="no_such_field")
        column = "id" if field == "id_number" else "phone"
        row = await self._store.fetchone(
            f"SELECT {column}_cipher AS cipher, {column}_masked AS masked"
            " FROM access_records WHERE id = ?",
            (record_id,),
        )
        if row is None:
            raise AccessError("there is no such access record", code="no_such_record")
        if row["cipher"] is None:
            raise AccessError("that record has no such number", code="field_empty", field=field)
        try:
            value = self._cipher.decrypt(row["cipher"], field=field)
        except DecryptError as exc:
            detail = {"field": field, "reason": exc.code}
            await self._audit.record(actor.name, "access.reveal", obj, "failed", detail)
            raise
        detail = {"field": field, "masked": row["masked"]}
        await self._audit.record(actor.name, "access.reveal", obj, detail=detail)
        return value

    # Retention.

    async def purge(self, actor: Actor, older_than: date) -> PurgeReport:
        """Delete the records of people who left before ``older_than`` (a day of the
        site's time zone) with their items and door events, overwriting the freed space."""
        await self._require(actor, Permission.MANAGE_CONFIG, "access.purge", "access:purge")
        cutoff = datetime.combine(older_than, datetime.min.time(), tzinfo=self._tz)
        return await purge_exited_before(self._store, self._audit, actor.name, cutoff)

    async def _require(self, actor: Actor, permission: Permission, action: str, obj: str) -> None:
        """Return if allowed, else audit the refusal and raise PermissionDenied."""
        await require_audited(self._audit, actor, [permission], action, [obj])


def _json(mismatch: ItemMismatch | None) -> str | None:
    return None if mismatch is None else mismatch.to_json()


def _obj(record_id: int) -> str:
    return f"access:{record_id}"

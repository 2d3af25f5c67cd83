"""The rows of the access log: building a validated (and for visitors encrypted) entry row,
the checks against the people inside, and reading and writing records with their items."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from data.clock import to_db
from data.crypto import FieldCipher
from data.errors import DutyDeskError
from data.idnumbers import mask_id, parse_doc_type, validate_id
from data.phones import parse_phone
from data.records.visitors.model import (
    COLUMNS,
    AccessError,
    AccessRecord,
    Item,
    VisitorEntry,
    clean_items,
    clean_text,
    record_from_row,
)
from data.store import Store

# Names compare without case on both backends: users.name is COLLATE NOCASE on SQLite and
# CITEXT on PostgreSQL, so ``name = ?`` does; other columns compare through lower(), which
# folds what NOCASE folds on SQLite.
T = TypeVar("T")
ESCORT_ROLES = ("operator", "supervisor")
_INSERT = (
    "INSERT INTO access_records (kind, name, account, organisation, id_type, id_cipher,"
    " id_index, id_masked, phone_cipher, phone_index, phone_masked, purpose, escort, badge,"
    " work_on, note, entered_at, entered_by) VALUES (:kind, :name, :account, :organisation,"
    " :id_type, :id_cipher, :id_index, :id_masked, :phone_cipher, :phone_index, :phone_masked,"
    " :purpose, :escort, :badge, :work_on, :note, :entered_at, :entered_by) RETURNING id"
)
_NO_ID = dict.fromkeys(("id_type", "id_cipher", "id_index", "id_masked"), None)
_NO_PHONE = dict.fromkeys(("phone_cipher", "phone_index", "phone_masked"), None)


def visitor_row(
    entry: VisitorEntry, cipher: FieldCipher, today: date
) -> tuple[dict[str, Any], list[Item]]:
    """The row of a visitor's entry (escort still to be checked against the accounts) and
    the items carried in; IdNumberError, PhoneError or AccessError when invalid."""
    doc_type = parse_doc_type(entry.id_type)
    id_number = validate_id(doc_type, entry.id_number, today=today)
    phone = parse_phone(entry.phone)
    escort = required_escort(entry.escort)
    row = {
        "kind": "visitor",
        "name": clean_text(entry.name, "name", required=True),
        "account": None,
        "organisation": clean_text(entry.organisation, "organisation"),
        "id_type": doc_type.value,
        "id_cipher": cipher.encrypt(id_number, field="id_number"),
        "id_index": cipher.blind_index(id_number, field="id_number"),
        "id_masked": mask_id(id_number, doc_type),
        "phone_cipher": cipher.encrypt(phone.normalised, field="phone"),
        "phone_index": cipher.blind_index(phone.normalised, field="phone"),
        "phone_masked": phone.masked,
        "purpose": clean_text(entry.purpose, "purpose"),
        "escort": escort,
        "badge": clean_badge(entry.badge),
        "work_on": json.dumps([w.strip() for w in entry.work_on if w.strip()], ensure_ascii=False),
        "note": clean_text(entry.note, "note"),
    }
    return row, clean_items(entry.items_in)


async def entry_problems(
    store: Store, cipher: FieldCipher, entry: VisitorEntry, today: date, registered_by: str
) -> list[DutyDeskError]:
    """Every reason a visitor's entry is refused, in the order of the entry form's fields
    (the form shows them all at once): each field's own check, then for a valid ID number,
    escort and badge whether the room allows them now."""
    problems: list[DutyDeskError] = []

    def run(check: Callable[[], T]) -> T | None:
        try:
            return check()
        except DutyDeskError as problem:
            problems.append(problem)
            return None

    run(lambda: clean_text(entry.name, "name", required=True))
    number = run(lambda: validate_id(parse_doc_type(entry.id_type), entry.id_number, today=today))
    if number is not None:
        id_index = cipher.blind_index(number, field="id_number")
        problems += await inside_problems(store, id_index=id_index)
    run(lambda: clean_text(entry.organisation, "organisation"))
    run(lambda: parse_phone(entry.phone))
    run(lambda: clean_text(entry.purpose, "purpose"))
    escort = run(lambda: required_escort(entry.escort))
    if escort is not None:
        problems += await escort_problems(store, escort, registered_by)
    problems += await inside_problems(store, badge=clean_badge(entry.badge))
    run(lambda: clean_items(entry.items_in))
    run(lambda: clean_text(entry.note, "note"))
    return problems


def required_escort(escort: str) -> str:
    name = escort.strip()
    if not name:
        raise AccessError("a visitor must be escorted by an operator", code="escort_required")
    return name


def staff_row(name: str, badge: str | None, purpose: str) -> dict[str, Any]:
    return {
        "kind": "staff",
        "name": clean_text(name, "name", required=True),
        "account": None,
        "organisation": "",
        "purpose": clean_text(purpose, "purpose"),
        "escort": None,
        "badge": clean_badge(badge),
        "work_on": "[]",
        "note": "",
        **_NO_ID,
        **_NO_PHONE,
    }


def clean_badge(badge: str | None) -> str | None:
    cleaned = "".join((badge or "").split())
    return cleaned or None


async def escort_account(store: Store, name: str) -> str:
    """The escort's account name as stored, if it may escort: an active operator or
    supervisor; else AccessError."""
    row = await store.fetchone("SELECT name, role, disabled FROM users WHERE name = ?", (name,))
    if row is None:
        raise AccessError("the escort is not a known account", code="escort_unknown", escort=name)
    if row["role"] not in ESCORT_ROLES:
        raise AccessError(
            "the escort must be an operator or a supervisor",
            code="escort_not_operator",
            escort=row["name"],
        )
    if row["disabled"]:
        raise AccessError(
            "the escort's account is locked", code="escort_disabled", escort=row["name"]
        )
    return str(row["name"])


async def refuse_absent_escort(store: Store, escort: str, registered_by: str) -> None:
    """AccessError (escort_absent) unless the escort is someone who can walk in with the
    visitor now: the operator registering the entry (at the desk), the one holding the
    watch (an open shift in the handover book), or staff signed into the room."""
    if escort.casefold() == registered_by.casefold():
        return
    found = await store.fetchone(
        "SELECT 1 FROM handovers WHERE kind = 'shift' AND status != 'sealed'"
        " AND lower(operator) = lower(?)"
        " UNION ALL SELECT 1 FROM access_records WHERE kind = 'staff' AND exited_at IS NULL"
        " AND lower(account) = lower(?)",
        (escort, escort),
    )
    if found is None:
        raise AccessError(
            "the escort must be on duty or in the machine room", code="escort_absent", escort=escort
        )


async def account_named(store: Store, name: str) -> str | None:
    row = await store.fetchone("SELECT name FROM users WHERE name = ?", (name,))
    return None if row is None else str(row["name"])


async def escort_problems(store: Store, escort: str, registered_by: str) -> list[DutyDeskError]:
    """Why the (non-blank) escort may not escort now: not an account that may, or not
    there; [] when they may."""
    try:
        await refuse_absent_escort(store, await escort_account(store, escort), registered_by)
    except AccessError as problem:
        return [problem]
    return []


async def inside_problems(
    store: Store, *, badge: str | None = None, id_index: str | None = None
) -> list[DutyDeskError]:
    """[the refusal] when someone inside holds the badge or the ID document, else []."""
    try:
        await refuse_if_inside(store, badge, id_index, None)
    except AccessError as problem:
        return [problem]
    return []


async def refuse_if_inside(
    store: Store, badge: str | None, id_index: str | None, account: str | None
) -> None:
    """AccessError when someone inside holds the badge, the ID document or the account."""
    checks = (
        ("badge = ?", badge, "badge_inside", "someone inside holds that badge"),
        ("id_index = ?", id_index, "id_inside", "that ID document is already inside"),
        ("lower(account) = lower(?)", account, "person_inside", "that person is inside"),
    )
    for clause, value, code, message in checks:
        if value is None:
            continue
        found = await store.fetchone(
            f"SELECT id FROM access_records WHERE exited_at IS NULL AND {clause}", (value,)
        )
        if found is not None:
            raise AccessError(message, code=code, record_id=int(found["id"]))


async def insert_record(
    store: Store, row: dict[str, Any], items: Sequence[Item], at: datetime, by: str
) -> int:
    params = {**row, "entered_at": to_db(at), "entered_by": by}
    record_id = int((await store.write(_INSERT, params))[0][0])
    await insert_items(store, record_id, "in", items)
    return record_id


async def insert_items(store: Store, record_id: int, direction: str, items: Sequence[Item]) -> None:
    for position, item in enumerate(items):
        await store.write(
            "INSERT INTO access_items (record_id, direction, position, description, serial,"
            " count) VALUES (?, ?, ?, ?, ?, ?)",
            (record_id, direction, position, item.description, item.serial, item.count),
        )


async def load_record(store: Store, record_id: int) -> AccessRecord:
    row = await store.fetchone(f"SELECT {COLUMNS} FROM access_records WHERE id = ?", (record_id,))
    if row is None:
        raise AccessError("there is no such access record", code="no_such_record")
    items = await store.fetchall(
        "SELECT direction, description, serial, count FROM access_items"
        " WHERE record_id = ? ORDER BY direction, position",
        (record_id,),
    )
    return record_from_row(row, items)

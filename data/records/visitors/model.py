"""What data.records.visitors takes and returns: entries, items, records as shown (ID and
phone numbers masked), the access errors, and the comparison of items carried in and out."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from data.clock import from_db
from data.errors import DutyDeskError
from data.idnumbers import DocType

MAX_TEXT = 500  # characters in a name, organisation, purpose, note or item description
MAX_ITEMS = 100
REVEALABLE = ("id_number", "phone")
KINDS = ("visitor", "staff")

COLUMNS = (
    "id, kind, name, account, organisation, id_type, id_masked, phone_masked, purpose,"
    " escort, badge, work_on, note, entered_at, entered_by, exited_at, exited_by, exit_note,"
    " items_mismatch"
)


class AccessError(DutyDeskError):
    """Codes: name_required, text_too_long, escort_required, escort_unknown,
    escort_not_operator, escort_disabled, escort_absent, badge_inside, id_inside,
    person_inside, bad_item, too_many_items, no_such_record, already_exited, no_such_field,
    field_empty, bad_date_range. ID and phone validation raise data.idnumbers.IdNumberError and
    data.phones.PhoneError."""

    code = "access_error"


class EntryRefused(AccessError):
    """An entry refused for more than one reason: ``problems`` in the order of the form's
    fields; the code and params are the first problem's."""

    def __init__(self, problems: Sequence[DutyDeskError]) -> None:
        first = problems[0]
        super().__init__(
            "; ".join(str(problem) for problem in problems), code=first.code, **first.params
        )
        self.problems = tuple(problems)


def refusal(problems: Sequence[DutyDeskError]) -> DutyDeskError:
    """The one error to raise for ``problems``: a single one as itself."""
    return problems[0] if len(problems) == 1 else EntryRefused(problems)


@dataclass(frozen=True)
class Item:
    """Something carried in or out: "laptop" with its serial, or "cable" x 3."""

    description: str
    serial: str | None = None
    count: int = 1

    @property
    def key(self) -> tuple[str, str | None]:
        """What makes two items the same one: description (case and spacing ignored)
        and serial."""
        serial = "".join(self.serial.split()).upper() if self.serial else None
        return (" ".join(self.description.split()).casefold(), serial or None)


@dataclass(frozen=True)
class VisitorEntry:
    name: str
    id_type: DocType | str
    id_number: str
    organisation: str
    phone: str
    purpose: str
    escort: str
    badge: str | None = None
    work_on: Sequence[str] = ()
    items_in: Sequence[Item] = ()
    note: str = ""

    def __repr__(self) -> str:  # never the ID or phone number in a log or traceback
        return f"VisitorEntry(name={self.name!r}, id_type={self.id_type!r}, ...)"


@dataclass(frozen=True)
class ItemMismatch:
    """Carried in but not out (``missing``) and out but not in (``extra``), per item key."""

    missing: tuple[Item, ...] = ()
    extra: tuple[Item, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "missing": [_item_dict(i) for i in self.missing],
                "extra": [_item_dict(i) for i in self.extra],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ItemMismatch:
        loaded = json.loads(text)
        return cls(
            tuple(Item(**i) for i in loaded.get("missing", [])),
            tuple(Item(**i) for i in loaded.get("extra", [])),
        )


@dataclass(frozen=True)
class Presence:
    """Someone in the machine room now (or at a given time)."""

    record_id: int
    kind: str
    name: str
    organisation: str
    since: datetime
    escort: str | None
    badge: str | None
    id_masked: str | None
    purpose: str
    work_on: tuple[str, ...]


@dataclass(frozen=True)
class AccessRecord:
    """One entry (and exit) as anyone may see it: ID and phone numbers masked."""

    id: int
    kind: str
    name: str
    account: str | None
    organisation: str
    id_type: str | None
    id_masked: str | None
    phone_masked: str | None
    purpose: str
    escort: str | None
    badge: str | None
    work_on: tuple[str, ...]
    note: str
    entered_at: datetime
    entered_by: str
    exited_at: datetime | None
    exited_by: str | None
    exit_note: str
    mismatch: ItemMismatch | None
    items_in: tuple[Item, ...] = field(default=())
    items_out: tuple[Item, ...] = field(default=())

    @property
    def inside(self) -> bool:
        return self.exited_at is None


def compare_items(items_in: Iterable[Item], items_out: Iterable[Item]) -> ItemMismatch | None:
    """What differs between the items carried in and out, by description and serial
    with counts; None when they match."""
    counted_in, counted_out = _count(items_in), _count(items_out)
    missing = _difference(counted_in, counted_out)
    extra = _difference(counted_out, counted_in)
    return ItemMismatch(missing, extra) if missing or extra else None


def _count(items: Iterable[Item]) -> dict[tuple[str, str | None], tuple[Item, int]]:
    found: dict[tuple[str, str | None], tuple[Item, int]] = {}
    for item in items:
        first, count = found.get(item.key, (item, 0))
        found[item.key] = (first, count + item.count)
    return found


def _difference(
    left: dict[tuple[str, str | None], tuple[Item, int]],
    right: dict[tuple[str, str | None], tuple[Item, int]],
) -> tuple[Item, ...]:
    wanting = Counter({key: count for key, (_, count) in left.items()})
    wanting.subtract({key: count for key, (_, count) in right.items()})
    return tuple(
        Item(left[key][0].description, left[key][0].serial, count)
        for key, count in wanting.items()
        if count > 0
    )


def clean_items(items: Sequence[Item]) -> list[Item]:
    if len(items) > MAX_ITEMS:
        raise AccessError(
            f"at most {MAX_ITEMS} items per entry", code="too_many_items", max_items=MAX_ITEMS
        )
    cleaned: list[Item] = []
    for item in items:
        description = " ".join(item.description.split())
        serial = item.serial.strip() if item.serial and item.serial.strip() else None
        if not description or len(description) > MAX_TEXT or item.count < 1:
            raise AccessError(
                "each item needs a description and a count of at least 1", code="bad_item"
            )
        cleaned.append(Item(description, serial, int(item.count)))
    return cleaned


def clean_text(value: str, what: str, *, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise AccessError(f"the {what} is required", code=f"{what}_required")
    if len(text) > MAX_TEXT:
        raise AccessError(
            f"the {what} is longer than {MAX_TEXT} characters",
            code="text_too_long",
            what=what,
            max_length=MAX_TEXT,
        )
    return text


def record_from_row(row: Any, items: Sequence[Any] = ()) -> AccessRecord:
    mismatch = row["items_mismatch"]
    return AccessRecord(
        id=int(row["id"]),
        kind=row["kind"],
        name=row["name"],
        account=row["account"],
        organisation=row["organisation"],
        id_type=row["id_type"],
        id_masked=row["id_masked"],
        phone_masked=row["phone_masked"],
        purpose=row["purpose"],
        escort=row["escort"],
        badge=row["badge"],
        work_on=tuple(json.loads(row["work_on"])),
        note=row["note"],
        entered_at=from_db(row["entered_at"]),
        entered_by=row["entered_by"],
        exited_at=from_db(row["exited_at"]) if row["exited_at"] else None,
        exited_by=row["exited_by"],
        exit_note=row["exit_note"],
        mismatch=ItemMismatch.from_json(mismatch) if mismatch else None,
        items_in=tuple(_item(i) for i in items if i["direction"] == "in"),
        items_out=tuple(_item(i) for i in items if i["direction"] == "out"),
    )


def presence_from_row(row: Any) -> Presence:
    return Presence(
        record_id=int(row["id"]),
        kind=row["kind"],
        name=row["name"],
        organisation=row["organisation"],
        since=from_db(row["entered_at"]),
        escort=row["escort"],
        badge=row["badge"],
        id_masked=row["id_masked"],
        purpose=row["purpose"],
        work_on=tuple(json.loads(row["work_on"])),
    )


def _item(row: Any) -> Item:
    return Item(row["description"], row["serial"], int(row["count"]))


def _item_dict(item: Item) -> dict[str, Any]:
    return {"description": item.description, "serial": item.serial, "count": item.count}

"""Shared by the access-log and door-import tests: a real-format visitor, the accounts
that enter and escort people, and a row counter."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from data.accounts import Accounts, User
from data.idnumbers import check_character
from data.records.visitors.model import Item, VisitorEntry
from data.store import Store

PASSWORD = "Duty-desk-2026"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_NUMBER = "45010319880715123" + check_character("45010319880715123")
PHONE_DIGITS = "13877123456"
VISITOR = VisitorEntry(
    name="Zhang Mingzhe",
    id_type="resident_id",
    id_number=ID_NUMBER.lower(),
    organisation="Nanning Telecom",
    phone="138-7712-3456",
    purpose="replace a line card",
    escort="wang",
    badge="V-01",
    work_on=["A03", "core-sw-1"],
    items_in=[Item("Laptop", "SN-1"), Item("patch cable", None, 3)],
)


async def make_people(accounts: Accounts, admin: User) -> dict[str, User]:
    """admin, the operator wang, the supervisor li, the auditor zhao; liu is a locked
    operator (not in the result)."""
    made = {"admin": admin}
    for name, role in (("wang", "operator"), ("li", "supervisor"), ("zhao", "auditor")):
        made[name] = await accounts.add(admin, name, PASSWORD, role)
    await accounts.add(admin, "liu", PASSWORD, "operator")
    await accounts.lock(admin, "liu")
    return made


async def count(store: Store, table: str) -> int:
    row = await store.fetchone(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])

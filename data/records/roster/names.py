"""People's names on the roster. The roster stores account names (zhangsan), as the
accounts spell them; every duty sheet of a machine room names people (张三). ``PeopleNames``
turns one into the other, read once per screen or document, not per cell."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from data.store import Store


@dataclass(frozen=True)
class PeopleNames:
    """Account name -> the person's full name; an account without one (or a name that is
    no account, e.g. one since deleted) reads as the account name."""

    full: Mapping[str, str] = field(default_factory=dict)  # keys case-folded

    def of(self, name: str) -> str:
        """``张三`` for ``zhangsan``."""
        return self.full.get(name.casefold()) or name

    def each(self, names: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.of(name) for name in names)

    def labelled(self, name: str) -> str:
        """``张三 (zhangsan)``, where the account name matters (what to type in a form)."""
        full = self.full.get(name.casefold())
        return f"{full} ({name})" if full else name


async def read_people_names(store: Store) -> PeopleNames:
    """Every account's full name, in one query (a machine room has a few dozen)."""
    rows = await store.fetchall("SELECT name, full_name FROM users")
    return PeopleNames({str(row[0]).casefold(): str(row[1]) for row in rows if row[1]})

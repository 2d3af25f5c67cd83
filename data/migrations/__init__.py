"""Schema migrations: numbered SQL files ``NNNN_name.sql`` shipped in this package.

``data.store.Store.open`` applies the ones newer than the database's ``PRAGMA user_version``,
each in its own transaction that also bumps the version. To change the schema, add the next
number; never edit a file that has shipped (databases in the field already ran it).

The files here are SQLite's. ``postgresql/`` holds the PostgreSQL version of each number
(the same number, the same name), applied by ``data.pg_store``; while the PostgreSQL store
is being ported (issue 14) it has only some numbers, so it is loaded with ``gaps=True``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from importlib import resources

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


def load_migrations(package: str = "data.migrations", *, gaps: bool = False) -> list[Migration]:
    """The package's migrations in order; numbering must run 1, 2, 3... without gaps
    (``gaps=True``: only without duplicates, for a dialect still being ported)."""
    found: list[Migration] = []
    for entry in resources.files(package).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        found.append(
            Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8"))
        )
    found.sort(key=lambda m: m.version)
    if gaps:
        for before, migration in itertools.pairwise(found):
            if before.version == migration.version:
                raise RuntimeError(
                    f"migrations {before.label} and {migration.label} share a number"
                )
        return found
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            # A gap or a duplicate is a packaging mistake: refuse rather than guess.
            raise RuntimeError(
                f"migration {migration.label} found where version {expected} was expected"
            )
    return found

"""Schema migrations: numbered SQL files ``NNNN_name.sql`` shipped in this package.

``data.store.Store.open`` applies the ones newer than the database's ``PRAGMA user_version``,
each in its own transaction that also bumps the version. To change the schema, add the next
number; never edit a file that has shipped (databases in the field already ran it).
"""

from __future__ import annotations

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


def load_migrations(package: str = "data.migrations") -> list[Migration]:
    """The package's migrations in order; numbering must run 1, 2, 3... without gaps."""
    found: list[Migration] = []
    for entry in resources.files(package).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        found.append(
            Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8"))
        )
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            # A gap or a duplicate is a packaging mistake: refuse rather than guess.
            raise RuntimeError(
                f"migration {migration.label} found where version {expected} was expected"
            )
    return found

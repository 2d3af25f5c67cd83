"""Which store: ``open_store(target)`` opens SQLite for a path and PostgreSQL for a DSN.

``postgresql://user@host:port/dbname`` (or ``postgres://``) opens ``data.pg_store.PgStore``;
anything else is a file path for ``data.store.Store`` (SQLite, the embedded default). Both
offer the API the record books use (``AnyStore``); the password of a DSN comes from
``PGPASSWORD`` or ``~/.pgpass`` and is masked in every message (``mask_dsn``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

from data.pg_store import PgStore, is_dsn, mask_dsn, store_file_stem
from data.pg_store import _default_key_dir as default_key_dir
from data.store import Store, StoreError

AnyStore = Store | PgStore
DbTarget = Path | str  # a SQLite file's path or a PostgreSQL DSN
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

__all__ = [
    "AnyStore",
    "DbTarget",
    "db_target",
    "expand_dsn",
    "is_dsn",
    "local_path",
    "mask_dsn",
    "open_store",
    "store_label",
]


async def open_store(target: str | Path, *, key_dir: Path | str | None = None) -> AnyStore:
    """The store at ``target``: a PostgreSQL DSN or a SQLite file path. ``key_dir`` is where
    a PostgreSQL store keeps its local files (keys, backup log); SQLite keeps them beside
    the file."""
    if is_dsn(target):
        return await PgStore.open(str(target), key_dir=key_dir)
    return await Store.open(target)


def store_label(target: str | Path) -> str:
    """How messages name the store: the path, or the DSN without its password."""
    return mask_dsn(str(target)) if is_dsn(target) else str(target)


def expand_dsn(dsn: str) -> str:
    """``${NAME}`` in a DSN replaced by that environment variable (e.g. the password:
    ``postgresql://duty:${DUTYDESK_PG_PASSWORD}@db1/dutydesk``); a missing one is refused."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise StoreError(f"{mask_dsn(dsn)} names ${{{name}}}, which is not set")
        return quote(os.environ[name], safe="")

    return _ENV_REF.sub(value, dsn)


def db_target(text: str | Path) -> DbTarget:
    """``--db``/``DUTYDESK_DB`` as given: a DSN stays text (``Path`` would fold its ``//``)
    with its ``${ENV}`` references filled in, anything else is a path (``~`` expanded)."""
    return expand_dsn(str(text)) if is_dsn(text) else Path(text).expanduser()


def local_path(target: DbTarget, *, key_dir: Path | str | None = None) -> Path:
    """Where a store's local files are named from: the SQLite file itself, or for a DSN
    ``<key_dir>/<dbname>_<host>_<port>.pg`` (key_dir: ``$XDG_DATA_HOME/dutydesk/postgresql``),
    so ``<db>.audit-key``, ``<db>.key`` and ``<db>.backups.json`` sit beside that name."""
    if is_dsn(target):
        folder = Path(key_dir) if key_dir is not None else default_key_dir()
        return folder / store_file_stem(str(target))
    return Path(target)

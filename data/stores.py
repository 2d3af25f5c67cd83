"""Which store: ``open_store(target)`` opens SQLite for a path and PostgreSQL for a DSN.

``postgresql://user@host:port/dbname`` (or ``postgres://``) opens ``data.pg_store.PgStore``;
anything else is a file path for ``data.store.Store`` (SQLite, the embedded default). Both
offer the API the record books use (``AnyStore``); the password of a DSN comes from
``PGPASSWORD`` or ``~/.pgpass`` and is masked in every message (``mask_dsn``).
"""

from __future__ import annotations

from pathlib import Path

from data.pg_store import PgStore, is_dsn, mask_dsn
from data.store import Store

AnyStore = Store | PgStore

__all__ = ["AnyStore", "is_dsn", "mask_dsn", "open_store", "store_label"]


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

"""Changes to site.yaml, audited: the store remembers the file it last ran with.

At start the console (and ``dutydesk check``) fingerprints the site file: its SHA-256 and a
short hash of every value by key path (``devices[core-sw-1].host``, list items by their
id). When the file's hash differs from the one kept in the store's ``meta``, the audit row
``site.changed`` names the key paths whose values changed, were added or removed, and the
new fingerprint replaces the old in the same transaction. The first file a store sees is
only remembered.

Secrets: no value is kept, only hashes; the file is read without ``${ENV}`` substitution
(a reference like ``${SNMP_COMMUNITY}`` is what the file holds), and a value written
literally under a secret key (``community``, ``auth_key``...) is hashed with a key derived
from the store's field-encryption key, so that the hash of a short community string
cannot be guessed by trying common ones. Without that key such a value counts as
unchanged by key path, but the file hash still records that the file changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from data.audit import AuditTrail
from data.crypto import KeyFileError, key_path_for, load_key
from data.store import Store, StoreError
from data.stores import open_store, store_label
from data.yaml_source import SECRET_KEYS, KeyPath, MarkedDoc, read_limited, read_yaml

log = logging.getLogger(__name__)

META_KEY = "site.fingerprint"
AUDIT_ACTION = "site.changed"
MAX_LISTED = 200  # key paths named in one audit row; the count says how many in all
_HASH_CHARS = 16  # 64 bits: enough to see a change, too short to be worth a lookup table
_SECRET_LABEL = b"dutydesk site.yaml secret value v1\0"
_NO_KEY = "secret"


@dataclass(frozen=True)
class SiteFingerprint:
    sha256: str  # of the whole file
    values: dict[str, str]  # key path -> short hash of its value

    def changed_paths(self, previous: SiteFingerprint) -> list[str]:
        """Key paths added, removed or holding another value than in ``previous``."""
        paths = self.values.keys() | previous.values.keys()
        return sorted(p for p in paths if self.values.get(p) != previous.values.get(p))

    def to_meta(self) -> str:
        text = json.dumps({"sha256": self.sha256, "values": self.values}, sort_keys=True)
        return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")

    @classmethod
    def from_meta(cls, stored: str) -> SiteFingerprint | None:
        """The stored fingerprint, or None if it cannot be read (then it is replaced)."""
        try:
            data = json.loads(zlib.decompress(base64.b64decode(stored)))
            return cls(str(data["sha256"]), {str(k): str(v) for k, v in data["values"].items()})
        except (ValueError, KeyError, TypeError, AttributeError, zlib.error):
            return None


def fingerprint(path: Path, secret_key: bytes | None = None) -> SiteFingerprint | None:
    """The fingerprint of the site file at ``path``; None when it cannot be read."""
    try:
        raw = read_limited(path)
    except OSError:
        return None
    doc, _ = read_yaml(path, str(path), env=None)
    values: dict[str, str] = {}
    if doc is not None:
        _leaves(doc, doc.data, (), secret_key, values)
    return SiteFingerprint(hashlib.sha256(raw).hexdigest(), values)


def _leaves(
    doc: MarkedDoc, node: Any, path: KeyPath, key: bytes | None, into: dict[str, str]
) -> None:
    items: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    if items:
        for seg, child in items:
            _leaves(doc, child, (*path, seg), key, into)
        return
    name = doc.key_path(path)
    secret = bool(path) and path[-1] in SECRET_KEYS and isinstance(node, str)
    into[name] = _secret_hash(node, key) if secret else _hash(node)


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_CHARS]


def _secret_hash(value: str, key: bytes | None) -> str:
    if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        return _hash(value)  # a reference to the environment, not the secret itself
    if key is None:
        return _NO_KEY
    digest = hmac.new(key, _SECRET_LABEL + value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:_HASH_CHARS]


def _store_key(db_path: Path) -> bytes | None:
    try:
        return load_key(key_path_for(db_path))
    except (KeyFileError, OSError):
        return None  # no key yet (before init) or not usable: secrets by file hash only


async def record_site_change(store: Store, audit: AuditTrail, site_file: Path | None) -> None:
    """Compare ``site_file`` with the fingerprint in the store; audit a change.

    A store that cannot be written (read-only, a fault) keeps its old fingerprint: the
    change is recorded by the next start that can write.
    """
    if site_file is None:
        return  # a site built in code, not from a file
    current = fingerprint(site_file, _store_key(store.path))
    if current is None:
        log.warning("site file %s could not be read again to record changes", site_file)
        return
    try:
        stored = await store.get_meta(META_KEY)
        previous = SiteFingerprint.from_meta(stored) if stored is not None else None
        if previous is not None and previous.sha256 == current.sha256:
            return
        async with store.transaction():
            if previous is not None:
                changed = current.changed_paths(previous)
                detail = {
                    "sha256": current.sha256,
                    "previous_sha256": previous.sha256,
                    "changed": changed[:MAX_LISTED],
                    "changed_count": len(changed),
                }
                await audit.record(None, AUDIT_ACTION, str(site_file), detail=detail)
            await store.set_meta(META_KEY, current.to_meta())
    except StoreError as error:
        log.warning("could not record the site file's fingerprint: %s", error)


async def record_site_change_at(db_path: Path | str, site_file: Path | None) -> None:
    """``record_site_change`` for a command that keeps no store (``dutydesk check``): only
    into a store that exists, never creating one (a DSN's database exists on its server)."""
    if site_file is None or (isinstance(db_path, Path) and not db_path.exists()):
        return
    try:
        store = cast(Store, await open_store(db_path))
    except StoreError as error:
        log.warning("could not open %s to record site changes: %s", store_label(db_path), error)
        return
    try:
        await record_site_change(store, AuditTrail(store), site_file)
    finally:
        await store.close()

"""Encryption of personal data fields at rest (visitors' ID and phone numbers).

The key: 32 random bytes in a file readable only by the console's user (mode 0600, owned
by that user), by default beside the database as ``<db>.key`` (``dutydesk.db`` ->
``dutydesk.db.key``): it moves with the database directory, and ``dutydesk init``
creates it through ``ensure_key(db_path)``. Without the key the encrypted fields cannot
be read, so a backup of the database is useful only together with the key: keep a copy
of the key apart from the backups. A key file readable by group or others, or owned by
someone else, is refused with a message saying how to fix it; ``create_key`` never
overwrites an existing key (that would make every stored number unreadable).

``FieldCipher(key)``: two keys are derived from the file's key with HKDF-SHA256 (separate
``info`` labels), one for AES-256-GCM and one for HMAC-SHA256:

- ``encrypt(text, field=...)`` -> ``"v1:" + base64url(nonce(12) + ciphertext + tag)``; the
  field name is authenticated data, so a phone token pasted into the ID column fails.
- ``decrypt(token, field=...)``: ``DecryptError`` for a wrong key, a changed token or
  another field's token.
- ``blind_index(value, field=...)``: a keyed HMAC (hex) for exact-match search without
  decrypting; equal inputs give equal indexes, and without the key it reveals nothing
  (an unkeyed hash of an 18-digit ID could be brute-forced from the birth date and region).
  Callers pass the normalised value (``data.idnumbers.normalise_id``, ``Phone.normalised``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from data.errors import DutyDeskError

KEY_BYTES = 32
KEY_SUFFIX = ".key"
AUDIT_KEY_SUFFIX = ".audit-key"
TOKEN_VERSION = "v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_ENCRYPTION_INFO = b"dutydesk field encryption v1"
_INDEX_INFO = b"dutydesk blind index v1"


class KeyFileError(DutyDeskError):
    """Codes: key_missing, key_exists, key_permissions, key_owner, key_not_file,
    key_bad_size. Params hold the path (never the key)."""

    code = "key_file_error"


class DecryptError(DutyDeskError):
    """Codes: bad_token (not a token of ours), decrypt_failed (wrong key or changed)."""

    code = "decrypt_failed"


def key_path_for(db_path: Path | str) -> Path:
    """The key file of a database: ``<db>.key`` beside it."""
    path = Path(db_path)
    return path.with_name(path.name + KEY_SUFFIX)


def create_key(path: Path | str) -> Path:
    """Write a new random key with mode 0600; ``KeyFileError`` (key_exists) if the file
    exists: an existing key is never replaced."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"the key file {target} already exists and is never overwritten: replacing it"
            " would make what it protects unreadable or unverifiable",
            code="key_exists",
            path=str(target),
        ) from None
    try:
        os.fchmod(fd, 0o600)  # whatever the umask allowed, the key is the owner's only
        os.write(fd, os.urandom(KEY_BYTES))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        target.unlink(missing_ok=True)
        raise
    os.close(fd)
    return target


def load_key(path: Path | str) -> bytes:
    """The key in ``path``, refused unless it is a regular file of 32 bytes, owned by this
    user and unreadable by anyone else."""
    target = Path(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise KeyFileError(
            f"the key file {target} does not exist: run `dutydesk init` to create it, or"
            " restore the key that belongs to this database",
            code="key_missing",
            path=str(target),
        ) from None
    except OSError as exc:  # a symlink (ELOOP) or unreadable
        raise KeyFileError(
            f"the key file {target} cannot be opened ({exc.strerror}): it must be a plain"
            " file readable by this user",
            code="key_not_file",
            path=str(target),
        ) from None
    try:
        info = os.fstat(fd)
        _check_key_file(target, info)
        key = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            f"the key file {target} does not hold a {KEY_BYTES}-byte key",
            code="key_bad_size",
            path=str(target),
        )
    return key


def _check_key_file(target: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(
            f"the key file {target} is not a regular file", code="key_not_file", path=str(target)
        )
    if info.st_uid != os.geteuid():
        raise KeyFileError(
            f"the key file {target} belongs to another user: it must be owned by the user"
            " who runs the console",
            code="key_owner",
            path=str(target),
        )
    if info.st_mode & 0o077:
        raise KeyFileError(
            f"the key file {target} is readable by other users (mode"
            f" {stat.S_IMODE(info.st_mode):04o}); refusing to use it. Fix it with:"
            f" chmod 600 {target}",
            code="key_permissions",
            path=str(target),
            mode=f"{stat.S_IMODE(info.st_mode):04o}",
        )


def ensure_key(db_path: Path | str) -> Path:
    """The database's key file, created if missing, checked if present (for init)."""
    return _ensure(key_path_for(db_path))


def audit_key_path_for(db_path: Path | str) -> Path:
    """The key of a database's audit chain (data.audit): ``<db>.audit-key``, beside the
    field key, kept and protected the same way. A separate key, so that proving the trail
    (an auditor's job) never needs the key that decrypts visitors' numbers."""
    path = Path(db_path)
    return path.with_name(path.name + AUDIT_KEY_SUFFIX)


def ensure_audit_key(db_path: Path | str) -> Path:
    """The database's audit chain key file, created if missing, checked if present."""
    return _ensure(audit_key_path_for(db_path))


def _ensure(path: Path) -> Path:
    if not path.exists() and not path.is_symlink():
        return create_key(path)
    load_key(path)
    return path


def open_cipher(db_path: Path | str) -> FieldCipher:
    """The cipher of a database, from its key file (``KeyFileError`` when unusable)."""
    return FieldCipher(load_key(key_path_for(db_path)))


class FieldCipher:
    __slots__ = ("_aead", "_index_key")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a field key has {KEY_BYTES} bytes")
        self._aead = AESGCM(_derive(key, _ENCRYPTION_INFO))
        self._index_key = _derive(key, _INDEX_INFO)

    def __repr__(self) -> str:
        return "FieldCipher(<key hidden>)"

    def encrypt(self, text: str, *, field: str = "") -> str:
        nonce = os.urandom(_NONCE_BYTES)  # 96 random bits: no repeat in any real volume
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), _aad(field))
        return f"{TOKEN_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, field: str = "") -> str:
        version, _, body = token.partition(":")
        if version != TOKEN_VERSION:
            raise DecryptError("not an encrypted field of this version", code="bad_token")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raise DecryptError("the encrypted field is damaged", code="bad_token") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptError("the encrypted field is damaged", code="bad_token")
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(field))
        except InvalidTag:
            raise DecryptError(
                "the field cannot be decrypted: a different key, or the data was changed",
                code="decrypt_failed",
            ) from None
        return plain.decode("utf-8")

    def blind_index(self, value: str, *, field: str = "") -> str:
        message = field.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(key)


def _aad(field: str) -> bytes:
    return f"dutydesk:{TOKEN_VERSION}:{field}".encode()

"""Password hashing (scrypt) and the password policy.

Hashes are stored as ``scrypt$n$r$p$salt_b64$hash_b64`` so the cost can be raised later
while old hashes still verify. Hashing takes ~0.2-0.5 s and 128 MiB by design: async
callers use ``hash_password_async`` / ``verify_password_async`` so the UI keeps running.
Passwords are NFC-normalised first, so the same text typed through different input
methods matches.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import unicodedata

from data.errors import DutyDeskError

# The scrypt cost. Tests that are not about the hash itself may lower SCRYPT_N (a power of
# two) to stay fast; verification always uses the parameters stored in the hash.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MAXMEM = 256 * 1024 * 1024
SALT_BYTES = 16
KEY_BYTES = 64
MIN_LENGTH = 8
MIN_CLASSES = 3

_CLASS_NAMES = ("lowercase letters", "uppercase letters", "digits", "symbols")
_dummy_hashes: dict[int, str] = {}


class PasswordPolicyError(DutyDeskError):
    """The new password breaks the policy; ``params['problems']`` lists the rule codes
    (``too_short``, ``few_classes``, ``equals_name``)."""

    code = "weak_password"


def _classes(password: str) -> list[str]:
    present = [False, False, False, False]
    for char in password:
        if char.islower():
            present[0] = True
        elif char.isupper():
            present[1] = True
        elif char.isdigit():
            present[2] = True
        else:  # punctuation, spaces, and letters without case such as Chinese characters
            present[3] = True
    return [name for name, seen in zip(_CLASS_NAMES, present, strict=True) if seen]


def check_policy(password: str, user_name: str) -> None:
    """Raise ``PasswordPolicyError`` saying everything that is missing, or return."""
    password = unicodedata.normalize("NFC", password)
    problems: list[str] = []
    messages: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
        messages.append(f"at least {MIN_LENGTH} characters (it has {len(password)})")
    classes = _classes(password)
    if len(classes) < MIN_CLASSES:
        problems.append("few_classes")
        has = ", ".join(classes) if classes else "none"
        messages.append(
            f"characters of at least {MIN_CLASSES} kinds of: {', '.join(_CLASS_NAMES)}"
            f" (it has {len(classes)}: {has})"
        )
    if password.casefold() == user_name.casefold():
        problems.append("equals_name")
        messages.append("to differ from the user name")
    if problems:
        raise PasswordPolicyError(
            "The password needs " + "; and ".join(messages) + ".", problems=problems
        )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)])


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time check; a malformed or unsupported hash verifies as False."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        wanted = base64.b64decode(expected)
        key = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(wanted))
        return hmac.compare_digest(key, wanted)
    except ValueError:  # wrong field count, bad base64, or parameters scrypt refuses
        return False


def dummy_hash() -> str:
    """A hash of nothing anyone knows, at the current cost: verifying against it for an
    unknown user takes as long as for a real one, so timing does not tell names apart."""
    if SCRYPT_N not in _dummy_hashes:
        _dummy_hashes[SCRYPT_N] = hash_password(secrets.token_urlsafe(24))
    return _dummy_hashes[SCRYPT_N]


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, encoded: str) -> bool:
    return await asyncio.to_thread(verify_password, password, encoded)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=dklen)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")

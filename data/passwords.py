"""Password hashing (scrypt) and the password policy.

The policy (MLPS level 3): at least 8 characters of 3 kinds, no control characters, not
containing the user name, not one of the common passwords in ``common_passwords.txt``
(shipped in this package, so the check works offline; its source and licence are in the
file's header).

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
from functools import cache
from importlib import resources

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
# Names shorter than this may appear in a password: refusing every password that holds a
# one- or two-letter name (say "li") would refuse half the dictionary and protect nothing.
MIN_NAME_IN_PASSWORD = 3
COMMON_PASSWORDS_FILE = "common_passwords.txt"

_CLASS_NAMES = ("lowercase letters", "uppercase letters", "digits", "symbols")


class PasswordPolicyError(DutyDeskError):
    """The new password breaks the policy; ``params['problems']`` lists the rule codes
    (``too_short``, ``few_classes``, ``control_chars``, ``contains_name``, ``common``)."""

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
    if has_control_chars(password):
        problems.append("control_chars")
        messages.append("no control characters (such as NUL, tab or newline)")
    if _contains_name(password, user_name):
        problems.append("contains_name")
        messages.append("not to contain the user name")
    if password.casefold() in common_passwords():
        problems.append("common")
        messages.append("not to be one of the commonly used passwords")
    if problems:
        raise PasswordPolicyError(
            "The password needs " + "; and ".join(messages) + ".", problems=problems
        )


def has_control_chars(text: str) -> bool:
    """NUL, other C0/C1 controls (tab and newline too) and lone surrogates: invisible when
    typed, mangled by terminals and files, and lone surrogates cannot even be encoded."""
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in text)


def _contains_name(password: str, user_name: str) -> bool:
    name = unicodedata.normalize("NFC", user_name).casefold()
    return len(name) >= MIN_NAME_IN_PASSWORD and name in password.casefold()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, case-folded; read once per process."""
    text = resources.files("data").joinpath(COMMON_PASSWORDS_FILE).read_text("utf-8")
    return frozenset(
        unicodedata.normalize("NFC", line).casefold()
        for line in text.splitlines()
        if line and not line.startswith("#")
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
    """A well-formed hash at the current cost that no password matches (random salt and
    random key, made without running scrypt): verifying against it for an unknown user runs
    exactly one scrypt, as a real check does, so neither time nor work tells names apart."""
    salt, key = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(KEY_BYTES)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)])


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, encoded: str) -> bool:
    return await asyncio.to_thread(verify_password, password, encoded)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=dklen)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")

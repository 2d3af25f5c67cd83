"""Mainland China phone numbers: validation, one normalised form, masked display.

- Mobile: 11 digits ``1[3-9]XXXXXXXXX``, written with an optional ``+86`` / ``0086``
  prefix and spaces or dashes anywhere: normalised ``13812345678``, shown
  ``138****5678``.
- Landline: ``0`` + area code + a 7 or 8 digit subscriber number, optionally an
  extension. Area codes starting with 1 or 2 have two digits (010, 020-029), all others
  three (0771): the numbering plan makes this unambiguous, so ``07715551234`` needs no
  dash. Written with spaces, dashes, dots or ``(0771)``; after ``+86`` the trunk 0 is
  dropped (``+86 771 5551234``). An extension follows a marker (ext, x, #, 转, 分机), or
  is the last group written when the groups before it make a whole number
  (``0771-5551234-6`` has extension 6; ``010 1234 5678`` has none). Normalised
  ``0771-5551234`` / ``010-12345678-801``; shown ``0771-****234``: the first 4
  subscriber digits and the extension hidden.

``parse_phone`` raises ``PhoneError`` (codes phone_required, phone_bad_format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from data.errors import DutyDeskError

_COUNTRY_PREFIX = re.compile(r"^(?:\+\s*86|0086)[\s\-.]*")
_EXTENSION_MARKER = re.compile(r"(?:ext\.?|x|#|转|分机)\s*(\d{1,6})\s*$", re.IGNORECASE)
_ALLOWED = re.compile(r"^[\d\s\-.()]+$")
_GROUP_SEPARATORS = re.compile(r"[\s\-.()]+")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SUBSCRIBER = re.compile(r"^[1-9]\d{6,7}$")  # a subscriber number never starts with 0
_EXTENSION = re.compile(r"^\d{1,6}$")


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"


class PhoneError(DutyDeskError):
    """Codes: phone_required, phone_bad_format. Its params never hold the number."""

    code = "phone_error"


@dataclass(frozen=True)
class Phone:
    kind: PhoneKind
    area: str  # landline: "0771", "010"; mobile: ""
    number: str  # mobile: all 11 digits; landline: the subscriber number
    extension: str = ""

    @property
    def normalised(self) -> str:
        if self.kind is PhoneKind.MOBILE:
            return self.number
        main = f"{self.area}-{self.number}"
        return f"{main}-{self.extension}" if self.extension else main

    @property
    def masked(self) -> str:
        if self.kind is PhoneKind.MOBILE:
            return f"{self.number[:3]}****{self.number[7:]}"
        main = f"{self.area}-****{self.number[4:]}"
        return f"{main}-{'*' * len(self.extension)}" if self.extension else main

    def __repr__(self) -> str:  # a phone number is personal data: never in a log line
        return f"Phone({self.kind.value}, {self.masked})"


def parse_phone(text: str) -> Phone:
    """The phone number in ``text``, or ``PhoneError``."""
    body = text.strip()
    if not body:
        raise PhoneError("a phone number is required", code="phone_required")
    extension = ""
    marker = _EXTENSION_MARKER.search(body)
    if marker is not None:
        extension, body = marker[1], body[: marker.start()].rstrip(" -.")
    prefix = _COUNTRY_PREFIX.match(body)
    international = prefix is not None
    if prefix is not None:
        body = body[prefix.end() :]
    if not body or not _ALLOWED.match(body):
        raise _bad_format()
    groups = [group for group in _GROUP_SEPARATORS.split(body) if group]
    digits = "".join(groups)
    if _MOBILE.match(digits) and not extension:
        return Phone(PhoneKind.MOBILE, "", digits)
    if international:
        if digits.startswith("0"):
            raise _bad_format()  # after +86 the trunk 0 is dropped
        groups[0] = "0" + groups[0]
    found = None
    if not extension and len(groups) >= 2 and _EXTENSION.match(groups[-1]):
        # The writer's grouping wins: 0771-5551234-6 is an extension, not 0771-55512346.
        found = _landline("".join(groups[:-1]), groups[-1])
    found = found or _landline("".join(groups), extension)
    if found is None:
        raise _bad_format()
    return found


def _landline(digits: str, extension: str) -> Phone | None:
    if len(digits) < 3 or digits[0] != "0" or digits[1] == "0":
        return None
    area_length = 3 if digits[1] in "12" else 4  # the trunk 0 and 2 or 3 digits
    area, subscriber = digits[:area_length], digits[area_length:]
    if not _SUBSCRIBER.match(subscriber):
        return None
    return Phone(PhoneKind.LANDLINE, area, subscriber, extension)


def _bad_format() -> PhoneError:
    return PhoneError(
        "not a mainland mobile (11 digits starting with 13-19) or landline number"
        " (0 + area code + 7 or 8 digits)",
        code="phone_bad_format",
    )


def normalise_phone(text: str) -> str:
    return parse_phone(text).normalised


def mask_phone(text: str) -> str:
    """The masked display of a phone number (any accepted spelling of it)."""
    return parse_phone(text).masked


def is_valid_phone(text: str) -> bool:
    try:
        parse_phone(text)
    except PhoneError:
        return False
    return True

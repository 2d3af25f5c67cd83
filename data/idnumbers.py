"""Identity document numbers: validation, normalisation and masking.

A resident identity card number (居民身份证号码, GB 11643-1999) has 18 characters: a
6-digit address code whose first two digits name the province, an 8-digit birth date
(YYYYMMDD), a 3-digit sequence code and a check character. The check character is
``sum(digit_i * weight_i) mod 11`` over the first 17 digits, mapped through ``1 0 X 9 8 7 6
5 4 3 2``. Every weight is non-zero modulo 11 (a prime), so any single changed digit
changes the check character: one typo is always caught. A lower-case ``x`` is accepted
and stored as ``X``.

Other documents get lighter checks of their shape only (no checksum is public for them).
``validate_id`` returns the normalised number or raises ``IdNumberError`` with a code:
id_required, id_bad_type, id_bad_length, id_bad_chars, id_bad_region, id_bad_birth_date,
id_bad_check_digit, id_bad_format.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum

from data.errors import DutyDeskError

RESIDENT_ID_LENGTH = 18
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
_EARLIEST_BIRTH = date(1900, 1, 1)
# Province-level codes (GB/T 2260), plus 83 (Taiwan residents' residence permits) and 91
# (foreigners' permanent residence ID cards), which use the same 18-character layout.
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47))]
    + [str(n) for n in (*range(50, 55), *range(61, 66), 71, 81, 82, 83, 91)]
)
_RESIDENT_SHAPE = re.compile(r"^\d{17}[\dX]$")
_SPACES = re.compile(r"\s+")


class DocType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    HK_MACAU_PERMIT = "hk_macau_permit"  # 港澳居民来往内地通行证 / 往来港澳通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    OFFICER_CARD = "officer_card"  # 军官证 / 警官证
    OTHER = "other"


# The shape of each other document, after normalise_id (spaces gone, upper case).
_SHAPES: dict[DocType, re.Pattern[str]] = {
    # Chinese passports are E/G + 8 characters; foreign ones vary: letters and digits.
    DocType.PASSPORT: re.compile(r"^[A-Z0-9]{5,17}$"),
    # Home-return permits H/M + 8 or 10 digits; mainland permits C + 8 characters.
    DocType.HK_MACAU_PERMIT: re.compile(r"^[HMC][A-Z0-9]{8,10}$"),
    # 8 digits (since 2015), or the older 10 digits with an optional letter suffix.
    DocType.TAIWAN_PERMIT: re.compile(r"^\d{8}(?:\d{2}(?:\(?[A-Z]\)?)?)?$"),
    # Issued by each service in its own form, often with Chinese characters: 南字第123456号.
    DocType.OFFICER_CARD: re.compile(r"^[A-Z0-9\u4e00-\u9fff()（）-]{4,24}$"),
    DocType.OTHER: re.compile(r"^\S{2,32}$"),
}


class IdNumberError(DutyDeskError):
    """Codes: id_required, id_bad_type, id_bad_length, id_bad_chars, id_bad_region,
    id_bad_birth_date, id_bad_check_digit, id_bad_format. Its params never hold the number."""

    code = "id_number_error"


def normalise_id(number: str) -> str:
    """The stored form of any document number: no whitespace, ASCII letters upper case."""
    return _SPACES.sub("", number).upper()


def check_character(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("the check character is computed from exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def validate_resident_id(number: str, today: date | None = None) -> str:
    """The normalised 18-character number, or ``IdNumberError``."""
    value = normalise_id(number)
    if not value:
        raise IdNumberError("an ID number is required", code="id_required")
    if len(value) != RESIDENT_ID_LENGTH:
        raise IdNumberError(
            f"a resident ID number has 18 characters, not {len(value)}",
            code="id_bad_length",
            expected=RESIDENT_ID_LENGTH,
            found=len(value),
        )
    if not value.isascii() or not _RESIDENT_SHAPE.match(value):
        raise IdNumberError(
            "a resident ID number is 17 digits followed by a digit or X", code="id_bad_chars"
        )
    if value[:2] not in PROVINCE_CODES:
        raise IdNumberError(
            "the first two digits of a resident ID number are not a province code",
            code="id_bad_region",
        )
    _check_birth_date(value[6:14], today or datetime.now(UTC).date())
    if check_character(value[:17]) != value[17]:
        raise IdNumberError(
            "the check digit does not match: a character was mistyped", code="id_bad_check_digit"
        )
    return value


def _check_birth_date(text: str, today: date) -> None:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        born = None
    if born is None or born < _EARLIEST_BIRTH or born > today:
        raise IdNumberError(
            "digits 7 to 14 of a resident ID number are not a plausible birth date",
            code="id_bad_birth_date",
        )


def validate_id(doc_type: DocType | str, number: str, today: date | None = None) -> str:
    """The normalised number of a document of ``doc_type``, or ``IdNumberError``."""
    kind = parse_doc_type(doc_type)
    if kind is DocType.RESIDENT_ID:
        return validate_resident_id(number, today)
    value = normalise_id(number)
    if not value:
        raise IdNumberError("an ID number is required", code="id_required")
    if not _SHAPES[kind].match(value):
        raise IdNumberError(
            f"that is not the format of a {kind.value.replace('_', ' ')} number",
            code="id_bad_format",
            doc_type=kind.value,
        )
    return value


def parse_doc_type(doc_type: DocType | str) -> DocType:
    try:
        return DocType(doc_type)
    except ValueError:
        raise IdNumberError(
            f"unknown document type {doc_type!r}",
            code="id_bad_type",
            choices=", ".join(kind.value for kind in DocType),
        ) from None


def is_valid_id(doc_type: DocType | str, number: str, today: date | None = None) -> bool:
    try:
        validate_id(doc_type, number, today)
    except IdNumberError:
        return False
    return True


def mask_id(number: str, doc_type: DocType | str = DocType.RESIDENT_ID) -> str:
    """What may be shown: a resident ID keeps its first 6 and last 4 characters
    (``110105********002X``); other documents keep the first 2 and last 2, and one shorter
    than 8 characters (where that would show half of it) is masked entirely."""
    value = normalise_id(number)
    if doc_type == DocType.RESIDENT_ID and len(value) == RESIDENT_ID_LENGTH:
        return value[:6] + "*" * 8 + value[14:]
    hidden = len(value) - 4
    if hidden * 2 < len(value):  # too short to show 4 characters: hide them all
        return "*" * len(value)
    return value[:2] + "*" * hidden + value[-2:]

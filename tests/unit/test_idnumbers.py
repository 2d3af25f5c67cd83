"""Identity document numbers: the GB 11643 check digit, birth dates, regions, other
documents' formats, and masking."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.idnumbers import (
    PROVINCE_CODES,
    DocType,
    IdNumberError,
    check_character,
    is_valid_id,
    mask_id,
    normalise_id,
    validate_id,
    validate_resident_id,
)

TODAY = date(2026, 3, 2)
# The example number printed in GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"


def make_id(address: str, born: date, sequence: int) -> str:
    """A real-format resident ID number: the check character computed here."""
    first17 = f"{address}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def code_of(number: str, doc_type: DocType = DocType.RESIDENT_ID) -> str:
    with pytest.raises(IdNumberError) as caught:
        validate_id(doc_type, number, today=TODAY)
    return caught.value.code


valid_ids = st.builds(
    make_id,
    st.builds(
        lambda province, rest: province + rest,
        st.sampled_from(sorted(PROVINCE_CODES)),
        st.text("0123456789", min_size=4, max_size=4),
    ),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)


def test_the_standard_example_and_its_lower_case_x() -> None:
    assert validate_resident_id(STANDARD_EXAMPLE, TODAY) == STANDARD_EXAMPLE
    assert validate_resident_id(" 11010519491231002x ", TODAY) == STANDARD_EXAMPLE
    assert check_character("11010519491231002") == "X"
    assert (
        make_id("440305", date(1990, 7, 1), 123) == "440305199007011230"
    )  # worked by hand: sum 254, mod 11 = 1


def test_every_check_value_maps_as_the_standard_says() -> None:
    # The sum mod 11 of 0..10 maps to 1 0 X 9 8 7 6 5 4 3 2: find a number for each.
    seen: dict[str, str] = {}
    for sequence in range(200):
        number = make_id("110105", date(1980, 1, 1), sequence)
        seen.setdefault(number[17], number)
    assert set(seen) == set("10X98765432")
    for number in seen.values():
        assert validate_resident_id(number, TODAY) == number


@given(valid_ids)
def test_generated_numbers_are_valid_and_normalised(number: str) -> None:
    assert validate_resident_id(number.lower(), TODAY) == number
    assert is_valid_id("resident_id", number, TODAY)


@given(valid_ids, st.integers(0, 17), st.data())
def test_every_single_character_change_is_caught(
    number: str, position: int, data: st.DataObject
) -> None:
    alphabet = "0123456789X" if position == 17 else "0123456789"
    other = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + other + number[position + 1 :]
    code = code_of(changed)
    if position in (2, 3, 4, 5, 14, 15, 16, 17):  # neither region nor birth date
        assert code == "id_bad_check_digit"
    else:
        assert code in ("id_bad_check_digit", "id_bad_region", "id_bad_birth_date")


@given(valid_ids, st.integers(0, 15))
def test_swapping_two_different_neighbours_is_caught(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not is_valid_id(DocType.RESIDENT_ID, swapped, TODAY)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", "id_required"),
        ("   ", "id_required"),
        ("11010519491231002", "id_bad_length"),
        ("11010519491231002XX", "id_bad_length"),
        ("1101051949123100X2", "id_bad_chars"),
        ("11010519491231００2X", "id_bad_chars"),  # full-width digits
        (make_id("990105", date(1980, 1, 1), 1), "id_bad_region"),
        (make_id("010105", date(1980, 1, 1), 1), "id_bad_region"),
        (make_id("110105", date(1899, 12, 31), 1), "id_bad_birth_date"),
        (make_id("110105", date(2026, 3, 3), 1), "id_bad_birth_date"),  # tomorrow
        ("11010519810230" + "001" + check_character("11010519810230001"), "id_bad_birth_date"),
        ("11010519491231002" + "1", "id_bad_check_digit"),
    ],
)
def test_resident_id_errors_have_clear_codes(number: str, code: str) -> None:
    assert code_of(number) == code


def test_every_listed_province_code_is_accepted_and_others_are_not() -> None:
    listed = {*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55)}
    listed |= {*range(61, 66), 71, 81, 82, 83, 91}
    for prefix in range(100):
        number = make_id(f"{prefix:02d}0101", date(1980, 5, 5), 7)
        assert is_valid_id(DocType.RESIDENT_ID, number, TODAY) == (prefix in listed), prefix


def test_born_today_is_plausible() -> None:
    assert is_valid_id(DocType.RESIDENT_ID, make_id("450102", TODAY, 5), TODAY)


@pytest.mark.parametrize(
    ("doc_type", "number", "normalised"),
    [
        (DocType.PASSPORT, "e 1234 5678", "E12345678"),
        (DocType.PASSPORT, "X1234567", "X1234567"),
        (DocType.HK_MACAU_PERMIT, "H12345678", "H12345678"),
        (DocType.HK_MACAU_PERMIT, "c12345678", "C12345678"),
        (DocType.TAIWAN_PERMIT, "12345678", "12345678"),
        (DocType.TAIWAN_PERMIT, "1234567890(B)", "1234567890(B)"),
        (DocType.OFFICER_CARD, "南字第12345678号", "南字第12345678号"),
        (DocType.OTHER, "AB-12/3", "AB-12/3"),
    ],
)
def test_other_documents_get_format_checks(doc_type: DocType, number: str, normalised: str) -> None:
    assert validate_id(doc_type, number, TODAY) == normalised


@pytest.mark.parametrize(
    ("doc_type", "number"),
    [
        (DocType.PASSPORT, "E12"),
        (DocType.PASSPORT, "E1234567#"),
        (DocType.HK_MACAU_PERMIT, "A12345678"),
        (DocType.HK_MACAU_PERMIT, "H123"),
        (DocType.TAIWAN_PERMIT, "1234567"),
        (DocType.TAIWAN_PERMIT, "ABCDEFGH"),
        (DocType.OFFICER_CARD, "南1"),
        (DocType.OTHER, "A"),
    ],
)
def test_other_documents_with_the_wrong_shape_are_refused(doc_type: DocType, number: str) -> None:
    assert code_of(number, doc_type) == "id_bad_format"


def test_unknown_document_type_and_empty_numbers() -> None:
    with pytest.raises(IdNumberError) as caught:
        validate_id("driving_licence", "123456", TODAY)
    assert caught.value.code == "id_bad_type"
    assert code_of("  ", DocType.PASSPORT) == "id_required"


def test_errors_never_carry_the_number() -> None:
    number = make_id("110105", date(1980, 1, 1), 1)[:17] + "0"
    with pytest.raises(IdNumberError) as caught:
        validate_id(DocType.RESIDENT_ID, number, TODAY)
    assert number not in str(caught.value) and number[6:14] not in repr(caught.value.params)


def test_masking_examples() -> None:
    assert mask_id(STANDARD_EXAMPLE) == "110105********002X"
    assert mask_id("11010519491231002x") == "110105********002X"
    assert mask_id("E12345678", DocType.PASSPORT) == "E1*****78"
    assert mask_id("H1234567890", "hk_macau_permit") == "H1*******90"
    assert mask_id("12345678", DocType.TAIWAN_PERMIT) == "12****78"
    assert mask_id("AB123", DocType.OTHER) == "*****"  # too short to show 4 characters
    assert mask_id("", DocType.OTHER) == ""


@given(valid_ids)
def test_a_masked_resident_id_hides_the_birth_date(number: str) -> None:
    masked = mask_id(number)
    assert len(masked) == 18
    assert masked[:6] == number[:6] and masked[14:] == number[14:]
    assert masked[6:14] == "*" * 8


@given(
    st.sampled_from([t for t in DocType if t is not DocType.RESIDENT_ID]),
    st.text(st.characters(categories=["Lu", "Nd"]), min_size=0, max_size=40),
)
def test_other_masks_show_at_most_half_and_never_the_middle(doc_type: DocType, number: str) -> None:
    value = normalise_id(number)
    masked = mask_id(value, doc_type)
    assert len(masked) == len(value)
    shown = [c for c in masked if c != "*"]
    assert len(shown) * 2 <= len(value)
    if len(value) >= 8:
        assert masked[:2] == value[:2] and masked[-2:] == value[-2:]
        assert set(masked[2:-2]) == {"*"}

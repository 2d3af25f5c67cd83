"""Mainland phone numbers: the spellings accepted, one normalised form, masked display."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.phones import (
    PhoneError,
    PhoneKind,
    is_valid_phone,
    mask_phone,
    normalise_phone,
    parse_phone,
)


@pytest.mark.parametrize(
    ("text", "normalised", "masked"),
    [
        ("13812345678", "13812345678", "138****5678"),
        ("138-1234-5678", "13812345678", "138****5678"),
        ("138 1234 5678", "13812345678", "138****5678"),
        ("+86 138 1234 5678", "13812345678", "138****5678"),
        ("+8613812345678", "13812345678", "138****5678"),
        ("0086-19912345678", "19912345678", "199****5678"),
        ("0771-5551234", "0771-5551234", "0771-****234"),
        ("07715551234", "0771-5551234", "0771-****234"),
        ("(0771) 555 1234", "0771-5551234", "0771-****234"),
        ("010-12345678", "010-12345678", "010-****5678"),
        ("021 6123 4567", "021-61234567", "021-****4567"),
        ("+86 771 5551234", "0771-5551234", "0771-****234"),
        ("+86-10-12345678", "010-12345678", "010-****5678"),
        ("0771-5551234-801", "0771-5551234-801", "0771-****234-***"),
        ("010-12345678 ext. 12", "010-12345678-12", "010-****5678-**"),
        ("0771-5551234转6", "0771-5551234-6", "0771-****234-*"),
        ("0771 5551234 #801", "0771-5551234-801", "0771-****234-***"),
    ],
)
def test_accepted_spellings(text: str, normalised: str, masked: str) -> None:
    phone = parse_phone(text)
    assert phone.normalised == normalised
    assert phone.masked == masked
    assert normalise_phone(normalised) == normalised  # the normal form parses to itself
    assert mask_phone(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",  # 12x is no mobile range
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+86 0771 5551234",  # the trunk 0 after the country code
        "0771-555123",  # 6-digit subscriber
        "0771-555123456",  # 9-digit subscriber
        "0771-0551234",  # a subscriber number never starts with 0
        "00-12345678",
        "5551234",  # no area code
        "abc",
        "138 1234 567a",
        "13812345678 ext 1",  # mobiles have no extension
        "0771-5551234-1234567",  # a 7-digit extension
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(PhoneError) as caught:
        parse_phone(text)
    assert caught.value.code == "phone_bad_format"
    assert not is_valid_phone(text)


def test_empty_is_required() -> None:
    with pytest.raises(PhoneError) as caught:
        parse_phone("   ")
    assert caught.value.code == "phone_required"


def test_repr_is_masked() -> None:
    assert "12345678" not in repr(parse_phone("13812345678"))


mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
separators = st.sampled_from(["", " ", "-"])


@given(mobiles, separators, st.sampled_from(["", "+86", "+86 ", "0086", "0086-"]))
def test_any_spelling_of_a_mobile_normalises_the_same(number: str, sep: str, prefix: str) -> None:
    spelled = f"{prefix}{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    phone = parse_phone(spelled)
    assert phone.kind is PhoneKind.MOBILE
    assert phone.normalised == number
    assert phone.masked == number[:3] + "****" + number[7:]


@given(
    st.sampled_from(["010", "020", "029", "0771", "0311", "0898"]),
    st.builds(
        lambda first, rest: first + rest,
        st.sampled_from("123456789"),
        st.text("0123456789", min_size=6, max_size=7),
    ),
    st.sampled_from(["-", " ", ""]),
)
def test_landlines_normalise_and_hide_four_digits(area: str, subscriber: str, sep: str) -> None:
    phone = parse_phone(f"{area}{sep}{subscriber}")
    assert phone.kind is PhoneKind.LANDLINE
    assert phone.normalised == f"{area}-{subscriber}"
    assert phone.masked == f"{area}-****{subscriber[4:]}"
    assert normalise_phone("+86 " + phone.normalised[1:]) == phone.normalised


@given(st.text(max_size=30))
def test_arbitrary_text_is_either_a_phone_or_a_phone_error(text: str) -> None:
    try:
        phone = parse_phone(text)
    except PhoneError:
        return
    assert parse_phone(phone.normalised) == phone  # whatever parses is stable

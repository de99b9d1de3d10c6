"""parse_phone keeps the numbers it accepted (issue 18: a purchase parses its recipient twice); the answers
are the ones phonenumbers gives, refusals are never kept, and callers get their own copies."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from countries import phone
from countries.errors import InvalidPhoneNumber
from countries.phone import parse_phone, to_e164


def test_a_kept_parse_answers_like_phonenumbers():
    phone._PARSED.clear()
    first = parse_phone("0803 123 4567", country="NG")
    again = parse_phone("0803 123 4567", country="NG")
    fresh = phonenumbers.parse("08031234567", "NG")
    assert to_e164(first) == to_e164(again) == to_e164(fresh) == "+2348031234567"
    # its E.164 form was kept too, for the mobile and any-number checks
    assert ("+2348031234567", "NG", True) in phone._PARSED and ("+2348031234567", "NG", False) in phone._PARSED
    assert to_e164(parse_phone("+2348031234567", country="NG", mobile_only=False)) == "+2348031234567"


def test_callers_get_their_own_copy():
    number = parse_phone("08031234568", country="NG")
    number.national_number = 1
    assert to_e164(parse_phone("08031234568", country="NG")) == "+2348031234568"


@pytest.mark.parametrize("raw, country, code", [
    ("12345", "NG", "invalid_phone"),
    ("+221771234567", "NG", "wrong_country"),  # a Senegalese mobile
])
def test_refusals_are_never_kept(raw, country, code):
    for _ in range(2):
        with pytest.raises(InvalidPhoneNumber) as refused:
            parse_phone(raw, country=country)
        assert refused.value.code == code
    assert not [key for key in phone._PARSED if key[0] == raw]


def test_a_mobile_only_refusal_is_not_answered_by_an_any_number_parse():
    example = phonenumbers.example_number_for_type("NG", phonenumbers.PhoneNumberType.FIXED_LINE)
    assert example is not None
    fixed = to_e164(example)  # a Nigerian fixed line, from phonenumbers' own metadata
    assert to_e164(parse_phone(fixed, country="NG", mobile_only=False)) == fixed  # kept as "any number"
    with pytest.raises(InvalidPhoneNumber):
        parse_phone(fixed, country="NG", mobile_only=True)


def _reference(raw: str, country: str, mobile_only: bool) -> str:
    """The checks as phonenumbers spells them (what _parse_phone did before it worked the type out once)."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return "invalid_phone"
    region = phonenumbers.region_code_for_number(number)
    if region != country and phonenumbers.is_valid_number(number):
        return "wrong_country"
    if number.country_code != phonenumbers.country_code_for_region(country):
        return "wrong_country"
    if not phonenumbers.is_valid_number_for_region(number, country):
        return "invalid_phone"
    if mobile_only and phonenumbers.number_type(number) not in phone.MOBILE_TYPES:
        return "invalid_phone"
    return to_e164(number)


_COUNTRIES = ["NG", "GH", "SN", "CI", "BJ", "TG", "BF", "ML", "NE", "GN", "SL", "LR", "GM", "GW", "CV", "MR",
              "US", "GB"]  # the sixteen, and two calling codes shared by several regions (+1, +44)


@given(country=st.sampled_from(_COUNTRIES), mobile_only=st.booleans(),
       prefix=st.sampled_from(["", "0", "+", "00", "+234", "+221", "+1", "+44", "+225 0"]),
       digits=st.text(alphabet="0123456789", min_size=4, max_size=13))
@settings(max_examples=400, deadline=None)
def test_the_checks_answer_as_phonenumbers_does(country, mobile_only, prefix, digits):
    raw = prefix + digits
    expected = _reference(raw, country, mobile_only)
    try:
        got = to_e164(phone._parse_phone(raw, country=country, mobile_only=mobile_only))
    except InvalidPhoneNumber as refused:
        got = refused.code
    assert got == expected


@pytest.mark.parametrize("country", _COUNTRIES[:16])
def test_each_countrys_example_mobile_passes_and_its_fixed_line_is_no_mobile(country):
    mobile = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    assert mobile is not None
    assert to_e164(phone._parse_phone(to_e164(mobile), country=country, mobile_only=True)) == to_e164(mobile)
    fixed = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    if fixed is not None and phonenumbers.number_type(fixed) == phonenumbers.PhoneNumberType.FIXED_LINE:
        assert _reference(to_e164(fixed), country, True) == "invalid_phone"
        with pytest.raises(InvalidPhoneNumber):
            phone._parse_phone(to_e164(fixed), country=country, mobile_only=True)

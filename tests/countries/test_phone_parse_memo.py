"""parse_phone keeps the numbers it accepted (issue 18: a purchase parses its recipient twice); the answers
are the ones phonenumbers gives, refusals are never kept, and callers get their own copies."""

from __future__ import annotations

import phonenumbers
import pytest

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

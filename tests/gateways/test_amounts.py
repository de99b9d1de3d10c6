"""Exact minor/major conversion for providers that speak major units (no floats, no rounding)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_plugins.interfaces.common import ProviderProtocolError
from provider_plugins.interfaces.payments import CURRENCY_EXPONENTS, header_value, major_to_minor, minor_to_major


@given(amount=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_round_trip_through_string_and_json_number(amount, currency):
    major = minor_to_major(amount, currency)
    assert major_to_minor(major, currency) == amount
    if amount < 2**53:  # a JSON number as a provider would send it back
        assert major_to_minor(float(major), currency) == amount


def test_known_values():
    assert minor_to_major(150_050, "NGN") == "1500.50"
    assert minor_to_major(1_000, "XOF") == "1000"
    assert major_to_minor(2500.5, "NGN") == 250_050
    assert major_to_minor("0.10", "GHS") == 10


@pytest.mark.parametrize(("value", "currency"), [("1.005", "NGN"), ("10.5", "XOF"), ("abc", "NGN"), ("1", "ZZZ")])
def test_sub_minor_units_or_garbage_are_refused(value, currency):
    with pytest.raises(ProviderProtocolError):
        major_to_minor(value, currency)


def test_header_lookup_is_case_insensitive_and_understands_meta():
    assert header_value({"X-Paystack-Signature": "a"}, "x-paystack-signature") == "a"
    assert header_value({"HTTP_VERIF_HASH": "b"}, "verif-hash") == "b"
    assert header_value({}, "verif-hash") == ""

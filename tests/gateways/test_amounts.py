"""Exact minor/major conversion for providers that speak major units (no floats, no rounding)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_plugins.interfaces.common import ProviderProtocolError
from provider_plugins.interfaces.payments import CURRENCY_EXPONENTS, header_value, major_to_minor, minor_to_major
from provider_plugins.interfaces.wire import json_loads


@given(amount=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_round_trip_through_string_and_json_number(amount, currency):
    major = minor_to_major(amount, currency)
    assert major_to_minor(major, currency) == amount
    # The same digits as a JSON number, read the way plugins read JSON (a Decimal, never a float).
    assert major_to_minor(json_loads(major), currency) == amount


def test_known_values():
    assert minor_to_major(150_050, "NGN") == "1500.50"
    assert minor_to_major(1_000, "XOF") == "1000"
    assert major_to_minor(json_loads(b'{"amount": 2500.5}')["amount"], "NGN") == 250_050
    with pytest.raises(ProviderProtocolError):
        major_to_minor(2500.5, "NGN")  # a float: the JSON was read the lossy way
    assert major_to_minor("0.10", "GHS") == 10


@pytest.mark.parametrize(("value", "currency"), [("1.005", "NGN"), ("10.5", "XOF"), ("abc", "NGN"), ("1", "ZZZ"),
                                                       ("1e400000", "XOF"), ("Infinity", "XOF"), ("NaN", "NGN")])
def test_sub_minor_units_or_garbage_are_refused(value, currency):
    with pytest.raises(ProviderProtocolError):
        major_to_minor(value, currency)


def test_header_lookup_is_case_insensitive_and_understands_meta():
    assert header_value({"X-Paystack-Signature": "a"}, "x-paystack-signature") == "a"
    assert header_value({"HTTP_VERIF_HASH": "b"}, "verif-hash") == "b"
    assert header_value({}, "verif-hash") == ""

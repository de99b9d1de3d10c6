"""Issue 14, item 5: one money rule for every amount from outside, its cost bounded whatever it is given.

The rule is ``provider_plugins.interfaces.money.parse_minor``; every other entry point
(plugins' ``to_minor``, ``payments.major_to_minor``, ``countries`` adapters, the ledger's
``to_minor``, the API's ``parse_amount``/``AmountField``, the portal's forms) must agree with
it on every input: the same minor units or a refusal. JSON numbers go through the same rule
(``wire.json_loads`` reads them as ``Decimal``); floats never get in.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moneyed import Money

from provider_plugins.interfaces.common import ProviderProtocolError
from provider_plugins.interfaces.money import (
    CURRENCY_EXPONENTS,
    MAX_AMOUNT_CHARS,
    AmountError,
    amount_text,
    from_minor,
    parse_minor,
    to_minor,
)
from provider_plugins.interfaces.payments import major_to_minor
from provider_plugins.interfaces.wire import MAX_JSON_DEPTH, json_depth_exceeds, json_loads

CURRENCIES = sorted(CURRENCY_EXPONENTS)
MINOR = st.integers(min_value=0, max_value=10**18 - 1)

# Every class of input the rule refuses, as the issue lists them (and a few more an attacker tries).
REFUSED_TEXT = {
    "exponent": ["1e3", "1E3", "1e+3", "1.5e3", "1e999990", "1e999999999", "1e400000", "1E-7"],
    "nan": ["NaN", "nan", "sNaN", "-NaN"],
    "infinity": ["Infinity", "-Infinity", "inf", "Inf", "infinity"],
    "underscore": ["1_000", "1_0.00"],
    "space": [" 100", "100 ", "1 000", "1\u00a0000", "1\u202f000", "\t100", "100\n"],
    "sign": ["+100", "--100", "+-1"],
    "non_ascii_digit": ["١٠٠", "۱۰۰", "१००", "１００", "𝟏𝟎𝟎", "100٫5"],
    "separator": ["1,000", "1.000.000", "1'000", "100,50"],
    "shape": ["", ".", ".5", "5.", "1..0", "0x10", "0b1", "abc", "12abc", "½", "١", "—1"],
    "too_long": ["1" * (MAX_AMOUNT_CHARS + 1), "0" * 40 + "1", "9" * 100_000],
    "too_large": ["9" * 19, "1000000000000000000"],
}
REFUSED_VALUES = [1.5, 100.0, float("inf"), float("nan"), True, False, None, b"100", [100], {"amount": 1},
                  Decimal("NaN"), Decimal("Infinity"), Decimal("1E+999999999"), Decimal("1E+3"), 10**18, -(10**18)]


def _outcome(call, *args, **kwargs):
    from countries.errors import CountryError

    try:
        return ("ok", call(*args, **kwargs))
    except (AmountError, ValueError, ProviderProtocolError, CountryError) as exc:
        return ("refused", getattr(exc, "code", "invalid_amount"))


# --- round trip --------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(minor=MINOR, currency=st.sampled_from(CURRENCIES), zeros=st.integers(0, 3))
def test_decimal_text_round_trips_in_every_currency(minor, currency, zeros):
    text = from_minor(minor, currency)
    assert to_minor(text, currency) == minor
    assert to_minor("0" * zeros + text, currency) == minor  # leading zeros are digits too
    assert major_to_minor(text, currency) == minor
    assert to_minor(json_loads(text), currency) == minor  # the same digits as a JSON number (Decimal or int)
    if "." in text and text.endswith("0"):
        assert to_minor(text.rstrip("0").rstrip("."), currency) == minor  # fewer decimals than allowed


def test_known_values():
    assert to_minor("1500", "NGN") == 150_000
    assert to_minor("1500.5", "NGN") == 150_050
    assert to_minor("0.01", "GHS") == 1
    assert to_minor("1500", "XOF") == 1_500
    assert to_minor(1500, "XOF") == 1_500
    assert parse_minor("-20.00", minor_digits=2, allow_negative=True) == -2_000
    assert to_minor(Decimal("1500.50"), "NGN") == 150_050


# --- every refused class -----------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "text"), [(kind, text) for kind, texts in REFUSED_TEXT.items() for text in texts])
def test_every_refused_class_of_text(kind, text):
    with pytest.raises(AmountError) as refused:
        to_minor(text, "NGN")
    assert refused.value.code == "invalid_amount"
    assert len(text.strip()) < 3 or text.strip() not in str(refused.value)  # the message never echoes the input


@pytest.mark.parametrize("value", REFUSED_VALUES, ids=repr)
def test_floats_bools_non_finite_and_other_types_are_refused(value):
    with pytest.raises(AmountError):
        to_minor(value, "NGN")


@pytest.mark.parametrize(("text", "currency"), [("1.001", "NGN"), ("1500.5", "XOF"), ("1500.0", "XOF"),
                                                ("1500.00", "GNF"), ("0.001", "GHS")])
def test_more_decimals_than_the_currency_is_refused_never_rounded(text, currency):
    with pytest.raises(AmountError) as refused:
        to_minor(text, currency)
    assert refused.value.reason == "too_many_decimals"


def test_signs_only_where_allowed():
    with pytest.raises(AmountError) as refused:
        to_minor("-5", "NGN")
    assert refused.value.reason == "negative"
    assert parse_minor("-5", minor_digits=2, allow_negative=True) == -500
    with pytest.raises(AmountError):
        parse_minor("+5", minor_digits=2, allow_negative=True)


def test_unknown_currency_is_refused():
    refused_currencies: list[Any] = ["ZZZ", "ngn ", "", "N", None]
    for currency in refused_currencies:
        with pytest.raises(AmountError) as refused:
            to_minor("1", currency)
        assert refused.value.reason == "unknown_currency"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=40))
def test_anything_but_ascii_digits_and_one_point_is_refused(text):
    outcome = _outcome(to_minor, text, "NGN")
    whole, _, fraction = text.partition(".")
    valid = (whole.isascii() and whole.isdigit() and (not _ or (fraction.isascii() and fraction.isdigit()
                                                                and len(fraction) <= 2))
             and len(text) <= MAX_AMOUNT_CHARS and len(whole.lstrip("0")) <= 16)
    assert (outcome[0] == "ok") == valid, (text, outcome)


# --- one rule, every entry point agrees -----------------------------------------------------------

AMOUNT_TEXT = st.one_of(
    st.from_regex(r"\A-?[0-9]{1,20}(\.[0-9]{0,4})?\Z"),
    st.sampled_from([t for texts in REFUSED_TEXT.values() for t in texts if len(t) < 100]),
    st.text(alphabet="0123456789.-+eE_ ,١", max_size=24),
)


@settings(max_examples=250, deadline=None)
@given(text=AMOUNT_TEXT, currency=st.sampled_from(["NGN", "XOF", "GHS", "GNF"]))
def test_every_parser_in_the_platform_agrees_with_the_rule(text, currency):
    from countries.registry import default_adapter
    from shared_apps.core.amounts import parse_amount
    from tenant_apps.ledger.currency import to_minor as ledger_to_minor

    digits = CURRENCY_EXPONENTS[currency]
    country = {"NGN": "NG", "XOF": "SN", "GHS": "GH", "GNF": "GN"}[currency]
    signed = _outcome(parse_minor, text, minor_digits=digits, allow_negative=True)
    unsigned = _outcome(parse_minor, text, minor_digits=digits)
    assert _outcome(to_minor, text, currency) == unsigned  # plugins
    assert _outcome(major_to_minor, text, currency)[0] == unsigned[0]  # gateways (ProviderProtocolError)
    assert _outcome(default_adapter(country).to_minor, text) == signed  # countries
    assert _outcome(ledger_to_minor, text, currency) == signed  # the ledger (signed: adjustments, rules)
    api = _outcome(parse_amount, text, currency=currency, positive=False, allow_negative=True, allow_zero=True)
    assert api == signed  # the API and the portal forms (shop_forms.amount_minor calls parse_amount)


def test_portal_forms_use_the_rule():
    from django import forms

    from tenant_apps.portal.shop_forms import amount_minor

    class Form(forms.Form):
        amount = forms.CharField(required=False)

    def minor(text):
        form = Form({"amount": text})
        assert form.is_valid()
        return amount_minor(form, currency="NGN"), form.errors.get("amount")

    assert minor("1500.50") == (150_050, None)
    for text in ("1,500", "1e3", "NaN", "1_500", "١٥٠٠", "1500.505", "0", "-5"):
        value, errors = minor(text)
        assert value is None and errors, text


def test_api_parse_amount_takes_money_at_the_edge_and_refuses_another_currency():
    from shared_apps.core.amounts import InvalidAmount, money_of, parse_amount

    assert parse_amount(Money("1500.50", "NGN"), currency="NGN") == 150_050
    assert money_of(150_050, "NGN") == Money("1500.50", "NGN")
    with pytest.raises(InvalidAmount) as refused:
        parse_amount(Money("1500", "XOF"), currency="NGN")
    assert refused.value.code == "invalid_amount" and refused.value.fields["amount"]
    with pytest.raises(InvalidAmount):
        parse_amount("0", currency="NGN")  # positive by default
    with pytest.raises(InvalidAmount):
        parse_amount("-1", currency="NGN")


# --- JSON numbers: the same rule ------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(literal=st.from_regex(r"\A-?(0|[1-9][0-9]{0,19})(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,6})?\Z"),
       currency=st.sampled_from(["NGN", "XOF"]))
def test_a_json_number_is_judged_like_the_same_text(literal, currency):
    number = json_loads(f'{{"amount": {literal}}}')["amount"]
    assert not isinstance(number, float)
    if number == 0 and literal.startswith("-") and isinstance(number, int):
        return  # JSON's -0 is the integer 0: the sign of zero is all that is lost
    assert _outcome(to_minor, number, currency) == _outcome(to_minor, literal, currency)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "[" * (MAX_JSON_DEPTH + 1)])
def test_json_constants_and_deep_nesting_are_not_json(literal):
    with pytest.raises(ValueError):
        json_loads(f'{{"amount": {literal}}}')


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=3),
                                                                inner, max_size=3),
    max_leaves=25)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, limit=st.integers(0, 6))
def test_the_nesting_scan_counts_exactly_what_json_nests(value, limit):
    """Brackets and escaped quotes inside strings never count; the scan agrees with the real depth."""
    assert json_depth_exceeds(json.dumps(value), limit) == (_depth(value) > limit)


# --- bounded cost ---------------------------------------------------------------------------------

def _best_of(call, *args, repeat=5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            call(*args)
        except (AmountError, ValueError):
            pass
        best = min(best, time.perf_counter() - started)
    return best


HOSTILE = {
    "10 MB of digits": "9" * 10_000_000,
    "10 MB of zeros then 1": "0" * 10_000_000 + "1",
    "exponent 1e999999999": "1e999999999",
    "exponent with 1 MB of digits": "1e" + "9" * 1_000_000,
    "10 MB of Arabic digits": "١" * 10_000_000,
    "Decimal 1E+999999999": Decimal("1E+999999999"),
    "Decimal -1E+400000": Decimal("-1E+400000"),
    "int 10**100000": 10**100_000,
}


def test_the_cost_is_bounded_whatever_the_input():
    """Refused by length (or exponent) before any conversion: the same microseconds for 10 MB as for 32 B.

    The bound is generous (the CI machine is shared); the figures are in docs/reliability.md.
    """
    baseline = _best_of(to_minor, "1500.50", "NGN")
    worst = {name: _best_of(to_minor, value, "NGN") for name, value in HOSTILE.items()}
    assert all(seconds < 0.005 for seconds in worst.values()), (baseline, worst)


def test_too_long_text_is_refused_before_it_is_read():
    """The length check comes first: a str whose characters cannot even be read is still refused."""

    class Unreadable(str):
        def __iter__(self):
            raise AssertionError("read")

        def isascii(self):
            raise AssertionError("read")

        def lstrip(self, *args):
            raise AssertionError("read")

        def isdigit(self):
            raise AssertionError("read")

    with pytest.raises(AmountError) as refused:
        amount_text(Unreadable("1" * 10_000))
    assert refused.value.reason in {"too_large", "syntax"}


SCAN_HOSTILE = {  # 64 KiB each: the request guard's size limit
    "64 KiB of [": b"[" * 65_536,
    "escaped quotes and a trailing backslash (regex backtracking bait)": b'"' + b'\\"' * 32_767 + b"\\",
    "an unterminated string of escaped quotes": b"[" * 40 + b'"' + b'\\"' * 32_000,
    "strings full of brackets": b'["' + b'[\\"{' * 16_383 + b'"]',
    "32-deep arrays, repeated": (b"[" * 32 + b"]" * 32 + b",") * 1_008,
}


def test_the_nesting_scan_is_linear_on_hostile_bodies():
    """Strings are skipped by a pattern that can never backtrack; the depth is summed in C. Generous bound."""
    worst = {name: _best_of(json_depth_exceeds, body) for name, body in SCAN_HOSTILE.items()}
    assert all(seconds < 0.05 for seconds in worst.values()), worst
    assert json_depth_exceeds(SCAN_HOSTILE["64 KiB of ["])
    assert not json_depth_exceeds(SCAN_HOSTILE["strings full of brackets"])


@settings(max_examples=100, deadline=None)
@given(head=st.text(max_size=8), size=st.integers(MAX_AMOUNT_CHARS + 1, 5_000_000))
def test_anything_longer_than_the_limit_is_refused_at_once(head, size):
    text = (head + "9" * size)[:size] if size > len(head) else head
    started = time.perf_counter()
    with pytest.raises(AmountError) as refused:
        to_minor(text, "NGN")
    assert refused.value.reason in {"too_large", "syntax"}
    assert time.perf_counter() - started < 0.05  # generous: the check is a len() and a 33-character match

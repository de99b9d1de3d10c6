"""Amounts: format -> parse gives back the same minor units, in every currency and locale; no floats."""
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import countries
from countries.errors import InvalidAmount
from countries.registry import default_adapter
from tests.countries.cases import CASES

ADAPTERS = [default_adapter(c.code) for c in CASES]
CURRENCIES = {a.currency: a for a in ADAPTERS}  # one adapter per currency (XOF shared by 8 countries)
LOCALES = [None, "en", "fr", "pt", "fr-SN", "ar"]
# Beyond 2**53 a float would silently lose units: exactness up here proves no float on the path.
# The money rule's bound: minor units below 10**18 (a PostgreSQL bigint holds them).
AMOUNTS = st.integers(min_value=-(10**18 - 1), max_value=10**18 - 1)
COUNTRY_PACKAGE = str(Path(countries.__file__).parent)


def test_every_issue_currency_is_covered_with_its_minor_unit():
    expected = {"NGN": 2, "GHS": 2, "XOF": 0, "GNF": 0, "GMD": 2, "LRD": 2, "SLE": 2, "CVE": 2, "MRU": 2}
    assert {code: a.minor_unit for code, a in CURRENCIES.items()} == expected


@settings(max_examples=400, deadline=None)
@given(adapter=st.sampled_from(ADAPTERS), minor=AMOUNTS, locale=st.sampled_from(LOCALES))
def test_format_then_parse_round_trips(adapter, minor, locale):
    text = adapter.format_amount(minor, locale=locale)
    parsed = adapter.parse_amount(text)
    assert type(parsed) is int
    assert parsed == minor


@settings(max_examples=300, deadline=None)
@given(adapter=st.sampled_from(list(CURRENCIES.values())), minor=AMOUNTS)
def test_decimal_strings_and_money_are_exact(adapter, minor):
    decimal_text = adapter.from_minor(minor)
    assert type(decimal_text) is str and "e" not in decimal_text.lower()
    assert adapter.to_minor(decimal_text) == minor
    money = adapter.money(minor)
    assert isinstance(money.amount, Decimal)
    assert money.amount == Decimal(minor).scaleb(-adapter.minor_unit)


class FloatSpy:
    """A tracer that records any float living in a local variable of countries/ code."""

    def __init__(self):
        self.found: list[tuple[str, str, float]] = []

    def __call__(self, frame, event, arg):
        if not frame.f_code.co_filename.startswith(COUNTRY_PACKAGE):
            return None
        self.inspect(frame)
        if event == "return" and isinstance(arg, float):
            self.found.append((frame.f_code.co_name, "<return>", arg))
        return self

    def inspect(self, frame):
        for name, value in frame.f_locals.items():
            if isinstance(value, float):
                self.found.append((frame.f_code.co_name, name, value))


@settings(max_examples=60, deadline=None)
@given(adapter=st.sampled_from(ADAPTERS), minor=AMOUNTS, locale=st.sampled_from(LOCALES))
def test_no_float_ever_appears(adapter, minor, locale):
    spy = FloatSpy()
    previous = sys.gettrace()
    sys.settrace(spy)
    try:
        text = adapter.format_amount(minor, locale=locale)
        parsed = adapter.parse_amount(text)
        decimal_text = adapter.from_minor(parsed)
        back = adapter.to_minor(decimal_text)
        vat = adapter.vat_minor(abs(minor))
    finally:
        sys.settrace(previous)
    assert spy.found == []
    assert parsed == back == minor and type(vat) is int


def test_the_float_spy_can_see_a_float():
    spy = FloatSpy()
    sys.settrace(spy)
    try:
        from countries import money

        money.to_minor("1.5", minor_unit=2)
        exec(compile("value = 1 / 3", str(Path(COUNTRY_PACKAGE) / "probe.py"), "exec"), {})
    finally:
        sys.settrace(None)
    assert any(name == "value" for _func, name, _value in spy.found)


@pytest.mark.parametrize("code", ["NG", "SN"])
def test_floats_are_refused_as_input(code):
    adapter = default_adapter(code)
    minor: Any = 15.0  # what an untyped caller (parsed JSON) could pass
    with pytest.raises(InvalidAmount):
        adapter.from_minor(minor)
    amount: Any = 1500.0
    with pytest.raises(InvalidAmount):
        adapter.parse_amount(amount)


@pytest.mark.parametrize(("code", "text", "minor"), [
    ("NG", "₦1,500.00", 150_000),
    ("NG", "NGN 1500", 150_000),
    ("NG", "1 500,5 ₦", 150_050),
    ("NG", "1,500", 150_000),  # three digits after the mark: thousands
    ("NG", "  ₦0.05 ", 5),
    ("NG", "-₦20.00", -2_000),
    ("SN", "1 500 CFA", 1_500),
    ("SN", "1\u202f500\u00a0F CFA", 1_500),
    ("SN", "1.500 FCFA", 1_500),
    ("SN", "XOF 2,000,000", 2_000_000),
    ("GH", "GH₵1,500.00", 150_000),
    ("GH", "GH¢ 12.5", 1_250),
    ("CV", "1 500,00 CVE", 150_000),
    ("GN", "25 000 FG", 25_000),
])
def test_parse_accepts_what_people_type(code, text, minor):
    assert default_adapter(code).parse_amount(text) == minor


@pytest.mark.parametrize(("code", "text"), [
    ("NG", ""), ("NG", "abc"), ("NG", "1.234"), ("NG", "12,34,567"), ("NG", "₦"), ("NG", "1,5000"),
    ("NG", "1.500,000.00"), ("SN", "1 500,5 CFA"), ("SN", "1.5"), ("NG", "GH₵1.00"), ("NG", "1e5"),
])
def test_parse_refuses_ambiguous_or_foreign_text(code, text):
    with pytest.raises(InvalidAmount):
        default_adapter(code).parse_amount(text)


@pytest.mark.parametrize(("code", "text", "minor"), [
    ("NG", "1500", 150_000), ("NG", "1500.5", 150_050), ("NG", "1500.50", 150_050), ("NG", "-0.01", -1),
    ("SN", "1500", 1_500),
])
def test_to_minor(code, text, minor):
    assert default_adapter(code).to_minor(text) == minor


@pytest.mark.parametrize(("code", "text"), [("NG", "1.005"), ("SN", "1500.5"), ("NG", "1,500"), ("NG", ""),
                                            ("SN", "1500.0"), ("NG", "1500.500"), ("NG", " 1500"), ("NG", "1e3")])
def test_to_minor_never_rounds(code, text):
    with pytest.raises(InvalidAmount):
        default_adapter(code).to_minor(text)

"""py-moneyed ``Money`` at the boundaries: parsing, display, API serialization; minor units inside."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moneyed import Money

from countries.money import (
    currency_digits,
    decimal_text,
    format_money,
    minor_of,
    money_of,
    parse_money,
    text_money,
)
from countries.registry import currency_info, default_adapter, display_minor, display_money
from provider_plugins.interfaces.money import AmountError, minor_to_text
from tests.countries.cases import CASES

CURRENCIES = sorted({default_adapter(c.code).currency for c in CASES} | {"USD", "EUR"})
AMOUNTS = st.integers(min_value=-(10**18 - 1), max_value=10**18 - 1)


@settings(max_examples=300, deadline=None)
@given(currency=st.sampled_from(CURRENCIES), minor=AMOUNTS)
def test_minor_units_and_money_convert_exactly_both_ways(currency, minor):
    money = money_of(minor, currency)
    assert isinstance(money.amount, Decimal) and money.currency.code == currency
    assert minor_of(money) == minor
    assert decimal_text(money) == minor_to_text(minor, currency_digits(currency))  # the API's JSON shape


def test_parse_money_is_the_strict_rule_with_its_reasons():
    assert parse_money("1500.5", currency="NGN") == Money("1500.50", "NGN")
    assert parse_money("1500", currency="XOF") == Money("1500", "XOF")
    assert parse_money(Decimal("12.34"), currency="GHS") == Money("12.34", "GHS")
    for value, reason in [("1500.5", "too_many_decimals"), ("1e3", "syntax"), ("1,500", "syntax"),
                          ("-5", "negative"), (1500.0, "type"), ("9" * 40, "too_large"), ("NaN", "syntax")]:
        with pytest.raises(AmountError) as refused:
            parse_money(value, currency="XOF")
        assert refused.value.code == "invalid_amount" and refused.value.reason == reason, value
    with pytest.raises(AmountError) as refused:
        parse_money("1", currency="ZZZ")
    assert refused.value.reason == "unknown_currency"


def test_money_never_rounds_a_fraction_of_a_minor_unit():
    assert minor_of(Money("1500.500", "NGN")) == 150_050  # trailing zeros are not a fraction
    for money in (Money("1500.505", "NGN"), Money("1500.5", "XOF")):
        with pytest.raises(AmountError) as refused:
            minor_of(money)
        assert refused.value.reason == "too_many_decimals"
    with pytest.raises(AmountError) as refused:
        minor_of(Money("1e30", "NGN"))
    assert refused.value.reason == "too_large"


def test_api_parse_money_and_money_field_keep_the_json_shape():
    from shared_apps.core.amounts import InvalidAmount, MoneyField, parse_amount
    from shared_apps.core.amounts import parse_money as api_parse_money

    assert api_parse_money("1500.50", currency="NGN") == Money("1500.50", "NGN")
    with pytest.raises(InvalidAmount) as refused:
        api_parse_money("1500.505", currency="NGN")
    assert refused.value.code == "invalid_amount" and refused.value.fields["amount"]
    with pytest.raises(InvalidAmount):
        parse_amount(Money("-5", "NGN"), currency="NGN")
    assert MoneyField().to_representation(Money("1500.5", "NGN")) == "1500.50"
    row = SimpleNamespace(amount_minor=150_000, fee_minor=None, currency="XOF")
    assert MoneyField(minor="amount_minor").to_representation(row) == "150000"
    assert MoneyField(minor="fee_minor").to_representation(row) is None


@pytest.mark.parametrize(("minor", "currency", "locale", "text"), [
    (150_050, "NGN", "en", "₦1,500.50"),
    (150_050, "NGN", "fr", "1 500,50 ₦"),
    (1_500, "XOF", "en", "CFA 1,500"),
    (1_500, "XOF", "fr", "1 500 CFA"),
    (1_500, "XOF", "pt", "1 500 CFA"),
    (123_456_789, "GHS", "en", "GH₵1,234,567.89"),
    (-2_000, "CVE", "pt", "-20,00 CVE"),
    (150_000, "USD", "en", "USD 1,500.00"),  # not a West African currency: its ISO code
])
def test_one_display_format(minor, currency, locale, text):
    assert display_minor(minor, currency, locale=locale) == text
    assert display_money(money_of(minor, currency), locale=locale) == text


def test_the_adapter_and_the_page_filter_write_amounts_the_same_way():
    from django.utils import translation

    from shared_apps.core.templatetags.ui import money as money_filter

    for case in CASES:
        adapter = default_adapter(case.code)
        for locale in ("en", "fr", "pt"):
            expected = format_money(adapter.money(123_456), locale=locale, symbol=adapter.currency_symbol)
            assert adapter.format_amount(123_456, locale=locale) == expected
            assert display_minor(123_456, adapter.currency, locale=locale) == expected
            with translation.override(locale):
                assert money_filter(123_456, adapter.currency) == expected
    assert currency_info("XOF").symbol == "CFA" and currency_info("usd").symbol == "USD"


def test_sms_and_ussd_amounts_are_the_display_format_in_gsm7_characters():
    assert text_money(money_of(200_000, "NGN"), locale="en", symbol="₦") == "NGN 2,000.00"
    assert text_money(money_of(1_500, "XOF"), locale="fr", symbol="CFA") == "1 500 CFA"
    assert text_money(money_of(-5, "GHS"), locale="en", symbol="GH₵") == "-GHS 0.05"
    assert text_money(money_of(100_050, "CVE"), locale="pt", symbol="CVE") == "1 000,50 CVE"

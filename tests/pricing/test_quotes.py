"""A quote always adds up: cost + every line == price, and price never falls below cost."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenant_apps.pricing.quotes import InvalidPurchaseAmount, quote_price

pytestmark = pytest.mark.django_db


def _product(**fields):
    base = {"pk": 1, "currency": "NGN", "face_value_minor": None, "cost_price_minor": None,
            "min_amount_minor": 5_000, "max_amount_minor": 5_000_000, "cost_rate_bp": 9_700}
    base.update(fields)
    return SimpleNamespace(is_open_amount=base["face_value_minor"] is None, **base)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=5_000, max_value=5_000_000), rate=st.integers(min_value=8_000, max_value=10_000))
def test_open_amount_quote_adds_up(tenants, amount, rate):
    with schema_context("ng"):
        quote = quote_price(product=_product(cost_rate_bp=rate), amount_minor=amount)
    assert quote.cost_minor + sum(line.amount_minor for line in quote.lines) == quote.price_minor
    assert quote.price_minor >= quote.cost_minor >= amount * rate // 10_000
    assert all(isinstance(value, int) for value in (quote.price_minor, quote.cost_minor, quote.face_value_minor))


def test_fixed_price_quote_uses_tenant_margin(tenants):
    with schema_context("ng"):
        quote = quote_price(product=_product(face_value_minor=100_000, cost_price_minor=98_000))
    assert quote.cost_minor == 98_000
    assert quote.price_minor == 99_960  # 2 % default margin, half-up
    # The 1 960 kobo margin is the operator's income, VAT 7.5 % included (docs/tax.md): net = 1 960 × 10 000 /
    # 10 750 = 1 823.26 -> 1 823 to revenue, 137 to VAT payable.
    assert [(line.account_kind, line.amount_minor) for line in quote.lines] == [
        ("revenue", 1_823), ("tax_payable_vat", 137)]
    assert quote.breakdown()["price_minor"] == 99_960


@pytest.mark.parametrize("amount", [None, 4_999, 5_000_001, 0, -100])
def test_open_amount_out_of_range_is_refused(tenants, amount):
    with schema_context("ng"), pytest.raises(InvalidPurchaseAmount) as error:
        quote_price(product=_product(), amount_minor=amount)
    assert error.value.code == "invalid_amount" and error.value.status_code == 400

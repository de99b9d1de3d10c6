"""The country adapters' tax rules and the arithmetic (countries/tax.py), without a database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from countries.registry import default_adapter
from countries.tax import LEVY, SALE_INCOME, TRANSFER, TaxRule, split_sale_income, transfer_levies
from tenant_apps.ledger.models import TAX_KINDS, AccountKind

WEST_AFRICA = ("BF", "BJ", "CI", "CV", "GH", "GM", "GN", "GW", "LR", "ML", "MR", "NE", "NG", "SL", "SN", "TG")
TODAY = date(2026, 12, 6)


@pytest.mark.parametrize("code", WEST_AFRICA)
def test_every_country_states_its_vat_and_every_tax_has_a_ledger_account(code):
    adapter = default_adapter(code)
    vat = adapter.tax_rules[0]
    assert vat.code == "vat" and vat.applies_to == SALE_INCOME and vat.rate_bps == adapter.vat_rate_bps
    assert vat.source, "the law and year of the rate"
    for rule in adapter.tax_rules:
        assert rule.account_kind in TAX_KINDS and rule.account_kind in AccountKind.values
        assert rule.source


def test_the_rates_of_the_brief():
    assert {r.code: r.rate_bps for r in default_adapter("GH").tax_rules} == {
        "vat": 1500, "nhil": 250, "getfund": 250, "covid": 100}
    assert [r.code for r in default_adapter("GH").tax_rules if r.in_force(TODAY)] == ["vat", "nhil", "getfund"]
    assert [r.code for r in default_adapter("GH").tax_rules if r.in_force(date(2025, 6, 1))] == [
        "vat", "nhil", "getfund", "covid"]  # the COVID-19 levy until the end of 2025
    [stamp] = [r for r in default_adapter("NG").tax_rules if r.applies_to == TRANSFER]
    assert (stamp.fixed_minor, stamp.threshold_minor, stamp.inclusive) == (5_000, 1_000_000, False)
    assert default_adapter("NG").vat_rate_bps == 750
    assert default_adapter("SN").vat_rate_bps == default_adapter("CI").vat_rate_bps == 1800


def test_the_vat_override_is_what_is_charged():
    adapter = default_adapter("NG").with_overrides({"vat_rate_bps": 1000})
    [vat] = adapter.sale_taxes(income_minor=1_100, on=TODAY).taxes
    assert (vat.rate_bps, vat.amount_minor) == (1000, 100)  # 1 100 × 1 000 / 11 000 = 100 exactly


def test_hand_computed_splits():
    # Ghana, 2026: GHS 10.00 of income = 1 000 pesewas, VAT 15 % + NHIL 2.5 % + GETFund 2.5 % = 20 % inclusive.
    # net = 1 000 × 10 000 / 12 000 = 833.33 -> 833; taxes = 167: VAT 1 000 × 1 500 / 12 000 = 125 exactly,
    # NHIL = GETFund = 1 000 × 250 / 12 000 = 20.83 -> floors 20 + 20, and the 2 pesewas left go to the
    # largest remainders (0.83 each): 21 + 21. 833 + 125 + 21 + 21 = 1 000.
    split = default_adapter("GH").sale_taxes(income_minor=1_000, on=TODAY)
    assert split.net_minor == 833
    assert [(t.code, t.amount_minor) for t in split.taxes] == [("vat", 125), ("nhil", 21), ("getfund", 21)]
    # Nigeria: VAT 7.5 % of ₦1.94 income: net = 194 × 10 000 / 10 750 = 180.47 -> 180; VAT = 14 kobo.
    [vat] = default_adapter("NG").sale_taxes(income_minor=194, on=TODAY).taxes
    assert vat.amount_minor == 14 and vat.base_minor == 180
    # Stamp duty: NGN 50 from NGN 10,000 (1 000 000 kobo), nothing below.
    assert [t.amount_minor for t in default_adapter("NG").transfer_taxes(amount_minor=1_000_000, on=TODAY)] == [5_000]
    assert default_adapter("NG").transfer_taxes(amount_minor=999_999, on=TODAY) == ()
    assert default_adapter("GH").transfer_taxes(amount_minor=10**9, on=TODAY) == ()  # the E-Levy is repealed


def test_an_exclusive_tax_is_added_on_top():
    rules = [TaxRule(code="vat", name="VAT", kind="vat", applies_to=SALE_INCOME, rate_bps=1800, inclusive=False)]
    split = split_sale_income(rules, gross_minor=1_001)
    assert split.net_minor == 1_001 and split.added_minor == 180  # 180.18 -> 180, charged on top of the price


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        TaxRule(code="x", name="X", kind=LEVY, applies_to=TRANSFER, rate_bps=10, fixed_minor=10, inclusive=False)
    with pytest.raises(ValueError):
        TaxRule(code="x", name="X", kind=LEVY, applies_to=TRANSFER, fixed_minor=10)  # a fixed levy is on top
    with pytest.raises(ValueError):
        TaxRule(code="muchtoolong", name="X", kind=LEVY, applies_to=SALE_INCOME, rate_bps=10)


rates = st.lists(st.integers(min_value=1, max_value=3_000), min_size=1, max_size=5)


@settings(max_examples=400, deadline=None)
@given(gross=st.integers(min_value=-10, max_value=10**13), rates=rates)
def test_property_tax_lines_plus_net_is_the_gross_and_rounding_is_bounded(gross, rates):
    rules = [TaxRule(code=f"t{i}", name=f"T{i}", kind=LEVY, applies_to=SALE_INCOME, rate_bps=rate)
             for i, rate in enumerate(rates)]
    split = split_sale_income(rules, gross_minor=gross)
    # No money created or lost: the income is exactly the net plus the tax lines.
    assert split.net_minor + sum(t.amount_minor for t in split.taxes) == gross
    if gross <= 0:
        assert split.taxes == ()
        return
    total = sum(rates)
    # The net within half a minor unit of the exact net; each tax within one minor unit of its exact value.
    assert abs(2 * (split.net_minor * (10_000 + total) - gross * 10_000)) <= 10_000 + total
    for tax in split.taxes:
        rate = rates[int(tax.code[1:])]
        assert abs(tax.amount_minor * (10_000 + total) - gross * rate) < 10_000 + total
        assert tax.amount_minor >= 0 and tax.base_minor == split.net_minor


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(min_value=1, max_value=10**12))
def test_property_the_stamp_duty_is_flat_above_the_threshold(amount):
    levies = transfer_levies(default_adapter("NG").tax_rules, amount_minor=amount, on=TODAY)
    assert sum(t.amount_minor for t in levies) == (5_000 if amount >= 1_000_000 else 0)
    assert all(not t.included for t in levies)

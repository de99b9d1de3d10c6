"""Price rules: specificity, percent/fixed, rounding per currency, never below cost, the reseller cascade."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenant_apps.pricing.engine import Markup, apply_markup, half_up_div
from tenant_apps.pricing.models import PriceRule, PricingSettings, RuleMode
from tenant_apps.pricing.quotes import quote_price
from tests.accounts.helpers import call, login, make_user

pytestmark = pytest.mark.django_db


def rule(**fields):
    return PriceRule.objects.create(**fields)


def test_most_specific_rule_wins(products):
    with schema_context("ng"):
        rule(mode=RuleMode.PERCENT, value=500)                                    # all: 5 %
        rule(mode=RuleMode.PERCENT, value=400, product_type="data")               # type: 4 %
        rule(mode=RuleMode.PERCENT, value=300, provider_id=products["vtpass"].pk)  # provider: 3 %
        rule(mode=RuleMode.PERCENT, value=200, provider_id=products["vtpass"].pk, product_type="data")
        rule(mode=RuleMode.FIXED, value=1_234, product_id=products["ng_1gb"].pk)  # product: +12.34
        rule(mode=RuleMode.PERCENT, value=900, product_type="data", priority=-1)  # same specificity, lower priority
        assert quote_price(product=products["ng_1gb"]).price_minor == 100_000 + 1_234
        assert quote_price(product=products["ng_2gb"]).price_minor == 153_000   # provider+type 2 %
        assert quote_price(product=products["ng_tv"]).price_minor == 1_030_000  # provider 3 %
        assert quote_price(product=products["ng_mtn"]).price_minor == 468_000   # type 4 % beats 9 % (priority)
        quote = quote_price(product=products["ng_1gb"])
        assert quote.rules["operator"].startswith("rule:") and "(product)" in quote.rules["operator"]


def test_priority_breaks_ties_and_no_rule_means_default_margin(products):
    with schema_context("ng"):
        assert quote_price(product=products["ng_2gb"]).price_minor == 153_000  # default 2 %
        rule(mode=RuleMode.PERCENT, value=100, product_type="data", priority=5)
        rule(mode=RuleMode.PERCENT, value=700, product_type="data", priority=1)
        assert quote_price(product=products["ng_2gb"]).price_minor == 151_500


def test_xof_rounds_to_whole_francs_and_ngn_to_kobo(products):
    with schema_context("sn"):
        rule(mode=RuleMode.PERCENT, value=250)  # 950 × 1.025 = 973.75 -> 974 XOF
        quote = quote_price(product=products["sn_1gb"])
        assert (quote.cost_minor, quote.price_minor, quote.currency) == (950, 974, "XOF")
    with schema_context("ng"):
        rule(mode=RuleMode.PERCENT, value=333)  # 1000.00 × 1.0333 = 1033.30 NGN exactly; 1500.00 -> 1549.95
        assert quote_price(product=products["ng_1gb"]).price_minor == 103_330
        assert quote_price(product=products["ng_2gb"]).price_minor == 154_995


def test_never_below_cost_unless_the_operator_allows_it(products):
    with schema_context("ng"):
        rule(mode=RuleMode.FIXED, value=-5_000, product_id=products["ng_1gb"].pk)
        rule(mode=RuleMode.PERCENT, value=-1_000, product_id=products["ng_2gb"].pk)
        assert quote_price(product=products["ng_1gb"]).price_minor == 100_000
        assert quote_price(product=products["ng_2gb"]).price_minor == 150_000
        PricingSettings.objects.create(allow_below_cost=True)
        quote = quote_price(product=products["ng_1gb"])
        assert quote.price_minor == 95_000
        assert [(line.account_kind, line.amount_minor) for line in quote.lines] == [("revenue", -5_000)]


def test_reseller_prices_over_its_parents_price(products):
    """Reseller cost = the operator's selling price; the operator margin is a provider_settlement line."""
    with schema_context("ng"):
        rule(mode=RuleMode.PERCENT, value=500)  # operator: +5 %
    with schema_context("quickvend"):
        rule(mode=RuleMode.FIXED, value=2_500)  # reseller: +25.00 over its cost
        quote = quote_price(product=products["ng_1gb"])
    assert quote.cost_minor == 100_000 and quote.tenant_cost_minor == 105_000
    assert quote.price_minor == 107_500
    assert [(line.account_kind, line.party, line.amount_minor) for line in quote.lines] == [
        ("provider_settlement", "operator", 5_000), ("revenue", "reseller", 2_326), ("tax_payable_vat", "tax:vat", 174)]
    # The reseller's ₦25.00 income carries Nigeria's VAT 7.5 %: 2 500 × 10 000 / 10 750 = 2 325.58 -> 2 326 net.
    assert quote.tenant_kind == "reseller_brand"



def test_a_reseller_never_sells_below_its_cost(products, host_client):
    """PRODUCT.md: a reseller brand prices *above its cost* (the operation's price). Its admin could switch on
    ``allow_below_cost`` and a -10 % rule: GH₵100 airtime costing it GH₵98.94 sold at GH₵89.05, undercutting its
    operator with the float paying the difference, and commissions no longer trimmed to its margin. Now the
    switch is refused on a reseller's site (400, nothing saved), and a row that still says so prices at cost."""
    email = "rs-pricing@qv.test"
    make_user("quickvend", email=email, role="operator_admin")
    client = host_client("quickvend.localhost")
    token = login(client, email)["access"]
    refused = call(client, "PATCH", "/api/pricing/settings", {"allow_below_cost": True}, token=token)
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["code"] == "below_cost_not_allowed"
    assert "allow_below_cost" in refused.json()["error"]["fields"]
    assert call(client, "GET", "/api/pricing/settings", token=token).json()["allow_below_cost"] is False
    assert call(client, "PATCH", "/api/pricing/settings", {"allow_below_cost": False, "margin_bp": 300},
                token=token).status_code == 200
    with schema_context("quickvend"):
        rule(mode=RuleMode.PERCENT, value=-1_000)
        PricingSettings.objects.update(allow_below_cost=True)  # a row from before: still never below cost
        quote = quote_price(product=products["ng_1gb"])
    assert quote.tenant_cost_minor == 102_000 and quote.price_minor == 102_000  # ng's 2 % default, nothing below
    assert all(line.amount_minor >= 0 for line in quote.lines)
    # The country operation keeps its switch (its own promotions).
    make_user("ng", email="ng-pricing@ng.test", role="operator_admin")
    ng = host_client("ng.localhost")
    allowed = call(ng, "PATCH", "/api/pricing/settings", {"allow_below_cost": True},
                   token=login(ng, "ng-pricing@ng.test")["access"])
    assert allowed.status_code == 200 and allowed.json()["allow_below_cost"] is True

def test_listing_shows_the_reseller_price_from_the_same_function(products, host_client):
    with schema_context("ng"):
        rule(mode=RuleMode.PERCENT, value=500)
    with schema_context("quickvend"):
        rule(mode=RuleMode.FIXED, value=2_500, product_type="data")
        expected_air = quote_price(product=products["ng_air"], amount_minor=1_000_000).price_minor
    items = {i["id"]: i for i in host_client("quickvend.localhost").get("/api/products").json()["results"]}
    assert items[products["ng_1gb"].pk]["price"] == "1075.00"
    assert items[products["ng_air"].pk]["price_percent_of_amount"] == f"{expected_air / 10_000:.2f}"
    ng_items = {i["id"]: i for i in host_client("ng.localhost").get("/api/products").json()["results"]}
    assert ng_items[products["ng_1gb"].pk]["price"] == "1050.00"


def test_rules_api_for_the_operator_admin(products, host_client):
    make_user("sn", email="pricing-admin@sn.test", role="operator_admin")
    client = host_client("sn.localhost")
    token = login(client, "pricing-admin@sn.test")["access"]
    bad = call(client, "POST", "/api/pricing/rules", {"mode": "fixed", "amount": "10.5"}, token=token)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_amount"  # XOF has no decimals
    made = call(client, "POST", "/api/pricing/rules", {"mode": "fixed", "amount": "30", "product_type": "data"},
                token=token)
    assert made.status_code == 201 and made.json()["amount"] == "30"
    with schema_context("sn"):
        assert quote_price(product=products["sn_1gb"]).price_minor == 980
    customer = make_user("sn", email="pricing-customer@sn.test")
    assert customer.role == "customer"
    token_c = login(client, "pricing-customer@sn.test")["access"]
    assert call(client, "GET", "/api/pricing/rules", token=token_c).status_code == 403


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cost=st.integers(min_value=0, max_value=10**12), mode=st.sampled_from([RuleMode.PERCENT, RuleMode.FIXED]),
       value=st.integers(min_value=-10_000, max_value=100_000), allow=st.booleans())
def test_markup_property(cost, mode, value, allow):
    """Integers only; never below cost unless allowed; percent is the exact value rounded half-up."""
    price = apply_markup(cost, Markup(mode, value, "t"), allow_below_cost=allow)
    assert isinstance(price, int) and price >= 0
    if not allow:
        assert price >= cost
    exact = cost * (10_000 + value) if mode == RuleMode.PERCENT else (cost + value) * 10_000
    if allow and exact >= 0:
        assert abs(price * 10_000 - exact) <= 5_000  # within half a minor unit


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op_bp=st.integers(min_value=-2_000, max_value=5_000), rs_fixed=st.integers(min_value=-50_000, max_value=50_000),
       amount=st.integers(min_value=5_000, max_value=5_000_000))
def test_cascade_property(products, op_bp, rs_fixed, amount):
    """Through the whole cascade: the quote adds up and no tenant sells below its own cost."""
    with schema_context("ng"):
        PriceRule.objects.all().delete()
        rule(mode=RuleMode.PERCENT, value=op_bp)
    with schema_context("quickvend"):
        PriceRule.objects.all().delete()
        rule(mode=RuleMode.FIXED, value=rs_fixed)
        quote = quote_price(product=products["ng_air"], amount_minor=amount)
    assert quote.cost_minor + sum(line.amount_minor for line in quote.lines) == quote.price_minor
    assert quote.tenant_cost_minor is not None
    assert quote.price_minor >= quote.tenant_cost_minor >= quote.cost_minor >= amount * 9_700 // 10_000


def test_half_up_division():
    assert [half_up_div(n, 10) for n in (14, 15, 16, -15, -14)] == [1, 2, 2, -2, -1]

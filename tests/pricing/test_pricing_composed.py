"""load_tenant_pricing reuses the pricing it composed (own rules + the country's taxes + a reseller's parent)
while its parts are the same (issue 18: two dataclasses were rebuilt per quote), and composes it again when any
part changes: a price rule, the VAT override, the parent's rules."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from countries.registry import get_adapter
from countries.services import country_override_set
from tenant_apps.pricing import engine
from tenant_apps.pricing.engine import TenantPricing, _composed, load_tenant_pricing
from tenant_apps.pricing.models import PriceRule

pytestmark = pytest.mark.django_db


def test_the_composed_pricing_is_reused_while_nothing_changes(tenant_ng):
    with schema_context(tenant_ng.schema_name):
        first = load_tenant_pricing()
        assert load_tenant_pricing() is first
        assert first.tax_rules == get_adapter("NG").tax_rules and first.tax_rules


def test_a_price_rule_makes_a_new_one(tenant_ng):
    with schema_context(tenant_ng.schema_name):
        first = load_tenant_pricing()
        rule = PriceRule.objects.create(product_type="airtime", mode="percent", value=321, priority=1)
        try:
            second = load_tenant_pricing()
            assert second is not first and rule.pk in {r.id for r in second.rules}
            assert second.tax_rules == first.tax_rules
        finally:
            PriceRule.objects.filter(pk=rule.pk).delete()
        assert rule.pk not in {r.id for r in load_tenant_pricing().rules}


def test_a_vat_override_makes_a_new_one(tenant_ng):
    with schema_context(tenant_ng.schema_name):
        first = load_tenant_pricing()
        country_override_set(country="NG", vat_rate_bps=800)
        try:
            second = load_tenant_pricing()
            assert second is not first and second.tax_rules[0].rate_bps == 800
            assert second.rules == first.rules
        finally:
            country_override_set(country="NG", vat_rate_bps=None)
        assert load_tenant_pricing().tax_rules[0].rate_bps == 750


def _pricing(schema: str, margin_bp: int = 200) -> TenantPricing:
    return TenantPricing(schema=schema, kind="reseller_brand", margin_bp=margin_bp, allow_below_cost=False,
                         rules=(), tiers=())


def test_each_part_is_compared(monkeypatch):
    monkeypatch.setattr(engine, "_COMPOSED", {})
    own, parent, taxes = _pricing("rs"), _pricing("op", 300), ("vat",)
    made = _composed(own, taxes, parent)
    assert (made.schema, made.margin_bp, made.tax_rules, made.parent) == ("rs", 200, ("vat",), parent)
    assert _composed(own, ("vat",), parent) is made  # equal taxes, the same own and parent objects
    assert _composed(own, ("levy",), parent).tax_rules == ("levy",)
    other_parent = _composed(own, ("levy",), _pricing("op", 400)).parent  # another parent object
    assert other_parent is not None and other_parent.margin_bp == 400
    assert _composed(_pricing("rs", 500), ("levy",), parent).margin_bp == 500  # another own object
    alone = _composed(own, None, None)
    assert alone is own  # nothing to add: the memo's own object, as before
    assert _composed(own, (), None).tax_rules == () and _composed(own, (), None) is not own

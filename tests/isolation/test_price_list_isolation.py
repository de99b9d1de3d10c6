"""A tenant's price list is its own: A's margin never shows in B's listing (same country, same catalog)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from shared_apps.catalog.models import Product
from shared_apps.providers.services import provider_register

pytestmark = pytest.mark.django_db


def _prices(client) -> dict[str, str]:
    response = client.get("/api/products", {"type": "data", "page_size": 100})
    assert response.status_code == 200, response.content
    return {item["name"]: item["price"]["amount"] if isinstance(item["price"], dict) else item["price"]
            for item in response.json()["results"]}


def test_margin_of_one_tenant_does_not_change_anothers_prices(host_client, tenants):
    from tenant_apps.pricing.models import PricingSettings

    provider = provider_register(name="VTPass isolation", country="NG", plugin_key="vtpass",
                                 base_url="http://127.0.0.1:9", capabilities=["data"],
                                 credentials={"api_key": "k", "secret_key": "s"})
    Product.objects.create(provider=provider, provider_product_code="iso-1gb", product_type="data",
                           name_en="Isolation 1GB", country="NG", currency="NGN", face_value_minor=100_000,
                           cost_price_minor=100_000)
    # A is the reseller brand (a leaf): its margin must never reach its parent B. (The other way round is
    # the pricing cascade: a reseller buys at its parent's selling price, so the parent's margin flows down.)
    a, b = host_client("quickvend.localhost"), host_client("ng.localhost")
    before_a, before_b = _prices(a), _prices(b)
    assert "Isolation 1GB" in before_a and "Isolation 1GB" in before_b
    with schema_context("quickvend"):
        PricingSettings.objects.update_or_create(singleton=True, defaults={"margin_bp": 3_700})
    after_a, after_b = _prices(a), _prices(b)
    assert after_a["Isolation 1GB"] != before_a["Isolation 1GB"]  # A's change took effect in A
    assert after_b == before_b  # and nowhere else

"""Catalog rows for pricing tests (public schema, rolled back with each test)."""

from __future__ import annotations

import pytest

from shared_apps.catalog.models import Product
from shared_apps.providers.services import provider_register


def make_provider(name, country, plugin="vtpass"):
    return provider_register(name=name, country=country, plugin_key=plugin, base_url="http://127.0.0.1:9",
                             capabilities=["airtime", "data"],
                             credentials={"api_key": "k", "secret_key": "SK_pricing_test_secret_0123456789"})


def fixed(provider, code, cost, *, face=None, currency="NGN", product_type="data", country=None):
    return Product.objects.create(provider=provider, provider_product_code=code, product_type=product_type,
                                  name_en=code, country=country or provider.country, currency=currency,
                                  face_value_minor=face or cost, cost_price_minor=cost)


@pytest.fixture
def products(tenants):
    vtpass = make_provider("VTPass pricing", "NG")
    mtn = make_provider("DT One pricing", "NG", plugin="dtone")
    agg = make_provider("Aggregator pricing", "SN", plugin="aggregator")
    return {
        "vtpass": vtpass, "mtn": mtn, "agg": agg,
        "ng_1gb": fixed(vtpass, "p-mtn-1gb", 100_000),
        "ng_2gb": fixed(vtpass, "p-glo-2gb", 150_000),
        "ng_tv": fixed(vtpass, "p-dstv", 1_000_000, product_type="cable_tv"),
        "ng_mtn": fixed(mtn, "p-mtn-10gb", 450_000),
        "ng_air": Product.objects.create(provider=vtpass, provider_product_code="p-air", product_type="airtime",
                                         name_en="Airtime", country="NG", currency="NGN", min_amount_minor=5_000,
                                         max_amount_minor=5_000_000, cost_rate_bp=9_700),
        "sn_1gb": fixed(agg, "p-302", 950, face=1_000, currency="XOF"),
    }

"""GET /api/products on tenant domains: filters, pagination, tenant prices, clear 400s."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from shared_apps.catalog.models import Product
from shared_apps.providers.models import ProviderStatus
from shared_apps.providers.services import provider_register
from tenant_apps.pricing.models import PricingSettings
from tenant_apps.pricing.selectors import apply_margin_minor

pytestmark = pytest.mark.django_db


SECRET = "SK_super_secret_value_never_shown_123"

def make_provider(name, country, plugin="vtpass", **extra):
    return provider_register(name=name, country=country, plugin_key=plugin, base_url="http://127.0.0.1:9",
                             capabilities=["airtime", "data"], credentials={"api_key": "k", "secret_key": SECRET},
                             **extra)


def bundle(provider, code, cost, *, face=None, name=None, country=None, currency="NGN", **extra):
    return Product.objects.create(
        provider=provider, provider_product_code=code, product_type=extra.pop("product_type", "data"),
        name_en=name or code, country=country or provider.country, currency=currency,
        face_value_minor=face or cost, cost_price_minor=cost, **extra)


@pytest.fixture
def catalog(tenants):
    vtpass = make_provider("VTPass", "NG", routing_priority=10)
    mtn = make_provider("DT One Nigeria", "NG", plugin="dtone", routing_priority=20)
    agg = make_provider("Aggregator", "SN", plugin="aggregator")
    rows = {
        "ng_1gb": bundle(vtpass, "mtn-1gb", 100_000, name="MTN 1GB 30 days", operator="mtn", name_fr="MTN 1Go"),
        "ng_2gb": bundle(vtpass, "glo-2gb", 150_000, name="Glo 2GB 30 days", operator="glo"),
        "ng_mtn": bundle(mtn, "MTN-DATA-10GB", 450_000, name="MTN 10GB Monthly", operator="mtn"),
        "ng_air": Product.objects.create(provider=vtpass, provider_product_code="mtn", product_type="airtime",
                                         name_en="MTN Airtime", country="NG", currency="NGN",
                                         min_amount_minor=5_000, max_amount_minor=5_000_000, cost_rate_bp=9_700),
        "sn_1gb": bundle(agg, "302:1000.00", 950, face=1_000, name="Orange 1GB 7 jours", currency="XOF"),
        "gone": bundle(vtpass, "mtn-old", 50_000, name="MTN old plan", is_active=False),
    }
    return {"vtpass": vtpass, "mtn": mtn, "agg": agg, **rows}


def get(host_client, host="ng.localhost", **params):
    return host_client(host).get("/api/products", params)


def codes(response):
    return [item["id"] for item in response.json()["results"]]


def test_filters_by_type_and_country(host_client, catalog):
    response = get(host_client, type="data", country="NG")
    assert response.status_code == 200
    assert sorted(codes(response)) == sorted([catalog["ng_1gb"].pk, catalog["ng_2gb"].pk, catalog["ng_mtn"].pk])
    assert response.json()["count"] == 3


def test_prices_are_cost_plus_the_tenant_margin(host_client, catalog):
    items = {item["id"]: item for item in get(host_client, country="NG").json()["results"]}
    one_gb = items[catalog["ng_1gb"].pk]
    assert one_gb["price"] == "1020.00" and one_gb["face_value"] == "1000.00" and one_gb["currency"] == "NGN"
    airtime = items[catalog["ng_air"].pk]
    assert airtime["price"] is None and airtime["min_amount"] == "50.00" and airtime["max_amount"] == "50000.00"
    assert airtime["price_percent_of_amount"] == "98.94"  # 97 % cost × 1.02
    assert "cost" not in " ".join(one_gb)  # provider cost is never shown


def test_margin_setting_is_per_tenant(host_client, catalog):
    with schema_context("ng"):
        PricingSettings.objects.create(margin_bp=550)
    ng = {i["id"]: i for i in get(host_client, country="NG").json()["results"]}
    other = {i["id"]: i for i in get(host_client, host="quickvend.localhost", country="NG").json()["results"]}
    assert ng[catalog["ng_1gb"].pk]["price"] == "1055.00"
    # The reseller prices over its cost, which is ng's selling price: 1055.00 × 1.02 (default margin).
    assert other[catalog["ng_1gb"].pk]["price"] == "1076.10"


def test_xof_prices_have_no_decimals_and_country_defaults_to_the_tenant(host_client, catalog):
    response = get(host_client, host="sn.localhost")
    [item] = response.json()["results"]
    assert (item["id"], item["price"], item["face_value"]) == (catalog["sn_1gb"].pk, "969", "1000")


@pytest.mark.parametrize(("cost", "margin_bp", "expected"), [
    (100_000, 200, 102_000), (25, 200, 26), (24, 200, 24), (1234, 200, 1259), (0, 200, 0), (999, 0, 999),
    (1, 10_000, 2),
])
def test_margin_rounds_half_up_in_integers(cost, margin_bp, expected):
    assert apply_margin_minor(cost, margin_bp) == expected


def test_provider_filter_by_id_and_name(host_client, catalog):
    by_id = get(host_client, country="NG", provider=str(catalog["mtn"].pk))
    assert codes(by_id) == [catalog["ng_mtn"].pk]
    by_name = get(host_client, country="NG", type="data", provider="vtpass")
    assert sorted(codes(by_name)) == sorted([catalog["ng_1gb"].pk, catalog["ng_2gb"].pk])


def test_search_matches_any_language_and_operator(host_client, catalog):
    assert codes(get(host_client, country="NG", q="1go")) == [catalog["ng_1gb"].pk]
    assert sorted(codes(get(host_client, country="NG", type="data", q="mtn"))) == sorted(
        [catalog["ng_1gb"].pk, catalog["ng_mtn"].pk])


def test_names_follow_the_request_language(host_client, catalog):
    client = host_client("ng.localhost")
    items = {i["id"]: i for i in client.get("/api/products", {"type": "data"},
                                            HTTP_ACCEPT_LANGUAGE="fr").json()["results"]}
    assert items[catalog["ng_1gb"].pk]["name"] == "MTN 1Go"
    assert items[catalog["ng_2gb"].pk]["name"] == "Glo 2GB 30 days"


def test_withdrawn_products_and_disabled_providers_are_hidden(host_client, catalog):
    assert catalog["gone"].pk not in codes(get(host_client, country="NG"))
    catalog["mtn"].status = ProviderStatus.DISABLED
    catalog["mtn"].save()
    assert catalog["ng_mtn"].pk not in codes(get(host_client, country="NG"))


def test_pagination(host_client, catalog):
    first = get(host_client, country="NG", page_size=2).json()
    assert first["count"] == 4 and len(first["results"]) == 2 and first["next"] and first["previous"] is None
    second = get(host_client, country="NG", page_size=2, page=2).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert not set(codes_of(first)) & set(codes_of(second))
    assert get(host_client, country="NG", page=99).status_code == 404


def codes_of(body):
    return [item["id"] for item in body["results"]]


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"type": "voice"}, "unknown_product_type", "type"),
    ({"country": "US"}, "unknown_country", "country"),
    ({"country": "XX"}, "unknown_country", "country"),
    ({"country": "NGA"}, "validation_error", "country"),
])
def test_unknown_filters_are_400_with_a_clear_code(host_client, catalog, params, code, field):
    response = get(host_client, **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and field in error["fields"]


def test_credentials_never_appear_in_the_listing(host_client, catalog):
    response = get(host_client, country="NG")
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert "credentials" not in response.content.decode()


def test_listing_is_not_served_on_the_public_domain(host_client, catalog):
    assert host_client("localhost").get("/api/products").status_code == 404


def test_openapi_documents_the_paginated_listing(host_client, catalog):
    response = host_client("ng.localhost").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/products"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"type", "country", "provider", "q", "page",
                                                            "page_size"}
    product = schema["components"]["schemas"]["Product"]["properties"]
    assert {"price", "min_amount", "max_amount", "currency"} <= set(product) and "cost_price_minor" not in product

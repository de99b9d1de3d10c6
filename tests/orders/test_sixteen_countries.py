"""Every one of the 16 countries sells airtime through two independent aggregators, end to end.

For each country host: ``GET /api/products?type=airtime`` lists products of Reloadly and DT One; a
purchase settles through the simulators; with Reloadly's simulator stopped, the next purchase fails
over and settles through DT One (an asynchronous provider: pending, then confirmed by polling).

The 13 country tenants the session does not have are provisioned here, once per test database
(tests/support/tenants.py), with one Reloadly and one DT One simulator and one Celery worker for all (started
while the tenants, providers and catalogues are made).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import pytest
from django.test import Client

from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as RELOADLY_CREDENTIALS
from provider_plugins.aggregator.simulator import AggregatorSimulator
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
from provider_plugins.dtone.simulator import DTOneSimulator
from provider_plugins.interfaces.numbering import COUNTRIES
from tests.orders.helpers import api, assert_books, attempts, new_buyer, order_row, wait_for
from tests.support.numbers import sample_mobile
from tests.support.processes import settlement
from tests.support.tenants import COUNTRY_TENANTS, TEST_TENANTS, ensure_country_tenants

if TYPE_CHECKING:
    from shared_apps.catalog.models import Product
    from shared_apps.providers.models import Provider

# The first network of each country (the one both aggregators price at 3 %: failover never costs more).
NETWORK = {"BJ": "mtn", "BF": "orange", "CV": "cvmovel", "CI": "orange", "GM": "africell", "GH": "mtn",
           "GN": "orange", "GW": "orange", "LR": "lonestar", "ML": "orange", "MR": "mauritel", "NE": "airtel",
           "NG": "mtn", "SN": "orange", "SL": "africell", "TG": "togocel"}
AMOUNT = {"XOF": "1000", "NGN": "500.00", "GHS": "10.00", "GMD": "50.00", "GNF": "10000", "LRD": "200.00",
          "SLE": "20.00", "CVE": "200.00", "MRU": "100.00"}
FINAL = ("settled", "released", "reversed")
SITES = {t.country: (t.schema, t.domain) for t in (*TEST_TENANTS, *COUNTRY_TENANTS) if t.kind == "country_operation"}


class _WorkerEnv(TypedDict):
    ORDERS_REQUERY_BACKOFF: str
    ORDERS_SMS_NOTIFICATIONS: str
    ORDERS_BREAKER_PREFIX: str


@dataclass
class World:
    reloadly: AggregatorSimulator
    dtone: DTOneSimulator
    providers: dict[str, dict[str, Provider]] = field(default_factory=dict)  # country -> {"reloadly": .., "dtone": ..}
    products: dict[str, Product] = field(default_factory=dict)  # country -> the Reloadly airtime product
    bills: dict[str, Product | None] = field(default_factory=dict)  # country -> a Reloadly electricity product
    tenants_seconds: float = 0.0
    built_seconds: float = 0.0


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from django.db import transaction
    from django.test import override_settings

    from shared_apps.catalog.models import Product
    from shared_apps.catalog.services import catalog_sync_provider
    from shared_apps.providers.models import Provider, ProviderStatus
    from shared_apps.providers.services import provider_register
    from tenants.connection import tenant_connection

    started = time.monotonic()
    world = World(AggregatorSimulator(pending_requeries=0).start(),
                  DTOneSimulator(pending_requeries=0, completion_delay_seconds=0.05).start())
    tag = uuid.uuid4().hex[:6]
    env = _WorkerEnv(ORDERS_REQUERY_BACKOFF="0.2,0.3,0.5", ORDERS_SMS_NOTIFICATIONS="0",
                     ORDERS_BREAKER_PREFIX=f"test-breaker-16-{tag}")

    def build() -> None:
        """The tenants, providers and catalogues: while the worker and the dispatcher start (neither needs them
        before the first purchase)."""
        with django_db_blocker.unblock():
            tenants = ensure_country_tenants()
        assert {t.country: (t.schema, t.domain) for t in tenants} == SITES
        world.tenants_seconds = time.monotonic() - started
        with django_db_blocker.unblock(), transaction.atomic():  # one commit, not one per row
            tenant_connection().set_schema_to_public()
            for country in COUNTRIES:
                common: dict[str, Any] = {"country": country, "timeout_seconds": 2,
                                          "options": {"countries": [country]}}
                reloadly = provider_register(name=f"Reloadly 16 {tag}", plugin_key="aggregator",
                                             base_url=world.reloadly.url, credentials=dict(RELOADLY_CREDENTIALS),
                                             capabilities=["airtime", "data", "electricity"], routing_priority=1,
                                             **common)
                dtone = provider_register(name=f"DT One 16 {tag}", plugin_key="dtone",
                                          base_url=world.dtone.url + "/v1", credentials=dict(DTONE_CREDENTIALS),
                                          capabilities=["airtime", "data"], routing_priority=2, **common)
                for provider in (reloadly, dtone):
                    catalog_sync_provider(provider_id=provider.pk)
                world.providers[country] = {"reloadly": reloadly, "dtone": dtone}
                world.products[country] = Product.objects.get(provider=reloadly, product_type="airtime",
                                                              operator=NETWORK[country])
                world.bills[country] = Product.objects.filter(provider=reloadly, product_type="electricity") \
                    .order_by("variation", "pk").last()  # prepaid (a token) where the country has one
        world.built_seconds = time.monotonic() - started

    try:
        with override_settings(ORDERS_BREAKER_PREFIX=env["ORDERS_BREAKER_PREFIX"], ORDERS_SMS_NOTIFICATIONS=False), \
                settlement(meanwhile=build, **env):
            print(f"\n16 countries: tenants ready in {world.tenants_seconds:.1f} s, providers and catalogues in "
                  f"{world.built_seconds - world.tenants_seconds:.1f} s, the worker and the dispatcher "
                  f"{time.monotonic() - started:.1f} s after the start")
            yield world
    finally:
        with django_db_blocker.unblock():
            tenant_connection().set_schema_to_public()
            ids = [p.pk for pair in world.providers.values() for p in pair.values()]
            Provider.objects.filter(pk__in=ids).update(status=ProviderStatus.DISABLED)
        world.reloadly.stop()
        world.dtone.stop()


def _buy(world: World, country: str, variant: int):
    schema, host = SITES[country]
    phone = sample_mobile(country, NETWORK[country], variant)
    user, token = new_buyer(10_000_000, schema=schema)
    product = world.products[country]
    response = api("POST", "/api/purchase", token, {"product_id": product.pk, "recipient_phone": phone,
                                                    "amount": AMOUNT[product.currency]}, host=host)
    assert response.status_code == 202, (country, response.content)
    return user, token, response.json()


def _settled(country: str, body: dict, timeout: float = 20.0):
    schema = SITES[country][0]
    return wait_for(lambda: (o := order_row(body["id"], schema)) and o.status in FINAL and o, timeout=timeout,
                    what=f"{country} order {body['id']}")


def test_every_country_lists_two_providers_and_sells_through_the_first(world, live_db):
    started = time.monotonic()
    placed = {}
    for country in sorted(COUNTRIES):
        host = SITES[country][1]
        query: dict[str, str | int] = {"type": "airtime", "page_size": 200}
        listing = Client(HTTP_HOST=host).get("/api/products", query)
        assert listing.status_code == 200, (country, listing.content)
        providers = {item["provider"]["id"] for item in listing.json()["results"]}
        mine = {p.pk for p in world.providers[country].values()}
        assert providers >= mine, (country, providers)
        assert all(item["currency"] == COUNTRIES[country].currency for item in listing.json()["results"])
        placed[country] = _buy(world, country, 1)
    print(f"\n16 listings and purchases placed in {time.monotonic() - started:.1f} s")
    for country, (user, _token, body) in placed.items():
        order = _settled(country, body)
        assert order.status == "settled", (country, order.status)
        [attempt] = attempts(order, SITES[country][0])
        assert attempt.plugin_key == "aggregator" and world.reloadly.delivery_count(attempt.request_id) == 1
        assert order.receipt_details["fx"]["currency"] == "USD"  # Reloadly charged the USD account
        assert_books(user, 10_000_000 - order.price_minor, SITES[country][0])


def test_electricity_is_paid_in_every_country_with_the_prepaid_token_on_the_receipt(world, live_db):
    from tenant_apps.ledger.currency import to_decimal_string

    placed = {}
    for country in sorted(COUNTRIES):
        product = world.bills[country]
        user, token = new_buyer(10_000_000, schema=SITES[country][0])
        response = api("POST", "/api/purchase", token, {
            "product_id": product.pk, "recipient_phone": sample_mobile(country, NETWORK[country], 3),
            "customer_number": "04223568280", "amount": to_decimal_string(product.min_amount_minor * 2,
                                                                           product.currency)},
            host=SITES[country][1])
        assert response.status_code == 202, (country, response.content)
        placed[country] = (user, token, response.json(), product)
    prepaid = 0
    for country, (user, token, body, product) in placed.items():
        order = _settled(country, body)
        assert order.status == "settled", (country, order.status)
        receipt = api("GET", f"/api/purchases/{body['id']}", token, host=SITES[country][1]).json()
        if product.variation == "prepaid":
            prepaid += 1
            assert len(receipt["token"].replace("-", "")) == 20 and receipt["units"].endswith("kWh"), country
        assert receipt["provider_fx"]["currency"] == "USD"
        assert_books(user, 10_000_000 - order.price_minor, SITES[country][0])
    assert prepaid >= 10


def test_with_the_first_provider_down_every_country_fails_over_to_the_second(world, live_db):
    world.reloadly.stop()  # connection refused: nothing sent, so the order may move on
    placed = {country: _buy(world, country, 2) for country in sorted(COUNTRIES)}
    for country, (user, token, body) in placed.items():
        order = _settled(country, body)
        assert order.status == "settled", (country, order.status)
        first, second = attempts(order, SITES[country][0])
        assert (first.plugin_key, first.status, second.plugin_key, second.status) == (
            "aggregator", "failed", "dtone", "succeeded"), country
        assert world.dtone.delivery_count(second.request_id) == 1
        charged = int(second.quote["price_minor"])  # DT One's own price: never more than the hold
        assert charged <= order.price_minor
        receipt = api("GET", f"/api/purchases/{body['id']}", token, host=SITES[country][1]).json()
        assert receipt["status"] == "delivered" and receipt["provider_fx"]["currency"] == "USD", country
        assert_books(user, 10_000_000 - charged, SITES[country][0])

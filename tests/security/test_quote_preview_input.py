"""``GET /api/pricing/quote?product_id=`` reads its product like a purchase does: a number, of the tenant's country.

Found from outside (undeclared query parameters are never fuzzed: the schema does not list them):

* ``product_id=abc`` (or ``1.5``, ``١``) answered 500: the view filtered on the raw text (``ValueError`` from the
  ORM). Now 404 ``unknown_product``, like an id that does not exist.
* any staff member of any tenant (a reseller's support included) could quote a product of ANOTHER country: the
  breakdown shows its provider cost and the head office's routing (a Ghanaian product's cost on quickvend, a
  Nigerian reseller). A purchase refuses such a product (``active_product``); the preview now refuses it too (404).
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.inputs import build_world, error_of, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _quote(host: str, token: str, product_id: str, **extra: str):
    return Client(HTTP_HOST=host, raise_request_exception=False).get(
        "/api/pricing/quote", {"product_id": product_id, **extra}, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("product_id", ["abc", "1.5", "\u0661", "1e3", "-1", "99999999999999999999999", " "])
def test_a_product_id_that_is_not_a_number_is_unknown_not_a_server_error(world, product_id):
    response = _quote("ng.localhost", world.admin.token, product_id)
    assert response.status_code == 404, (product_id, response.status_code, response.content[:200])
    assert error_of(response)["code"] == "unknown_product"


def _ghanaian_product(world):
    from shared_apps.catalog.models import Product

    return Product.objects.create(provider=world.product.provider, provider_product_code="gh-quote-attack",
                                  product_type="airtime", name="MTN Ghana Airtime", country="GH", currency="GHS",
                                  operator="mtn", min_amount_minor=100, max_amount_minor=100_000, cost_rate_bp=9_100)


def test_staff_cannot_quote_another_countrys_product(world):
    gh_product = _ghanaian_product(world)
    for host, token in (("ng.localhost", world.admin.token), ("quickvend.localhost", world.reseller_admin.token),
                        ("quickvend.localhost", person("quickvend", "operator_support").token),
                        ("sn.localhost", person("sn", "operator_admin").token)):
        response = _quote(host, token, str(gh_product.pk))
        assert response.status_code == 404, (host, response.status_code, response.content[:200])
        assert error_of(response)["code"] == "unknown_product"
        assert b"cost_minor" not in response.content


def test_the_tenants_own_products_are_still_quoted(world):
    response = _quote("ng.localhost", world.admin.token, str(world.product.pk), amount="100")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["price_minor"] > 0 and body["currency"] == "NGN"
    response = _quote("quickvend.localhost", world.reseller_admin.token, str(world.product.pk), amount="100")
    assert response.status_code == 200, response.content[:300]

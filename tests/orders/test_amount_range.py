"""A purchase outside an open-amount product's range says what the range is, in the country's money format and
the reader's language (the API's ``message`` and ``fields.amount``, the portal's form, the USSD screen); it said
"The amount is outside this product's range." / "Out of range." and left the customer guessing."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from nexustop_dev.buyers import new_buyer
from tenant_apps.pricing.quotes import amount_range_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def sn_airtime(tenants):
    from shared_apps.catalog.models import Product
    from shared_apps.providers.services import provider_register

    provider = provider_register(name="Aggregator range", country="SN", plugin_key="aggregator",
                                 base_url="http://127.0.0.1:9", capabilities=["airtime"],
                                 credentials={"api_key": "k", "secret_key": "SK_range_test_secret_0123456789"})
    return Product.objects.create(provider=provider, provider_product_code="sn-air-range", product_type="airtime",
                                  name_en="Airtime", country="SN", currency="XOF", min_amount_minor=100,
                                  max_amount_minor=50_000, cost_rate_bp=9_700)


def _buy(token: str, product, amount: str, language: str):
    client = Client(HTTP_HOST="sn.localhost")
    return client.post("/api/purchase", json.dumps({"product_id": product.pk, "recipient_phone": "+221771234567",
                                                    "amount": amount}),
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                       HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(("language", "amount", "expected"), [
    ("fr", "60000", "De 100 CFA à 50 000 CFA."),
    ("pt", "50", "De 100 CFA a 50 000 CFA."),
    ("en", "60000", "From CFA 100 to CFA 50,000."),
])
def test_the_api_refusal_names_the_range(sn_airtime, language, amount, expected):
    _user, token = new_buyer(1_000_000, schema="sn", phone=f"+22177{uuid.uuid4().int % 10**7:07d}")
    answer = _buy(token, sn_airtime, amount, language)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid_amount" and error["fields"]["amount"] == [expected], error
    assert error["message"].endswith(" " + expected), error
    with schema_context("sn"):
        from tenant_apps.orders.models import Order

        assert not Order.objects.filter(product_id=sn_airtime.pk).exists()  # nothing half-written


def test_the_range_text_has_one_format_per_channel():
    with translation.override("en"):
        assert amount_range_text(low=5_000, high=5_000_000, currency="NGN") == "From ₦50.00 to ₦50,000.00."
        assert amount_range_text(low=5_000, high=5_000_000, currency="NGN", phone=True) == \
            "From NGN 50.00 to NGN 50,000.00."
        assert amount_range_text(low=0, high=None, currency="NGN") == "At least ₦0.01."
    with translation.override("pt"):
        assert amount_range_text(low=10_000, high=None, currency="CVE") == "Pelo menos 100,00 CVE."

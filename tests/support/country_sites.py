"""The 16 country operations as a customer meets them: each site's schema and domain, a verified customer with a
valid mobile number of that country (on a chosen network), an API client on the site's domain."""

from __future__ import annotations

import uuid

from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tests.support.numbers import sample_mobile
from tests.support.tenants import COUNTRY_TENANTS, TEST_TENANTS

# country -> (schema, domain)
SITES = {t.country: (t.schema, t.domain) for t in (*TEST_TENANTS, *COUNTRY_TENANTS) if t.kind == "country_operation"}
# A payment of about USD 2.5 in each currency, written with the currency's own decimals (a fraction where it has one).
AMOUNT = {"XOF": "1505", "GNF": "15005", "NGN": "1500.55", "GHS": "15.55", "GMD": "150.55", "LRD": "300.55",
          "SLE": "30.55", "CVE": "150.55", "MRU": "60.55"}
# Brand -> network key where a country keys it otherwise (Lonestar Cell MTN).
NETWORK_KEY = {("LR", "mtn"): "lonestar"}


def site_customer(country: str, network: str | None = None, *, funded: int = 0, role: str = "customer"):
    """A verified customer of ``country``'s site on ``network`` (else the first network with numbers), with
    ``funded`` minor units in the wallet (a test funding entry)."""
    from provider_plugins.interfaces.numbering import COUNTRIES
    from tenant_apps.accounts.models import User
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    numbered = [key for key, prefixes in COUNTRIES[country].networks.items() if prefixes]
    network = NETWORK_KEY.get((country, network or ""), network)
    network = network if network in numbered else numbered[0]
    with schema_context(SITES[country][0]):
        for variant in (uuid.uuid4().int % 10, *range(10)):
            phone = sample_mobile(country, network, variant)
            if not User.objects.filter(phone=phone).exists():
                break
        else:
            User.objects.filter(phone=phone).update(phone=None)
        user = User.objects.create_user(email=f"c-{uuid.uuid4().hex[:12]}@example.test", role=role,
                                        phone=phone, phone_verified_at=timezone.now())
        if funded:
            fund_wallet(wallet=wallet_for(user=user), amount=funded, reference=f"test-fund:{uuid.uuid4()}")
    return user


def site_client(user, country: str) -> APIClient:
    client = APIClient(HTTP_HOST=SITES[country][1])
    client.force_authenticate(user=user)
    return client

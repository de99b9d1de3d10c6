"""Helpers for wallet funding, transfers and webhooks (and the tests of other areas that move money)."""

from __future__ import annotations

import json
import random
import uuid

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

PHONE_PREFIX = {"ng": ("+234803", 7), "gh": ("+233244", 6), "sn": ("+22177", 7), "quickvend": ("+234803", 7)}
HOSTS = {"ng": "ng.localhost", "gh": "gh.localhost", "sn": "sn.localhost", "quickvend": "quickvend.localhost"}


def register_gateway(*, country: str, key: str, url: str, options: dict | None = None):
    from shared_apps.providers.services import provider_register
    from tenant_apps.wallet.demo import gateway_provider_spec

    return provider_register(**gateway_provider_spec(country=country, key=key, base_url=url, options=options))


def new_customer(schema: str = "ng", *, verified: bool = True, role: str = "customer"):
    from tenant_apps.accounts.models import User

    prefix, digits = PHONE_PREFIX[schema]
    phone = prefix + "".join(random.choices("0123456789", k=digits))
    with schema_context(schema):
        return User.objects.create_user(email=f"w-{uuid.uuid4().hex[:12]}@example.test", role=role, phone=phone,
                                        phone_verified_at=timezone.now() if verified else None,
                                        email_verified_at=timezone.now() if verified else None)


def client_for(user, schema: str = "ng") -> APIClient:
    client = APIClient(HTTP_HOST=HOSTS[schema])
    client.force_authenticate(user=user)
    return client


def post(client, path: str, data: dict, *, key: str | None = "auto"):
    headers = {}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex if key == "auto" else key
    return client.post(path, json.dumps(data), content_type="application/json", **headers)


def deliver(client, path: str, delivery: dict):
    """Replay one webhook the simulator recorded (signed headers and the raw body) into the app."""
    headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in delivery["headers"].items()
               if k.lower() != "content-type"}
    return client.post(path, delivery["body"], content_type="application/json", **headers)


def assert_books_balance(*schemas: str) -> None:
    """Every currency's postings sum to zero; every wallet's cached balance equals its postings; all entries balance."""
    from tenant_apps.wallet.selectors import ledger_discrepancies

    for schema in schemas or ("ng",):
        with schema_context(schema):
            with connection.cursor() as cursor:
                cursor.execute("SELECT currency, SUM(amount) FROM ledger_posting GROUP BY currency "
                               "HAVING SUM(amount) <> 0")
                assert cursor.fetchall() == []
            assert ledger_discrepancies() == []


def balance_of(user, schema: str = "ng") -> int:
    from tenant_apps.ledger.services import wallet_for

    with schema_context(schema):
        wallet = wallet_for(user=user, create=False)
        return wallet.wallet_balance if wallet else 0


def funding_entries(reference: str, schema: str = "ng") -> int:
    from tenant_apps.ledger.models import JournalEntry

    with schema_context(schema):
        return JournalEntry.objects.filter(entry_type="funding", reference__endswith=f":{reference}").count()


def verified_intent(user, *, asked_minor: int, paid_minor: int | None, paid_currency: str, gateway: str = "paystack"):
    """A wallet top-up of ``asked_minor`` NGN on ``ng`` whose gateway verification answered ``paid_minor``
    ``paid_currency`` (``funding_apply_verification``, as a webhook or poll would): the intent in whatever state that
    leaves. No gateway is called, so no provider row is needed (``provider_id`` 0)."""
    from provider_plugins.interfaces.common import OutcomeStatus
    from provider_plugins.interfaces.payments import PaymentVerification
    from tenant_apps.wallet.funding import funding_apply_verification
    from tenant_apps.wallet.models import FundingIntent

    with schema_context("ng"):
        intent = FundingIntent.objects.create(user=user, gateway=gateway, provider_id=0,
                                              reference=f"fund_{uuid.uuid4().hex[:24]}", amount_minor=asked_minor,
                                              currency="NGN")
        return funding_apply_verification(intent_id=intent.pk, verification=PaymentVerification(
            OutcomeStatus.SUCCESS, intent.gateway_reference, paid_minor, paid_currency))

"""Fixtures for wallet funding, transfers and webhooks: real simulators over HTTP, registry rows pointing at them."""

from __future__ import annotations

import itertools
import json
import random
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from provider_plugins.flutterwave.simulator import FlutterwaveSimulator
from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from provider_plugins.orange_money.simulator import OrangeMoneySimulator
from provider_plugins.paystack.simulator import PaystackSimulator
from tests.ledger.conftest import test_database_is_set_up  # noqa: F401  (committed-data tests need the test DB)

PHONE_PREFIX = {"ng": ("+234803", 7), "gh": ("+233244", 6), "sn": ("+22177", 7)}
HOSTS = {"ng": "ng.localhost", "gh": "gh.localhost", "sn": "sn.localhost"}


def register_gateway(*, country: str, key: str, url: str, options: dict | None = None):
    from shared_apps.providers.services import provider_register
    from tenant_apps.wallet.demo import gateway_provider_spec

    return provider_register(**gateway_provider_spec(country=country, key=key, base_url=url, options=options))


@pytest.fixture
def committed_gateway(live_db):
    """``register_gateway`` for tests that commit (``live_db``): the rows are disabled afterwards. A committed row
    left pointing at a stopped simulator answers later tests' (and, with --reuse-db, later sessions') calls with
    502 (seen: POST /api/wallet/virtual-account in tests/isolation/test_endpoint_attacks.py)."""
    from django.db import connection

    from shared_apps.providers.models import Provider, ProviderStatus

    rows: list[int] = []

    def register(**kwargs):
        row = register_gateway(**kwargs)
        rows.append(row.pk)
        return row

    yield register
    connection.set_schema_to_public()
    Provider.objects.filter(pk__in=rows).update(status=ProviderStatus.DISABLED)


def new_customer(schema: str = "ng", *, verified: bool = True, role: str = "customer"):
    from tenant_apps.accounts.models import User

    prefix, digits = PHONE_PREFIX[schema]
    phone = prefix + "".join(random.choices("0123456789", k=digits))
    with schema_context(schema):
        return User.objects.create_user(email=f"w-{uuid.uuid4().hex[:12]}@example.test", role=role, phone=phone,
                                        phone_verified_at=timezone.now() if verified else None)


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


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


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
        return wallet.balance if wallet else 0


def funding_entries(reference: str, schema: str = "ng") -> int:
    from tenant_apps.ledger.models import JournalEntry

    with schema_context(schema):
        return JournalEntry.objects.filter(entry_type="funding", reference__endswith=f":{reference}").count()


def _fresh_ids(sim):
    """Gateway ids are unique at a real gateway; a simulator restarts its counter, and committed rows of
    earlier runs (``--reuse-db``) remember old ids: start each simulator somewhere new."""
    sim._ids = itertools.count(random.randrange(10**9, 9 * 10**9))
    if hasattr(sim, "_nubans"):  # dedicated account numbers (Paystack): 10 digits
        sim._nubans = itertools.count(random.randrange(10**9, 9 * 10**9 - 10**6))
    return sim


@pytest.fixture
def paystack():
    with PaystackSimulator(transfer_delay=0.05) as sim:
        yield _fresh_ids(sim)


@pytest.fixture
def flutterwave():
    with FlutterwaveSimulator() as sim:
        yield _fresh_ids(sim)


@pytest.fixture
def ng_gateways(db, paystack, flutterwave):
    """NG registry rows (inside the test transaction) for Paystack and Flutterwave simulators."""
    register_gateway(country="NG", key="paystack", url=paystack.url)
    register_gateway(country="NG", key="flutterwave", url=flutterwave.url)
    return {"paystack": paystack, "flutterwave": flutterwave}


@pytest.fixture
def orange():
    with OrangeMoneySimulator() as sim:
        yield sim


@pytest.fixture
def momo():
    with MtnMomoSimulator(approve_delay=0.3) as sim:
        yield sim


@pytest.fixture(autouse=True)
def no_sms_by_default(settings):
    """Notifications are enqueued after commit; only test_notifications turns them on."""
    settings.WALLET_SMS_NOTIFICATIONS = False

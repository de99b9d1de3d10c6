"""Subscriptions fire on schedule (time frozen, beat service called directly) and pause on repeated
insufficient funds; the API creates, lists, pauses, resumes and cancels them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from freezegun import freeze_time

from tests.orders.helpers import assert_books

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def product(tenants):
    from shared_apps.catalog.models import Product
    from shared_apps.providers.services import provider_register

    provider = provider_register(name=f"Subs {uuid.uuid4().hex[:6]}", country="NG", plugin_key="vtpass",
                                 base_url="http://127.0.0.1:9", capabilities=["airtime"], routing_priority=1)
    return Product.objects.create(provider=provider, provider_product_code="mtn", product_type="airtime",
                                  name="MTN Airtime", country="NG", currency="NGN", operator="mtn",
                                  min_amount_minor=5_000, max_amount_minor=5_000_000, cost_rate_bp=9_700)


def _buyer(balance: int):
    from tenant_apps.accounts.models import User
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = User.objects.create_user(email=f"sub-{uuid.uuid4().hex[:10]}@example.test", role="customer",
                                    phone=f"+23480{uuid.uuid4().int % 10**8:08d}", phone_verified_at=timezone.now())
    if balance:
        fund_wallet(wallet=wallet_for(user=user), amount=balance, reference=f"fund-{uuid.uuid4().hex}")
    return user


def _orders(sub):
    from tenant_apps.orders.models import Order

    return list(Order.objects.filter(subscription_id=sub.pk).order_by("created_at"))


def test_daily_subscription_fires_on_schedule(product):
    from tenant_apps.subscriptions.services import subscription_create, subscriptions_run_due

    with schema_context("ng"), freeze_time(START) as clock:
        user = _buyer(1_000_000)
        sub = subscription_create(user=user, product_id=product.pk, frequency="daily",
                                  recipient_phone="08031230001", amount_minor=10_000)
        assert subscriptions_run_due() == {"bought": 1}
        assert subscriptions_run_due() == {}  # not due again today
        clock.move_to(START + timedelta(hours=23, minutes=59))
        assert subscriptions_run_due() == {}
        clock.move_to(START + timedelta(days=1, seconds=30))
        assert subscriptions_run_due() == {"bought": 1}
        sub.refresh_from_db()
        orders = _orders(sub)
        assert len(orders) == 2 and sub.runs_count == 2
        assert sub.next_run_at == START + timedelta(days=2)
        assert all(o.status == "held" and o.recipient_phone == "+2348031230001" for o in orders)
        # The same scheduled run is bought once, whatever happens (dedupe key per run).
        assert len({o.dedupe_key for o in orders}) == 2
        assert_books(user, 1_000_000 - sum(o.price_minor for o in orders))


def test_weekly_and_monthly_schedule_and_end_date(product):
    from tenant_apps.subscriptions.services import next_run_after, subscription_create, subscriptions_run_due

    jan31 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    feb = next_run_after(jan31, frequency="monthly", anchor_day=31)
    assert feb == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert next_run_after(feb, frequency="monthly", anchor_day=31) == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    assert next_run_after(jan31, frequency="weekly", anchor_day=31) == jan31 + timedelta(days=7)
    with schema_context("ng"), freeze_time(START) as clock:
        user = _buyer(1_000_000)
        sub = subscription_create(user=user, product_id=product.pk, frequency="weekly",
                                  recipient_phone="08031230002", amount_minor=10_000, end_date=date(2026, 3, 10))
        assert subscriptions_run_due() == {"bought": 1}
        clock.move_to(START + timedelta(days=7))
        assert subscriptions_run_due() == {"bought": 1}
        sub.refresh_from_db()
        assert sub.status == "ended" and sub.next_run_at is None  # 15 March is past the end date
        clock.move_to(START + timedelta(days=14))
        assert subscriptions_run_due() == {}
        assert len(_orders(sub)) == 2


def test_insufficient_funds_retries_then_pauses_with_an_sms(product, django_capture_on_commit_callbacks, settings):
    from provider_plugins.sms_gateway.simulator import SmsGatewaySimulator
    from tenant_apps.subscriptions.services import (
        subscription_create,
        subscription_notify_paused,
        subscriptions_run_due,
    )

    settings.SUBSCRIPTIONS_RETRY_SECONDS = 3600
    settings.SUBSCRIPTIONS_MAX_FAILURES = 3
    with schema_context("ng"), freeze_time(START) as clock:
        user = _buyer(0)
        sub = subscription_create(user=user, product_id=product.pk, frequency="daily",
                                  recipient_phone="08031230003", amount_minor=10_000)
        assert subscriptions_run_due() == {"retry": 1}
        assert subscriptions_run_due() == {}  # the retry waits an hour
        clock.move_to(START + timedelta(hours=1, seconds=1))
        assert subscriptions_run_due() == {"retry": 1}
        clock.move_to(START + timedelta(hours=2, seconds=2))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert subscriptions_run_due() == {"paused": 1}
        sub.refresh_from_db()
        assert (sub.status, sub.paused_reason, sub.failure_count) == ("paused", "insufficient_funds", 3)
        assert len(callbacks) == 1  # the SMS is enqueued, not sent inline
        clock.move_to(START + timedelta(days=3))
        assert subscriptions_run_due() == {}  # paused: nothing more
        assert _orders(sub) == []
        assert_books(user, 0)
    with SmsGatewaySimulator() as sms, schema_context("ng"):
        settings.SMS_GATEWAY = {**settings.SMS_GATEWAY, "BASE_URL": sms.url, "API_KEY": sms.api_key}
        subscription_notify_paused(subscription_id=sub.pk, reason="insufficient_funds")
        [message] = sms.messages(to=user.phone)
        assert "paused" in message["sms"] and "balance was too low" in message["sms"]


def _call(method: str, path: str, token: str, data=None, *, key: str | None = "auto"):
    client = Client(HTTP_HOST="ng.localhost")
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get(path, **headers)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex if key == "auto" else key
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def test_subscribing_takes_an_idempotency_key_like_every_money_post(product):
    """Issue 14: the same key twice made two subscriptions, each charging the wallet; no key was a 201."""
    import psycopg
    from django.db import connection

    from tenant_apps.accounts.tokens import tokens_for_user
    from tenant_apps.idempotency.services import _lock_id
    from tenant_apps.subscriptions.models import Subscription
    from tenant_apps.subscriptions.services import subscriptions_run_due

    with schema_context("ng"):
        user = _buyer(100_000)
        token, _ = tokens_for_user(user)
    body = {"product_id": product.pk, "frequency": "daily", "recipient_phone": "08031230005", "amount": "100.00"}
    missing = _call("POST", "/api/subscriptions", token, body, key=None)
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "idempotency_key_required")
    first = _call("POST", "/api/subscriptions", token, body, key="sub-key-1")
    again = _call("POST", "/api/subscriptions", token, body, key="sub-key-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotency-Replayed"] == "true"
    other = _call("POST", "/api/subscriptions", token, {**body, "frequency": "weekly"}, key="sub-key-1")
    assert (other.status_code, other.json()["error"]["code"]) == (422, "idempotency_key_reused")
    with schema_context("ng"):
        lock_id = _lock_id(user.pk, "sub-key-2")
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                         dbname=db["NAME"], autocommit=False) as twin:
        twin.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])  # a first request still running
        busy = _call("POST", "/api/subscriptions", token, body, key="sub-key-2")
        twin.rollback()
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "idempotency_in_flight")
    with schema_context("ng"):
        assert Subscription.objects.filter(user=user).count() == 1
        assert subscriptions_run_due() == {"bought": 1}  # one subscription: the wallet is charged once
        assert_books(user, 100_000 - _orders(Subscription.objects.get(user=user))[0].price_minor)


def test_subscription_api(product):
    from tenant_apps.accounts.tokens import tokens_for_user

    with schema_context("ng"):
        user = _buyer(100_000)
        token, _ = tokens_for_user(user)
    created = _call("POST", "/api/subscriptions", token, {
        "product_id": product.pk, "frequency": "monthly", "recipient_phone": "08031230004", "amount": "100.00"})
    assert created.status_code == 201, created.content
    sub_id = created.json()["id"]
    assert created.json()["status"] == "active" and created.json()["amount"] == "100.00"
    bad = _call("POST", "/api/subscriptions", token, {
        "product_id": product.pk, "frequency": "hourly", "recipient_phone": "08031230004", "amount": "100.00"})
    assert bad.status_code == 400
    glo = _call("POST", "/api/subscriptions", token, {
        "product_id": product.pk, "frequency": "daily", "recipient_phone": "08051234567", "amount": "100.00"})
    assert glo.status_code == 400 and glo.json()["error"]["code"] == "recipient_network_mismatch"
    listing = _call("GET", "/api/subscriptions", token).json()
    assert [s["id"] for s in listing["results"]] == [sub_id]
    assert _call("POST", f"/api/subscriptions/{sub_id}/pause", token).json()["status"] == "paused"
    again = _call("POST", f"/api/subscriptions/{sub_id}/pause", token)
    assert again.status_code == 409
    assert _call("POST", f"/api/subscriptions/{sub_id}/resume", token).json()["status"] == "active"
    assert _call("POST", f"/api/subscriptions/{sub_id}/cancel", token).json()["status"] == "cancelled"
    with schema_context("ng"):
        other = _buyer(0)
        other_token, _ = tokens_for_user(other)
    assert _call("GET", f"/api/subscriptions/{sub_id}", other_token).status_code == 404


def test_a_suspended_tenants_subscriptions_wait_for_its_reactivation(product):
    """A suspended tenant's domain refuses everyone (its customers cannot sign in to pause or cancel), yet the beat
    went on buying its subscriptions: wallets charged, a reseller's float drawn, providers called. They wait now;
    after the reactivation the due run is bought once (missed periods are skipped, as when the beat was down)."""
    from tenant_apps.subscriptions.services import subscription_create, subscriptions_run_due_all_tenants
    from tenants.models import Tenant
    from tenants.services import tenant_reactivate, tenant_suspend

    ng = Tenant.objects.get(schema_name="ng")
    with freeze_time(START) as clock:
        with schema_context("ng"):
            sub = subscription_create(user=_buyer(1_000_000), product_id=product.pk, frequency="daily",
                                      recipient_phone="08031230001", amount_minor=10_000)
        tenant_suspend(tenant=ng, reason="unpaid fees")
        clock.move_to(START + timedelta(days=2, minutes=1))
        assert "ng" not in subscriptions_run_due_all_tenants()
        with schema_context("ng"):
            assert _orders(sub) == []
        tenant_reactivate(tenant=ng)
        assert subscriptions_run_due_all_tenants()["ng"] == {"bought": 1}
        with schema_context("ng"):
            sub.refresh_from_db()
            assert len(_orders(sub)) == 1 and sub.next_run_at == START + timedelta(days=3)

"""Webhooks and verifications racing on one payment (real commits, threads with their own connections)."""

from __future__ import annotations

import threading

from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.wallet.models import FundingIntent, WebhookEvent
from tests.wallet.helpers import (
    assert_books_balance,
    balance_of,
    client_for,
    deliver,
    funding_entries,
    new_customer,
    post,
)


def race(callables) -> list[object]:
    barrier = threading.Barrier(len(callables))
    results: list[object] = [None] * len(callables)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = callables[index]()
        except Exception as exc:  # asserted on below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(callables))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_ten_webhooks_racing_verifications_credit_once(committed_gateway, paystack):
    committed_gateway(country="NG", key="paystack", url=paystack.url)
    user = new_customer()
    answer = post(client_for(user), "/api/wallet/fund", {"amount": "300.00", "gateway": "paystack"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    paystack.complete(body["reference"])
    [webhook] = paystack.deliveries[-1:]

    def webhook_call():
        return deliver(Client(HTTP_HOST="ng.localhost"), "/webhook/paystack", webhook).status_code

    def verification_call():
        return client_for(user).get(f"/api/wallet/fund/{body['id']}").json()["status"]

    # 10 deliveries of the same webhook interleaved with 5 returns of the customer (each verifies).
    calls = [webhook_call] * 10 + [verification_call] * 5
    results = race(calls[::2] + calls[1::2])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(set(r for r in results if isinstance(r, int))) == [200]
    assert set(r for r in results if isinstance(r, str)) <= {"pending", "succeeded"}
    assert funding_entries(body["reference"]) == 1
    assert balance_of(user) == 30_000
    with schema_context("ng"):
        assert FundingIntent.objects.get(public_id=body["id"]).status == "succeeded"
        assert WebhookEvent.objects.filter(provider="paystack", subject=body["reference"]).count() == 1
    assert_books_balance("ng")

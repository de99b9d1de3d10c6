"""Purchases end to end through the real stack: HTTP API -> hold -> outbox -> Celery worker -> simulator.

Every test checks the books (ledger balanced per currency, wallet == its postings == expected) and the
simulator's own delivery record (exactly one fulfilment, or none).
"""

from __future__ import annotations

from django_tenants.utils import schema_context

from tests.ledger.conftest import test_database_is_set_up  # noqa: F401  (creates the test DB for live_db)
from tests.orders.helpers import (
    assert_books,
    attempts,
    buy,
    new_buyer,
    transitions,
    wait_final,
    wait_for,
    webhook,
)

FUNDS = 1_000_000  # 10 000.00 NGN


def _price(response) -> int:
    return int(round(float(response.json()["price"]) * 100))


def test_success_settles_once(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="100.00")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "processing"
    price = _price(response)
    assert price == 10_000 - 300 + round((10_000 - 300) * 0.02) or price > 0
    order = wait_final(body["id"])
    assert order.status == "settled"
    assert transitions(order) == [("", "created"), ("created", "held"), ("held", "submitted"),
                                  ("submitted", "succeeded"), ("succeeded", "settled")]
    [attempt] = attempts(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert order.provider_reference
    assert_books(user, FUNDS - price)
    # The receipt says so plainly.
    from tests.orders.helpers import api

    receipt = api("GET", f"/api/purchases/{body['id']}", token).json()
    assert receipt["status"] == "delivered" and receipt["provider_reference"] == order.provider_reference


def test_definite_failure_everywhere_refunds(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone("9990"), amount="150.00")
    assert response.status_code == 202, response.content
    order = wait_final(response.json()["id"])
    assert order.status == "released"
    tried = attempts(order)
    # VTPass failed definitely -> failed over to MTN, which failed definitely too -> refund.
    assert [a.plugin_key for a in tried] == ["vtpass", "mtn"]
    assert all(a.status == "failed" for a in tried)
    assert stack.vtpass.delivery_count(tried[0].request_id) == 0
    assert stack.mtn.delivery_count(tried[1].request_id) == 0
    assert ("failed", "released") in transitions(order)
    assert_books(user, FUNDS)
    sms = wait_for(lambda: stack.sms.messages(to=user.phone), what="refund SMS")
    assert "back in your wallet" in sms[0]["sms"]


def test_pending_then_requery_then_success(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="200.00")
    assert response.status_code == 202
    order = wait_final(response.json()["id"])
    assert order.status == "settled"
    steps = transitions(order)
    assert ("submitted", "pending") in steps and ("pending", "succeeded") in steps
    [attempt] = attempts(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - _price(response))


def test_pending_then_webhook_then_success(live_db, stack):
    stack.vtpass.pending_requeries = 10_000  # requeries keep saying pending: only the webhook can finish it
    try:
        user, token = new_buyer(FUNDS)
        response = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="250.00")
        order_id = response.json()["id"]
        order = wait_final(order_id, statuses={"pending"})
        [attempt] = attempts(order)
        stack.vtpass.resolve_pending(attempt.request_id)
        body, headers = stack.vtpass.build_callback(attempt.request_id)
        answer = webhook("/webhook/vtpass", body, headers)
        assert answer.status_code == 200 and answer.json() == {"response": "success"}
        order = wait_final(order_id)
        assert order.status == "settled"
        with schema_context("ng"):
            from tenant_apps.orders.models import OrderTransition

            settled_by = OrderTransition.objects.get(order_id=order.pk, to_status="succeeded").source
        assert settled_by in ("webhook+requery", "requery")
        assert stack.vtpass.delivery_count(attempt.request_id) == 1
        assert_books(user, FUNDS - _price(response))
    finally:
        stack.vtpass.pending_requeries = 1


def test_unsigned_vtpass_webhook_is_confirmed_by_requery(live_db, stack):
    """A forged 'delivered' callback for a pending order changes nothing: the requery says pending."""
    stack.vtpass.pending_requeries = 10_000
    try:
        user, token = new_buyer(FUNDS)
        response = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="260.00")
        order = wait_final(response.json()["id"], statuses={"pending"})
        [attempt] = attempts(order)
        txn = stack.vtpass.transactions[attempt.request_id]
        body = stack.vtpass._txn_body(txn)
        body["content"]["transactions"]["status"] = "delivered"
        import json

        forged = json.dumps({"type": "transaction-update", "data": body}).encode()
        assert webhook("/webhook/vtpass", forged, {}).status_code == 200
        order = wait_final(response.json()["id"], statuses={"pending"})
        assert stack.vtpass.delivery_count(attempt.request_id) == 0
        stack.vtpass.resolve_pending(attempt.request_id)
        order = wait_final(response.json()["id"], timeout=20)
        assert order.status == "settled"
        assert stack.vtpass.delivery_count(attempt.request_id) == 1
        assert_books(user, FUNDS - _price(response))
    finally:
        stack.vtpass.pending_requeries = 1


def test_timeout_then_late_success_never_fails_over(live_db, stack):
    """VTPass acts, then hangs past our timeout: pending (not failed), requery finds it delivered."""
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone("9992"), amount="300.00")
    order = wait_final(response.json()["id"], timeout=20)
    assert order.status == "settled"
    [attempt] = attempts(order)  # never failed over on an unclear answer
    assert attempt.plugin_key == "vtpass"
    assert ("submitted", "pending") in transitions(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert not any(d.recipient.endswith(order.recipient_phone[-10:]) for d in stack.mtn.deliveries)
    assert_books(user, FUNDS - _price(response))


def test_definite_failure_fails_over_to_next_provider(live_db, stack):
    from provider_plugins.interfaces.simulator import FaultMode

    user, token = new_buyer(FUNDS)
    stack.vtpass.set_fault(FaultMode.FAILURE, times=1)
    try:
        response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="120.00")
        order = wait_final(response.json()["id"])
    finally:
        stack.vtpass.clear_fault()
    assert order.status == "settled"
    first, second = attempts(order)
    assert (first.plugin_key, first.status, second.plugin_key, second.status) == (
        "vtpass", "failed", "mtn", "succeeded")
    assert stack.vtpass.delivery_count(first.request_id) == 0
    assert stack.mtn.delivery_count(second.request_id) == 1
    assert ("failed", "submitted") in transitions(order)
    assert_books(user, FUNDS - _price(response))


def test_insufficient_funds_writes_nothing(live_db, stack):
    user, token = new_buyer(5_000)
    response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="100.00")
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    with schema_context("ng"):
        from tenant_apps.orders.models import Order

        assert not Order.objects.filter(user=user).exists()
    assert_books(user, 5_000)

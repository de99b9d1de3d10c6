"""Webhooks in any order and any number of times, late answers, and recovery of stranded orders."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.connection import current_schema
from tests.orders.helpers import (
    assert_books,
    attempts,
    buy,
    new_buyer,
    order_row,
    requeried,
    submitted,
    transitions,
    wait_final,
    wait_for,
    webhook,
)

FUNDS = 1_000_000


def _price(response) -> int:
    from tenant_apps.ledger.currency import to_minor

    return to_minor(response.json()["price"], "NGN")


def _source_of(order, to_status: str) -> list[str]:
    from tenant_apps.orders.models import OrderTransition

    with schema_context("ng"):
        return list(OrderTransition.objects.filter(order_id=order.pk, to_status=to_status)
                    .values_list("source", flat=True))


def test_dtone_callback_before_the_submit_returns(live_db, stack):
    """DT One acts, then takes two seconds to answer; its (unsigned) callback lands first and, once a
    status lookup confirms it, settles the order."""
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["dt_data"], stack.phone("9992"))
    assert response.status_code == 202, response.content
    order_id = response.json()["id"]
    attempt = wait_for(lambda: (a := attempts(order_row(order_id))) and a[0].request_id in stack.dtone.by_external_id
                       and stack.dtone.by_external_id[a[0].request_id].status == "COMPLETED" and a[0],
                       what="the DT One transaction")
    body, headers = stack.dtone.build_callback(attempt.request_id)
    answer = webhook("/webhook/dtone", body, headers)
    assert answer.status_code == 200, answer.content
    order = order_row(order_id)
    assert order.status == "settled"  # settled by the callback while the submit was still waiting
    assert _source_of(order, "succeeded") == ["webhook+requery"]  # the callback verified by a requery (issue 14)
    assert order.receipt_details["fx"]["currency"] == "USD"  # DT One charged our USD account: rate on the receipt
    # The submit's own answer arrives when DT One stops hanging (2 s after acting) and changes nothing. Waited for,
    # not slept: the dispatcher archives a batch's exchanges as it begins settling it, then applies the answer
    # under the order's row lock (taken here too: a settlement under way is waited for).
    from tenant_apps.orders.models import Order
    from tenant_apps.provider_archive.models import ProviderExchange

    def late_answer_received() -> bool:
        with schema_context("ng"):
            return ProviderExchange.objects.filter(attempt_ref=attempt.request_id, operation="purchase").exists()

    wait_for(late_answer_received, timeout=stack.dtone.hang_seconds + 15, what="the submit's own late answer")
    with schema_context("ng"), transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).first()
    assert transitions(order).count(("succeeded", "settled")) == 1
    assert stack.dtone.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - _price(response))


def test_duplicate_forged_and_cross_provider_callbacks(live_db, stack, caplog):
    import json

    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["dt_data"], stack.phone())
    order = wait_final(response.json()["id"])
    assert order.status == "settled"
    [attempt] = attempts(order)
    before = transitions(order)
    body, headers = stack.dtone.build_callback(attempt.request_id)
    for _ in range(3):  # duplicates
        assert webhook("/webhook/dtone", body, headers).status_code == 200
    assert transitions(order) == before
    forged = json.loads(body)
    # Unsigned, so a forged "declined" is only a hint: the status lookup says COMPLETED, nothing moves.
    forged["status"] = {"id": 90000, "message": "DECLINED", "class": {"id": 9, "message": "DECLINED"}}
    assert webhook("/webhook/dtone", json.dumps(forged).encode(), headers).status_code == 200
    assert transitions(order) == before
    # A callback naming another DT One transaction id than the one DT One gave us is refused.
    with caplog.at_level(logging.WARNING):
        other_id = {**forged, "id": forged["id"] + 999}
        assert webhook("/webhook/dtone", json.dumps(other_id).encode(), headers).status_code == 400
    assert "provider reference" in caplog.text
    # A signed-looking callback naming another recipient is refused too.
    other = {**json.loads(body), "credit_party_identifier": {"mobile_number": "+2348039999999"}}
    assert webhook("/webhook/dtone", json.dumps(other).encode(), headers).status_code == 400
    assert order_row(order.public_id).status == "settled"
    assert stack.dtone.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - _price(response))


def test_a_callback_cannot_touch_another_providers_attempt(live_db, stack):
    """A DT One-shaped callback naming a VTPass attempt's request id finds nothing: a callback only
    reaches attempts sent to that same provider."""
    import json

    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="110.00")
    order_id = response.json()["id"]
    attempt = wait_for(lambda: (a := attempts(order_row(order_id))) and a[0].status != "submitting" and a[0],
                       what="the VTPass attempt")
    before = transitions(order_row(order_id))
    forged = {"id": 8100999999, "external_id": attempt.request_id,
              "status": {"id": 90000, "message": "DECLINED", "class": {"id": 9, "message": "DECLINED"}},
              "credit_party_identifier": {"mobile_number": order_row(order_id).recipient_phone}}
    answer = webhook("/webhook/dtone", json.dumps(forged).encode(), {})
    assert answer.status_code == 200  # acknowledged (DT One would otherwise retry) but applied to nothing
    assert transitions(order_row(order_id)) == before
    assert ("failed" not in [to for _, to in transitions(order_row(order_id))])
    order = wait_final(order_id)
    assert order.status == "settled" and [a.plugin_key for a in attempts(order)] == ["vtpass"]
    assert_books(user, FUNDS - _price(response))


def test_late_reversal_after_success_refunds_and_tells_the_reseller_hooks_once(live_db, stack, monkeypatch):

    from provider_plugins.vtpass import protocol as p
    from tenant_apps.agents import sales

    received = []
    reversed_hook = sales.sale_reversed

    def on_reversed(*, sale):
        received.append((sale.reference, sale.quote["price_minor"], current_schema()))
        reversed_hook(sale=sale)

    monkeypatch.setattr(sales, "sale_reversed", on_reversed)
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="100.00")
    order = wait_final(response.json()["id"])
    assert order.status == "settled"
    [attempt] = attempts(order)
    stack.vtpass.transactions[attempt.request_id].status = p.REVERSED
    body, headers = stack.vtpass.build_callback(attempt.request_id)
    for _ in range(2):  # twice: refunded once, the hook called once
        assert webhook("/webhook/vtpass", body, headers).status_code == 200
    order = order_row(order.public_id)
    assert order.status == "reversed"
    assert received == [(str(order.public_id), order.price_minor, "ng")]
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS)


def test_late_success_after_refund_charges_again(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["dt_data"], stack.phone("9990"))
    order = wait_final(response.json()["id"])
    assert order.status == "released"
    assert_books(user, FUNDS)
    [attempt] = attempts(order)
    txn = stack.dtone.by_external_id[attempt.request_id]
    assert txn.status.startswith("DECLINED")
    txn.status = "SUBMITTED"  # the operator's "declined" was wrong: it delivers after all
    stack.dtone.complete(attempt.request_id, "COMPLETED")
    body, headers = stack.dtone.build_callback(attempt.request_id)
    assert webhook("/webhook/dtone", body, headers).status_code == 200
    assert webhook("/webhook/dtone", body, headers).status_code == 200
    order = order_row(order.public_id)
    assert order.status == "settled" and ("released", "settled") in transitions(order)
    assert stack.dtone.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - order.price_minor)


def test_dtone_reversal_after_success_refunds_once(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["dt_airtime"], stack.phone(), amount="250.00")
    order = wait_final(response.json()["id"])
    assert order.status == "settled"
    [attempt] = attempts(order)
    stack.dtone.reverse(attempt.request_id)
    body, headers = stack.dtone.build_callback(attempt.request_id)
    for _ in range(2):  # twice: refunded once
        assert webhook("/webhook/dtone", body, headers).status_code == 200
    order = order_row(order.public_id)
    assert order.status == "reversed"
    assert_books(user, FUNDS)


def _stranded_order(user, product, phone, *, amount=None, lease_seconds: float = 30.0):
    """Hold + outbox committed, and the outbox row claimed (leased) by a dispatcher that died at once: the
    module's running dispatcher leaves it alone until the lease runs out or the sweeper hands it back."""
    from tenant_apps.orders.models import OrderOutbox
    from tenant_apps.orders.services.create import purchase_create
    from tests.orders.helpers import order_tasks_swallowed

    with order_tasks_swallowed(), schema_context("ng"), transaction.atomic():
        order = purchase_create(user=user, product_id=product.pk, recipient_phone=phone, amount_minor=amount)
        OrderOutbox.objects.filter(order=order).update(claimed_until=timezone.now() + timedelta(seconds=lease_seconds))
        return order


def _sweep_later():
    from django.conf import settings

    from tenant_apps.orders.services.sweep import orders_sweep

    with schema_context("ng"):
        return orders_sweep(now=timezone.now() + timedelta(seconds=settings.ORDERS_OUTBOX_STALE_SECONDS + 1))


def test_worker_lost_between_hold_and_submit_sweeper_finishes(live_db, stack):
    user, _ = new_buyer(FUNDS)
    order = _stranded_order(user, stack.products["vt_airtime"], stack.phone(), amount=10_000)
    import time

    time.sleep(0.5)
    assert order_row(order.public_id).status == "held"  # nobody is going to submit it...
    assert _sweep_later()["resubmitted"] >= 1  # ...until the sweeper hands the lapsed lease back
    order = wait_final(order.public_id)
    assert order.status == "settled"
    [attempt] = attempts(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    with schema_context("ng"):
        from tenant_apps.orders.models import OrderOutbox

        assert not OrderOutbox.objects.filter(order_id=order.pk).exists()
    assert_books(user, FUNDS - order.price_minor)


def test_worker_killed_after_the_provider_call_never_buys_twice(live_db, stack):
    """A dispatcher committed the attempt, called VTPass (which delivered) and died before recording it:
    after its lease the retry sends the same request id, VTPass answers 'already used', the requery settles."""
    from tenant_apps.orders.dispatch.batch import _calls, run_coroutine
    from tenant_apps.orders.dispatch.claims import claim_batch

    user, _ = new_buyer(FUNDS)
    order = _stranded_order(user, stack.products["vt_airtime"], stack.phone(), amount=12_000)
    with schema_context("ng"):
        [claimed] = claim_batch(limit=1, lease_seconds=30, order_ids=[order.pk]).items  # step 1, committed
        run_coroutine(_calls([claimed]))  # step 2: delivered at the provider; step 3 never happens
    attempt, outcome = claimed.attempt, claimed.outcome
    assert outcome is not None and outcome.status == "success"
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert order_row(order.public_id).status == "submitted"
    _sweep_later()
    order = wait_final(order.public_id)
    assert order.status == "settled"
    assert [a.request_id for a in attempts(order)] == [attempt.request_id]
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - order.price_minor)


def test_unknown_request_id_is_pending_until_the_grace_period(live_db, stack, settings):
    """VTPass 015 (never received) stays pending inside the grace period; after it, it is a definite
    failure, so the order fails over to MTN, which delivers."""
    from tenant_apps.orders.models import Order
    from tenant_apps.orders.services._helpers import _record, _start_attempt
    from tests.orders.helpers import order_tasks_swallowed

    user, _ = new_buyer(FUNDS)
    order = _stranded_order(user, stack.products["vt_airtime"], stack.phone(), amount=13_000)
    with order_tasks_swallowed(), schema_context("ng"):
        with transaction.atomic():
            locked = Order.objects.select_for_update().select_related("user").get(pk=order.pk)
            _start_attempt(locked, now=timezone.now(), source="submit")
            _record(locked, "pending", reason="test: submit lost", source="test")
            locked.save()
        assert requeried(order.pk).status == "pending"  # 015 inside the grace
        settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS = 0
        assert requeried(order.pk).status == "submitted"
    first, second = attempts(order)
    assert (first.plugin_key, first.status, first.reason, second.plugin_key) == (
        "vtpass", "failed", "not_received_by_provider", "dtone")
    # The fail-over made the outbox row ready again (no lease): the running dispatcher sends it at once.
    order = wait_final(order.public_id)
    assert order.status == "settled"
    assert stack.vtpass.delivery_count(first.request_id) == 0
    assert stack.dtone.delivery_count(second.request_id) == 1
    assert_books(user, FUNDS - int(second.quote["price_minor"]))  # DT One's own (lower) price


def test_pending_past_the_bound_goes_to_manual_review_never_failed(live_db, stack, settings):
    """An order the provider keeps calling pending is never auto-failed: it waits, held, for staff."""
    from tenant_apps.orders.models import Order
    from tenant_apps.orders.selectors import orders_for_review
    from tenant_apps.orders.services.requery import order_resolve_manually
    from tests.orders.helpers import order_tasks_swallowed

    stack.vtpass.pending_requeries = 10_000
    user, _ = new_buyer(FUNDS)
    order = _stranded_order(user, stack.products["vt_airtime"], stack.phone("9991"), amount=11_000)
    try:
        with order_tasks_swallowed(), schema_context("ng"):  # this test drives every step itself
            assert submitted(order.pk).status == "pending"
            settings.ORDERS_REQUERY_MAX = 2
            assert requeried(order.pk).status == "pending"
            assert requeried(order.pk).status == "manual_review"
            assert order.pk in {o.pk for o in orders_for_review()}
            held = Order.objects.select_related("hold").get(pk=order.pk)
            assert held.wallet_hold.status == "placed" and held.needs_review
        assert_books(user, FUNDS - order.price_minor)  # still held, not refunded, not settled
        [attempt] = attempts(order)
        stack.vtpass.resolve_pending(attempt.request_id)  # staff checked the provider's statement
        with order_tasks_swallowed(), schema_context("ng"):
            resolved = order_resolve_manually(order=Order.objects.get(pk=order.pk), delivered=True,
                                              note="VTPass statement shows delivered")
        assert resolved.status == "settled"
        assert stack.vtpass.delivery_count(attempt.request_id) == 1
        assert_books(user, FUNDS - order.price_minor)
    finally:
        stack.vtpass.pending_requeries = 1


def test_aggregator_signed_webhook_in_ghana(live_db, stack, caplog):
    """GH tenant, aggregator plugin: a pending top-up finished by its signed webhook; replays and forgeries
    change nothing."""
    from tests.orders.helpers import api

    stack.aggregator.pending_requeries = 10_000
    try:
        user, token = new_buyer(100_000, schema="gh")
        phone = "024123" + stack.phone("9991")[-4:]
        response = api("POST", "/api/purchase", token, {"product_id": stack.products["gh_airtime"].pk,
                                                         "recipient_phone": phone, "amount": "10.00"},
                       host="gh.localhost")
        assert response.status_code == 202, response.content
        order = wait_final(response.json()["id"], statuses={"pending"}, schema="gh")
        [attempt] = attempts(order, schema="gh")
        stack.aggregator.resolve_pending(attempt.request_id)
        with caplog.at_level(logging.WARNING):
            forged_body, forged_headers = stack.aggregator.build_callback(attempt.request_id, bad_signature=True)
            assert webhook("/webhook/aggregator", forged_body, forged_headers, host="gh.localhost").status_code == 401
        assert "bad signature" in caplog.text
        body, headers = stack.aggregator.build_callback(attempt.request_id)
        for _ in range(2):
            assert webhook("/webhook/aggregator", body, headers, host="gh.localhost").status_code == 200
        order = order_row(order.public_id, schema="gh")
        # The webhook is verified by a requery (issue 14), which races the worker's own scheduled requery.
        assert order.status == "settled" and _source_of_gh(order) in (["webhook+requery"], ["requery"])
        assert stack.aggregator.delivery_count(attempt.request_id) == 1
        assert_books(user, 100_000 - order.price_minor, schema="gh")
    finally:
        stack.aggregator.pending_requeries = 1


def _source_of_gh(order) -> list[str]:
    from tenant_apps.orders.models import OrderTransition

    with schema_context("gh"):
        return list(OrderTransition.objects.filter(order_id=order.pk, to_status="succeeded")
                    .values_list("source", flat=True))

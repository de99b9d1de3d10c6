"""The demo history (tenant_apps.orders.demo) ends in final states: an order its provider answered "pending" (DT One
confirms asynchronously and calls back a web server that does not run while seeding) is asked again minutes later
in the history's clock, and settled or refunded then, in the past, without a text. It used to stay pending until
the first ``make run`` worker asked a restarted simulator that no longer knew it and refunded it weeks late."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context
from freezegun import freeze_time

from tests.orders.helpers import buy, new_buyer, order_row, submitted

FUNDS = 1_000_000


def test_a_pending_answer_ends_settled_in_the_past(live_db, quiet_stack):
    from tenant_apps.orders.demo import finish_pending
    from tenant_apps.orders.models import Order

    _user, token = new_buyer(FUNDS)
    response = buy(token, quiet_stack.products["dt_data"], quiet_stack.phone())
    assert response.status_code == 202, response.content
    public_id = response.json()["id"]
    with schema_context("ng"):
        order = submitted(order_row(public_id).pk)
        assert order.status == "pending"  # DT One confirmed; its completion comes by callback or requery
        at = timezone.now() - timedelta(days=20)
        Order.objects.filter(pk=order.pk).update(created_at=at)
        with freeze_time(at, tick=True) as clock:
            assert finish_pending(order.pk, at=at, clock=clock) == "settled"
        order.refresh_from_db()
    assert order.status == "settled" and order.next_requery_at is None and order.final_at is not None
    assert at < order.final_at < at + timedelta(hours=1)  # dated in the history, not at the seeding's "now"


def test_an_answer_the_provider_never_recorded_is_refunded_in_the_past(live_db, quiet_stack):
    from tenant_apps.orders.demo import finish_pending
    from tenant_apps.orders.models import Order

    _user, token = new_buyer(FUNDS)
    response = buy(token, quiet_stack.products["dt_data"], quiet_stack.phone())
    public_id = response.json()["id"]
    with schema_context("ng"):
        order = submitted(order_row(public_id).pk)
        assert order.status == "pending"
        attempt = order.attempts.get()
        txn = quiet_stack.dtone.by_external_id.pop(attempt.request_id)  # a restarted simulator: never heard of it
        quiet_stack.dtone.transactions.pop(txn.id)
        at = timezone.now() - timedelta(days=20)
        Order.objects.filter(pk=order.pk).update(created_at=at)
        order.attempts.update(created_at=at)
        with freeze_time(at, tick=True) as clock:
            assert finish_pending(order.pk, at=at, clock=clock) == "released"
        order.refresh_from_db()
    assert order.final_at is not None and at < order.final_at < at + timedelta(hours=1)

"""Issue 14: a fail-over attempt gets its own fresh requery schedule (the order state machine).

An order that no provider ever received held the customer's money for half an hour: the second
provider's attempt inherited the first attempt's requery count, so its first requery came at the
longest backoff step instead of the first one.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tests.orders.helpers import assert_books, attempts, new_buyer, requeried, submitted

FUNDS = 500_000


def test_a_failover_attempt_gets_its_own_fresh_requery_schedule(db, inproc_stack, settings):
    from tenant_apps.orders import services

    backoff = settings.ORDERS_REQUERY_BACKOFF_SECONDS
    assert backoff[0] < backoff[4]  # the attack needs the steps to differ
    settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS = 3600
    user, _ = new_buyer(FUNDS)
    phone = inproc_stack.phone("9993")  # both providers answer 503 without acting: nobody ever receives it
    with schema_context("ng"):
        order = services.purchase_create(user=user, product_id=inproc_stack.products["vt_airtime"].pk,
                                         recipient_phone=phone, amount_minor=10_000)
        order = submitted(order.pk)
        assert (order.status, order.requery_count) == ("pending", 0)
        for _ in range(4):  # VTPass: "unknown request id" inside the grace, pending
            order = requeried(order.pk)
        assert (order.status, order.requery_count) == ("pending", 4)

        settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS = 0  # now "never received" is a definite failure
        order = requeried(order.pk)
        assert order.status == "submitted" and order.attempt_count == 2  # failed over to DT One
        assert (order.requery_count, order.next_requery_at) == (0, None)

        sent_at = timezone.now()
        order = submitted(order.pk)  # DT One: 503, pending
        assert (order.status, order.requery_count) == ("pending", 0)
        # The first requery of the new attempt comes at the FIRST backoff step, not the fifth.
        assert order.next_requery_at is not None
        assert order.next_requery_at <= sent_at + timedelta(seconds=backoff[0] + 1)

        order = requeried(order.pk)  # DT One never received it either: refunded
        assert order.status == "released"
    first, second = attempts(order)
    assert (first.plugin_key, second.plugin_key) == ("vtpass", "dtone")
    assert inproc_stack.vtpass.delivery_count(first.request_id) == 0
    assert inproc_stack.dtone.delivery_count(second.request_id) == 0
    assert_books(user, FUNDS)


def test_a_never_received_attempt_is_requeried_when_the_grace_ends_not_a_backoff_later(db, inproc_stack, settings):
    """The requery after an 'unknown request id' answer is not put off past the grace's end."""
    from tenant_apps.orders import services

    settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS = 20
    settings.ORDERS_REQUERY_BACKOFF_SECONDS = [5, 600]
    user, _ = new_buyer(FUNDS)
    with schema_context("ng"):
        order = services.purchase_create(user=user, product_id=inproc_stack.products["vt_airtime"].pk,
                                         recipient_phone=inproc_stack.phone("9993"), amount_minor=10_000)
        order = submitted(order.pk)
        order = requeried(order.pk)  # unknown inside the grace; next step would be 600 s
        [attempt] = attempts(order)
        assert order.status == "pending"
        assert order.next_requery_at <= attempt.created_at + timedelta(seconds=22)

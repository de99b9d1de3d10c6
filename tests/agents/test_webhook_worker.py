"""Outbound webhook retries in a real Celery worker: 500, 500, then 200, with growing (exponential) gaps."""

from __future__ import annotations

import itertools
import time

from django_tenants.utils import schema_context

from tests.support.processes import celery_worker

from .test_webhooks import Receiver

BACKOFF = 0.2  # seconds: the base of the real (exponential) backoff the worker waits, 0.2 s then 0.4 s


def test_worker_retries_with_exponential_backoff(live_db):
    from tenant_apps.agents.models import DeliveryStatus, WebhookDelivery
    from tenant_apps.agents.tasks import deliver_webhook
    from tenant_apps.agents.webhooks import SIGNATURE_HEADER, subscription_create, verify_signature_header

    receiver = Receiver([500, 500, 200])
    try:
        with schema_context("quickvend"):
            subscription, secret = subscription_create(url=receiver.url, events=["order.settled"], created_by=None)
            delivery = WebhookDelivery.objects.create(subscription=subscription, event="order.settled",
                                                      payload={"order": "worker-test"})
            with celery_worker(RESELLER_WEBHOOK_BACKOFF_SECONDS=str(BACKOFF)):
                result = deliver_webhook.apply_async(args=[delivery.pk])  # sent from quickvend: runs there
                assert result.get(timeout=60) == DeliveryStatus.DELIVERED
            delivery.refresh_from_db()
            assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
            assert list(delivery.attempt_log.order_by("number").values_list("status_code", flat=True)) == [
                500, 500, 200]
        times = [request["at"] for request in receiver.received]
        first_gap, second_gap = times[1] - times[0], times[2] - times[1]
        assert 0.9 * BACKOFF <= first_gap and 0.95 * 2 * BACKOFF <= second_gap  # base × 2^(attempt-1)
        assert all(verify_signature_header(secret=secret, body=r["body"], header=r["headers"][SIGNATURE_HEADER])
                   for r in receiver.received)
    finally:
        receiver.stop()
        with schema_context("quickvend"):
            WebhookDelivery.objects.filter(subscription__url=receiver.url).delete()
            from tenant_apps.agents.models import WebhookSubscription

            WebhookSubscription.objects.filter(url=receiver.url).delete()


def test_a_redelivery_while_a_retry_is_queued_leaves_one_series(live_db):
    """The integrator's URL is down; the reseller presses "redeliver" while Celery holds the first series' retry.

    Seen on a running stack (backoff 30 s): requests at 0 s, 6 s (redeliver), 30 s, 36 s, ... two series at once,
    twice the requests to a struggling endpoint and the backoff not honoured. Now the retry of the replaced series
    finds the delivery's ``next_attempt_at`` changed and stops without sending: after the redelivery the requests
    are the new series' only, each gap at least the backoff of its attempt."""
    from tenant_apps.agents.models import WebhookDelivery, WebhookSubscription
    from tenant_apps.agents.tasks import deliver_webhook
    from tenant_apps.agents.webhooks import redeliver, subscription_create

    receiver = Receiver([500] * 20)
    base = 1.0
    try:
        with schema_context("quickvend"):
            subscription, _secret = subscription_create(url=receiver.url, events=["order.settled"], created_by=None)
            delivery = WebhookDelivery.objects.create(subscription=subscription, event="order.settled",
                                                      payload={"order": "redeliver-test"})
            with celery_worker(RESELLER_WEBHOOK_BACKOFF_SECONDS=str(base)):
                deliver_webhook.apply_async(args=[delivery.pk])
                deadline = time.monotonic() + 30
                while not receiver.received and time.monotonic() < deadline:
                    time.sleep(0.02)
                while time.monotonic() < deadline:  # attempt 1 failed and written: its retry is queued for +1 s
                    delivery.refresh_from_db()
                    if delivery.attempts == 1 and delivery.next_attempt_at is not None:
                        break
                    time.sleep(0.02)
                assert len(receiver.received) == 1
                redeliver(delivery=delivery)  # autocommit: the new series' first attempt is queued now
                while time.monotonic() < deadline:
                    delivery.refresh_from_db()
                    if delivery.attempts >= 3:
                        break
                    time.sleep(0.05)
                time.sleep(2.5 * base)  # room for any other series' request to show
            delivery.refresh_from_db()
            assert delivery.attempts == 3, delivery.attempts
            numbers = list(delivery.attempt_log.order_by("attempted_at", "id").values_list("number", flat=True))
        times = [request["at"] for request in receiver.received]
        assert numbers[:4] == [1, 1, 2, 3] and len(times) == len(numbers), (numbers, len(times))
        after = times[1:]  # the new series: 1 s, then 2 s apart at least
        gaps = [later - earlier for earlier, later in itertools.pairwise(after)]
        assert all(gap >= 0.9 * base * 2 ** n for n, gap in enumerate(gaps)), gaps
    finally:
        receiver.stop()
        with schema_context("quickvend"):
            WebhookDelivery.objects.filter(subscription__url=receiver.url).delete()
            WebhookSubscription.objects.filter(url=receiver.url).delete()

"""Outbound webhook retries in a real Celery worker: 500, 500, then 200, with growing (exponential) gaps."""

from __future__ import annotations

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

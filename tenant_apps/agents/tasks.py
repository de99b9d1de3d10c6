"""Background work for resellers (tenant-aware: tasks run in the schema they were sent from)."""

from __future__ import annotations

from celery import shared_task

from .models import DeliveryStatus
from .webhooks import attempt_delivery, backoff_seconds


@shared_task(bind=True, name="agents.deliver_webhook", max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> str:
    """One attempt; a failed one is retried by Celery with exponential backoff until the attempt limit."""
    delivery = attempt_delivery(delivery_id=delivery_id)
    if delivery.status == DeliveryStatus.PENDING:
        raise self.retry(countdown=backoff_seconds(delivery.attempts))
    return delivery.status

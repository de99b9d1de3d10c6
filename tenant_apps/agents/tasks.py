"""Background work for resellers (tenant-aware: tasks run in the schema they were sent from)."""

from __future__ import annotations

from celery import shared_task

from .models import DeliveryStatus
from .webhooks import attempt_delivery, backoff_seconds, due_token


@shared_task(bind=True, name="agents.deliver_webhook", max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: int, expected: str | None = None) -> str:
    """One attempt; a failed one is retried by Celery with exponential backoff until the attempt limit.

    ``expected`` is the delivery's ``next_attempt_at`` this task was scheduled for (``None``: a series' first
    attempt): a task whose series is no longer the delivery's stops without sending (``webhooks._claim``)."""
    delivery, attempted = attempt_delivery(delivery_id=delivery_id, expected=expected)
    if not attempted:
        return "skipped" if delivery.status == DeliveryStatus.PENDING else delivery.status
    if delivery.status == DeliveryStatus.PENDING:
        raise self.retry(args=[delivery_id, due_token(delivery)], countdown=backoff_seconds(delivery.attempts))
    return delivery.status

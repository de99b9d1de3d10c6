"""The sweeper (beat, every tenant): outbox rows whose submit message was lost and overdue requeries are
sent again. Safe to repeat: a submit reuses its attempt's request id, a requery only asks."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from shared_apps.core.enqueue import enqueue

from ..models import Order, OrderOutbox, OrderStatus
from ._helpers import TaskName


def orders_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue stranded outbox rows and overdue requeries in the current schema."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.ORDERS_OUTBOX_STALE_SECONDS)
    resent = 0
    for row in OrderOutbox.objects.filter(enqueued_at__lt=stale).order_by("enqueued_at")[:500]:
        OrderOutbox.objects.filter(pk=row.pk).update(enqueued_at=now, enqueue_count=row.enqueue_count + 1)
        enqueue(TaskName.SUBMIT, row.order_id)
        resent += 1
    overdue = now - timedelta(seconds=settings.ORDERS_OUTBOX_STALE_SECONDS)
    requeried = 0
    for order_id in Order.objects.filter(status=OrderStatus.PENDING, next_requery_at__lt=overdue) \
            .values_list("pk", flat=True)[:500]:
        Order.objects.filter(pk=order_id).update(next_requery_at=now)
        enqueue(TaskName.REQUERY, order_id)
        requeried += 1
    return {"resubmitted": resent, "requeried": requeried}


def orders_sweep_all_tenants(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    from django_tenants.utils import schema_context

    from tenants.selectors import tenant_list

    results = {}
    for tenant in tenant_list():
        with schema_context(tenant.schema_name):
            results[tenant.schema_name] = orders_sweep(now=now)
    return results

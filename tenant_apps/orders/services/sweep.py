"""The sweeper (beat, every tenant): outbox rows whose dispatcher lease ran out are handed back (ready again,
which wakes the dispatchers), and overdue requeries are sent again. Safe to repeat: a resend reuses its
attempt's request id, a requery only asks."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from shared_apps.core.enqueue import enqueue

from ..models import Order, OrderStatus
from ._helpers import TaskName


def orders_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Hand back lapsed outbox leases and re-enqueue overdue requeries in the current schema.

    A lease lapses when its dispatcher died with the order in flight; dispatchers also claim such rows
    themselves (their scan), the sweeper makes it visible and immediate. Ready rows nobody claimed for
    ``ORDERS_OUTBOX_STALE_SECONDS`` (no dispatcher running?) are announced again (NOTIFY).
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.ORDERS_OUTBOX_STALE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orders_orderoutbox SET claimed_until = NULL, enqueue_count = enqueue_count + 1 "
                       "WHERE id IN (SELECT id FROM orders_orderoutbox WHERE claimed_until < %s ORDER BY claimed_until "
                       # lock: subject (the outbox rows, skipping any a dispatcher or an answer holds; autocommit)
                       "LIMIT 500 FOR UPDATE SKIP LOCKED)", [now])
        resent = cursor.rowcount
        cursor.execute("SELECT pg_notify('orders_outbox', current_schema()) WHERE EXISTS (SELECT 1 FROM "
                       "orders_orderoutbox WHERE claimed_until IS NULL AND enqueued_at < %s)", [stale])
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

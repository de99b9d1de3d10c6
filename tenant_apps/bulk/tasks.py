"""Bulk top-up tasks: each only calls a service (tenant-aware through tenant-schemas-celery)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(name="bulk.process", acks_late=True, ignore_result=True)
def bulk_process_task(batch_id: int) -> str | None:
    batch = services.bulk_process(batch_id=batch_id, limit=settings.BULK_TOPUP_ROWS_PER_TASK)
    return batch.status if batch else None


@shared_task(name="bulk.sweep", ignore_result=True)
def bulk_sweep_task() -> dict:
    """Beat: every tenant's processing batches whose worker stopped are enqueued again."""
    from tenants.runner import for_each_tenant

    return for_each_tenant(lambda: services.bulk_sweep())

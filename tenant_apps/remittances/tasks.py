"""Remittance tasks: each only calls a service. Tenant-aware: a task runs in the schema it was sent from
(the sender's); the steps switch schema themselves, outside any transaction."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(name="remittances.advance", acks_late=True)
def advance_task(public_id: str) -> str:
    from .models import RemittanceStatus
    from .services import enqueue_advance, remittance_advance

    try:
        status = remittance_advance(public_id=public_id)
    except Exception:  # a rail or the hub unreachable: nothing half-written (each step is one transaction)
        logger.exception("remittance step failed; retried later", extra={"remittance": public_id})
        enqueue_advance(public_id=public_id, countdown=settings.REMITTANCE_PAYOUT_CHECK_SECONDS)
        return "retry"
    if status == RemittanceStatus.IN_TRANSIT:  # a payout pending at the destination's rail
        enqueue_advance(public_id=public_id, countdown=settings.REMITTANCE_PAYOUT_CHECK_SECONDS)
    return status


@shared_task(name="remittances.sweep")
def sweep_task() -> dict[str, dict[str, int]]:
    from .services import remittances_sweep_all_tenants

    return remittances_sweep_all_tenants()

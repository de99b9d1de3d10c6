"""Background KYC work (tenant-aware: the task runs in the schema it was sent from)."""

from __future__ import annotations

from celery import shared_task

from .services import kyc_recheck_pending


@shared_task(name="kyc.recheck_pending")
def kyc_recheck_pending_task() -> int:
    """Retry unclear verifier checks of the current tenant (schedule it per tenant)."""
    return kyc_recheck_pending()

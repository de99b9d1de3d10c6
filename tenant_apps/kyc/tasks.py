"""Background KYC work (tenant-aware: the task runs in the schema it was sent from)."""

from __future__ import annotations

from celery import shared_task

from tenants.runner import for_each_tenant

from .services import kyc_recheck_pending


@shared_task(name="kyc.recheck_pending")
def kyc_recheck_pending_task() -> int:
    """Retry unclear verifier checks of the current tenant."""
    return kyc_recheck_pending()


@shared_task(name="kyc.recheck_pending_everywhere")
def kyc_recheck_pending_everywhere_task() -> dict[str, int]:
    """Beat entry point: retry unclear verifier checks in every tenant."""
    return for_each_tenant(kyc_recheck_pending)

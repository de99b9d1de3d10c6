"""Cash tasks: each only calls a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cash.expire_stale")
def expire_stale_task() -> dict[str, int]:
    """Every tenant: release the float of unconfirmed cash-ins and the money of expired withdrawal codes."""
    from tenants.runner import for_each_tenant

    from .services import cash_expire_stale

    return for_each_tenant(lambda: cash_expire_stale())

"""Beat tasks of the ledger: each only calls a service."""

from __future__ import annotations

from celery import shared_task

from .services import release_expired_holds_in_all_tenants


@shared_task(name="ledger.release_expired_holds")
def release_expired_holds_task() -> dict[str, int]:
    return release_expired_holds_in_all_tenants()

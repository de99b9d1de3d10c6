"""Beat task of the idempotency app: only calls the service."""

from __future__ import annotations

from celery import shared_task

from .services import purge_idempotency_keys_in_all_tenants


@shared_task(name="idempotency.purge_keys")
def purge_idempotency_keys_task() -> dict[str, int]:
    return purge_idempotency_keys_in_all_tenants()

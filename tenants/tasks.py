"""Background tenant work."""

from __future__ import annotations

from celery import shared_task

from .schema import ensure_spare_schemas


@shared_task(name="tenants.ensure_spare_schemas")
def ensure_spare_schemas_task() -> int:
    """Refill the pool of pre-cloned spare schemas that make provisioning instant."""
    return ensure_spare_schemas()

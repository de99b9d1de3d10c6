"""Privacy tasks: each only calls a service (tenant-aware through tenant-schemas-celery)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="privacy.build_export", acks_late=True, ignore_result=True)
def build_export_task(export_id: int) -> str | None:
    export = services.export_build(export_id=export_id)
    return export.status if export else None


@shared_task(name="privacy.retention_sweep", ignore_result=True)
def retention_sweep_task() -> dict:
    """Beat, daily: every tenant's closed accounts past retention erased, expired exports deleted."""
    from tenants.runner import for_each_tenant

    return for_each_tenant(services.retention_sweep)

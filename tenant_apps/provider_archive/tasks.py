"""Provider archive tasks: each only calls a service (tenant-aware through tenant-schemas-celery)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="provider_archive.purge", ignore_result=True)
def archive_purge_task() -> dict:
    """Beat, daily: every tenant's archive rows past its country's retention deleted."""
    from tenants.runner import for_each_tenant

    return for_each_tenant(services.archive_retention_sweep)

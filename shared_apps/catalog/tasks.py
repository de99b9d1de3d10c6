"""Catalog sync tasks: one per provider, fanned out by a scheduled task."""

from __future__ import annotations

from celery import shared_task

from provider_plugins.interfaces import ProviderFault


@shared_task(name="catalog.sync_provider", autoretry_for=(ProviderFault,), retry_backoff=30,
             retry_backoff_max=900, max_retries=5, acks_late=True)
def sync_provider_catalog(provider_id: int) -> dict:
    from .services import catalog_sync_provider

    return catalog_sync_provider(provider_id=provider_id).as_dict()


@shared_task(name="catalog.sync_all")
def sync_all_catalogs() -> int:
    """Enqueue one sync per provider (each retries on its own)."""
    from shared_apps.providers.selectors import provider_ids_with_catalog

    ids = provider_ids_with_catalog()
    for provider_id in ids:
        sync_provider_catalog.delay(provider_id)
    return len(ids)

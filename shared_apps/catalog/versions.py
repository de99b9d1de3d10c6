"""The catalogue's cache version: bumped whenever a product or a provider changes (saves, deletions, and the
bulk ``update()`` calls of the sync and the console, which send no signal and so bump it themselves).

Pages that cache what the catalogue lists (the tenant storefronts) put ``catalog_version()`` in their keys.
"""

from __future__ import annotations

from shared_apps.core.cache_versions import bump_cache_version, cache_version

NAME = "catalog"


def catalog_version() -> str:
    return cache_version(NAME, shared=True)


def catalog_changed(**_ignored) -> None:
    """Signal receiver and plain call alike."""
    bump_cache_version(NAME, shared=True)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from shared_apps.providers.models import Provider

    from .models import Product

    for model in (Product, Provider):
        post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-version-{model.__name__}-save")
        post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-version-{model.__name__}-delete")

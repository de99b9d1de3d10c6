"""The effective per-deployment overrides, cached in Redis and invalidated on every change.

The default cache prefixes keys with the current schema; overrides live in the
public schema and must be one entry for every tenant, so this module uses its
own handle on the same cache with a schema-independent key.
"""

from __future__ import annotations

from functools import cache

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import transaction

CACHE_KEY = "countries:overrides:v1"
CACHE_SECONDS = 300  # a safety net: saves and deletes invalidate at once


def _public_key(key: str, key_prefix: str, version: int) -> str:
    return f"public:{key_prefix}:{version}:{key}"


@cache
def override_cache() -> BaseCache:
    backend = caches.create_connection("default")
    backend.key_func = _public_key
    return backend


def load_overrides() -> dict[str, dict]:
    from .models import CountryOverride

    return {row.country: row.as_override() for row in CountryOverride.objects.all()}


def effective_overrides() -> dict[str, dict]:
    store = override_cache()
    data = store.get(CACHE_KEY)
    if data is None:
        data = load_overrides()
        store.set(CACHE_KEY, data, CACHE_SECONDS)
    return data


def invalidate_overrides(**_kwargs) -> None:
    """Drop the cached overrides now and again after commit (a reader may refill in between)."""
    store = override_cache()
    store.delete(CACHE_KEY)
    transaction.on_commit(lambda: store.delete(CACHE_KEY))

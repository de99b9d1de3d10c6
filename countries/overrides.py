"""The effective per-deployment overrides, cached in Redis and invalidated on every change.

The default cache prefixes keys with the current schema; overrides live in the
public schema and must be one entry for every tenant, so this module uses its
own handle on the same cache with a schema-independent key.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from functools import cache

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import transaction

CACHE_KEY = "countries:overrides:v1"
CACHE_SECONDS = 300  # a safety net: saves and deletes invalidate at once

logger = logging.getLogger(__name__)


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


# Inside ``overrides_memo()`` (one HTTP request: countries.middleware.OverridesMemoMiddleware)
# the overrides are read from Redis once, not once per get_adapter() call (a purchase made ~6).
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("countries_overrides_memo", default=None)


@contextlib.contextmanager
def overrides_memo() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def effective_overrides() -> dict[str, dict]:
    """The database is the truth; Redis only saves the query (and is skipped if it is down)."""
    memo = _memo.get()
    if memo is not None and "data" in memo:
        return memo["data"]
    data = _effective_overrides()
    if memo is not None:
        memo["data"] = data
    return data


def _effective_overrides() -> dict[str, dict]:
    store = override_cache()
    try:
        data = store.get(CACHE_KEY)
    except Exception:
        logger.warning("countries: override cache unreadable, reading the database", exc_info=True)
        return load_overrides()
    if data is None:
        data = load_overrides()
        try:
            store.set(CACHE_KEY, data, CACHE_SECONDS)
        except Exception:
            logger.warning("countries: override cache unwritable", exc_info=True)
    return data


def _drop() -> None:
    memo = _memo.get()
    if memo is not None:
        memo.clear()
    try:
        override_cache().delete(CACHE_KEY)
    except Exception:
        # Readers see the old overrides for at most CACHE_SECONDS.
        logger.error("countries: could not invalidate the override cache", exc_info=True)


def invalidate_overrides(**_kwargs) -> None:
    """Drop the cached overrides now and again after commit (a reader may refill in between)."""
    _drop()
    transaction.on_commit(_drop)

"""The effective per-deployment overrides, cached in Redis and invalidated on every change.

The default cache prefixes keys with the current schema; overrides live in the
public schema and must be one entry for every tenant, so this module uses its
own handle on the same cache with a schema-independent key.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import secrets
import time
from collections.abc import Iterator
from functools import cache

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.dispatch import receiver

# The shared copy is stored under CACHE_KEY + ":" + the version read BEFORE the rows (_shared_key): a reader that
# loaded the rows just before a change committed leaves its copy under the old version, which nobody asks for
# once the change's on-commit bump ran (under one fixed key it was served to every process until it expired).
CACHE_KEY = "countries:overrides:v1"
CACHE_SECONDS = 300  # a safety net: saves and deletes invalidate at once
# Each process keeps its own copy while this version holds (one short key, read by every request in its one
# MGET: shared_apps.core.redis_cache); a change anywhere writes a new version.
VERSION_KEY = "countries:overrides-version"
VERSION_SECONDS = 30 * 24 * 3600
_process_copy: dict[str, tuple[str, float, dict[str, dict]]] = {}  # "all" -> (version, kept until, overrides)

logger = logging.getLogger(__name__)


def _public_key(key: str, key_prefix: str, version: int) -> str:
    return f"public:{key_prefix}:{version}:{key}"


@cache
def override_cache() -> BaseCache:
    backend = caches.create_connection("default")
    backend.key_func = _public_key
    return backend


@receiver(setting_changed)
def _forget_override_cache(*, setting: str, **_kwargs: object) -> None:
    """A changed ``CACHES`` (tests' ``override_settings``: the fault harness points the cache at a private
    Redis) makes the next :func:`override_cache` from the settings of the moment, not the first ones seen."""
    if setting == "CACHES":
        override_cache.cache_clear()


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
    """This process's copy while the version holds; else Redis's, else the database's. Never kept from inside a
    transaction (its rows may roll back), nor while Redis is unreachable (the database every time)."""
    store = override_cache()
    try:
        version = store.get(VERSION_KEY)
        if version is None:
            version = secrets.token_hex(4)
            if not store.add(VERSION_KEY, version, VERSION_SECONDS):
                version = store.get(VERSION_KEY) or version
    except Exception:
        logger.warning("countries: override cache unreadable, reading the database", exc_info=True)
        return load_overrides()
    held = _process_copy.get("all")
    if held is not None and held[0] == version and held[1] > time.monotonic():
        return held[2]
    data = _shared_overrides(version)
    if not connection.in_atomic_block:  # at most CACHE_SECONDS, like Redis's copy, should a version write fail
        _process_copy["all"] = (version, time.monotonic() + CACHE_SECONDS, data)
    return data


def _shared_key(version: str) -> str:
    return f"{CACHE_KEY}:{version}"


def _shared_overrides(version: str) -> dict[str, dict]:
    """Redis's copy for ``version`` (read before the rows are), else the database's, stored under it."""
    store = override_cache()
    key = _shared_key(version)
    try:
        data = store.get(key)
    except Exception:
        logger.warning("countries: override cache unreadable, reading the database", exc_info=True)
        return load_overrides()
    if data is None:
        data = load_overrides()
        if _changed_in_this_transaction():
            return data  # its own uncommitted rows: shared, they would outlive a rollback under this version
        try:
            store.set(key, data, CACHE_SECONDS)
        except Exception:
            logger.warning("countries: override cache unwritable", exc_info=True)
    return data


def _changed_in_this_transaction() -> bool:
    """This connection's open transaction has changed override rows (``invalidate_overrides`` ran in it): what it
    reads may still roll back. The mark is the outermost atomic block's object, so it ends with that block."""
    blocks = connection.atomic_blocks
    return bool(blocks) and getattr(connection, "overrides_changed_in", None) is blocks[0]


def _drop() -> None:
    memo = _memo.get()
    if memo is not None:
        memo.clear()
    _process_copy.clear()
    try:
        # A new version: every process's copy and Redis's (keyed by the old one, left to expire) are outdated.
        override_cache().set(VERSION_KEY, secrets.token_hex(4), VERSION_SECONDS)
    except Exception:
        # Readers see the old overrides for at most CACHE_SECONDS.
        logger.error("countries: could not invalidate the override cache", exc_info=True)


def invalidate_overrides(**_kwargs) -> None:
    """Drop the cached overrides now and again after commit (a reader may refill in between). Until the change's
    transaction ends, what it reads itself is not shared (:func:`_changed_in_this_transaction`)."""
    if connection.in_atomic_block:
        connection.overrides_changed_in = connection.atomic_blocks[0]  # type: ignore[attr-defined]
    _drop()
    transaction.on_commit(_committed)


def _committed() -> None:
    connection.overrides_changed_in = None  # type: ignore[attr-defined]
    _drop()

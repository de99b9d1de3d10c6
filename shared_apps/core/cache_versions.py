"""Named cache versions: cached views of data put the version in their key; a change bumps it.

``cache_version("pricing")`` is the current tenant's (cache keys carry the schema, docs/architecture.md);
``cache_version("catalog", shared=True)`` is one for the whole platform (the public schema's key), for
data every tenant reads (the shared catalogue, the provider registry). A bump takes effect at once and
again when the transaction commits, so a reader that cached the old rows between the two (it could not
see the uncommitted change) is outdated by the second bump. A version that Redis evicted comes back as a
new random value: a miss, never a stale hit.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Hashable
from contextlib import nullcontext
from functools import partial
from typing import Any, Generic, TypeVar

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import connection, transaction
from django_tenants.utils import schema_context

from .redis_cache import snapshot_keys

PREFIX = "cache-version:"
TTL_SECONDS = 30 * 24 * 3600

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _other_schema(shared: bool, schema: str | None) -> str | None:
    """The schema whose key is wanted when it is not the connection's own (None: the current schema's)."""
    target = "public" if shared else schema
    return None if target is None or target == getattr(connection, "schema_name", None) else target


def _addressable(store: Any) -> bool:
    """Whether ``store`` reaches another schema's keys without a tenant switch (``RedisCache``)."""
    return getattr(store, "addressable", lambda: False)()


def cache_version(name: str, *, shared: bool = False, schema: str | None = None) -> str:
    """The current version of ``name`` (the current schema's; ``schema=`` another tenant's; ``shared``: global).

    The cache is looked up once (a few times per request on the purchase path: each lookup through its proxy
    is a context-local read)."""
    key = PREFIX + name
    snapshot_keys(key, shared=shared)  # read by most requests: in the request's one MGET
    store = caches[DEFAULT_CACHE_ALIAS]  # what the module's ``cache`` proxy reaches
    other = _other_schema(shared, schema)
    if other is None:
        return _read_or_start(key, get=store.get, add=store.add)
    if _addressable(store):
        # no schema switch: the request's next statement needs no new SET search_path
        return _read_or_start(key, get=partial(store.get_in, other),  # type: ignore[attr-defined]  # RedisCache
                              add=partial(store.add_in, other))  # type: ignore[attr-defined]
    with schema_context(other):
        return _read_or_start(key, get=store.get, add=store.add)


def _read_or_start(key: str, *, get: Callable[[str], Any], add: Callable[[str, str, int], bool]) -> str:
    """The version under ``key``, or a new one when there is none (another process's, if it added one first)."""
    value = get(key)
    if value is None:
        value = secrets.token_hex(4)
        if not add(key, value, TTL_SECONDS):
            value = get(key) or value
    return value


def _bump(name: str, shared: bool, schema: str) -> None:
    other = _other_schema(shared, schema)
    if other is not None and _addressable(cache):
        cache.set_in(other, PREFIX + name, secrets.token_hex(4), TTL_SECONDS)  # type: ignore[attr-defined]
        return
    with nullcontext() if other is None else schema_context(other):
        cache.set(PREFIX + name, secrets.token_hex(4), TTL_SECONDS)


class _BumpOnCommit:
    """The second bump, run by Django when the transaction commits; while it waits in the connection's
    on-commit list (dropped there on rollback, of the transaction or of its savepoint), this connection has
    uncommitted changes under ``name``."""

    def __init__(self, name: str, shared: bool, schema: str) -> None:
        self.name, self.shared, self.schema = name, shared, schema

    def __call__(self) -> None:
        _bump(self.name, self.shared, self.schema)


def bump_cache_version(name: str, *, shared: bool = False) -> None:
    """Outdate everything cached under ``name``: now, and again once the current transaction commits."""
    schema = getattr(connection, "schema_name", "public") or "public"
    _bump(name, shared, schema)
    if connection.in_atomic_block:
        transaction.on_commit(_BumpOnCommit(name, shared, schema))


def _bumped_in_open_transaction(name: str) -> bool:
    """True when this connection changed ``name``'s rows in its open transaction (not committed yet)."""
    return connection.in_atomic_block and any(
        isinstance(entry[1], _BumpOnCommit) and entry[1].name == name for entry in connection.run_on_commit)


class VersionedMemo(Generic[T]):
    """A per-process memo of values read from rows, valid while the rows' cache version stays the same.

    ``get(key, load)`` reads the version (one Redis GET) instead of the rows (a SQL statement); a bump anywhere
    (any process) makes the next ``get`` reload. Keys are per schema (``shared``: one entry for every tenant).
    Nothing is kept when this connection bumped the version in its open transaction (the rows it would read
    are not committed and may roll back), nor when Redis is unreachable (the rows are read every time: a Redis
    outage never serves stale rows, nor fails the caller). Values are shared between threads: keep them
    immutable, or pass ``copy``.
    """

    def __init__(self, name: str, *, shared: bool = False, max_entries: int = 4096,
                 copy: Callable[[T], T] | None = None) -> None:
        self.name = name
        self.shared = shared
        self.max_entries = max_entries
        self.copy = copy
        self._entries: dict[tuple, tuple[str, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        schema = "public" if self.shared else (getattr(connection, "schema_name", "public") or "public")
        try:
            version = cache_version(self.name, shared=self.shared)
        except Exception:
            logger.warning("cache version %s unreadable: reading the rows", self.name, exc_info=True)
            return load()
        entry = self._entries.get((schema, key))
        if entry is not None and entry[0] == version:
            return self.copy(entry[1]) if self.copy else entry[1]
        value = load()
        if not _bumped_in_open_transaction(self.name):
            with self._lock:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[(schema, key)] = (version, self.copy(value) if self.copy else value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

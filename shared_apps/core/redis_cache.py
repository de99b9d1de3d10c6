"""Django's Redis cache, cheaper per request (issue 18): one client object per pool, one MGET per request.

* **The client object is reused.** Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for
  every command, and redis-py 8 fills a case-insensitive table of ~170 response callbacks in each: ~0.1 ms of
  CPU per cache read, a seventh of a purchase's web CPU. A ``redis.Redis`` is thread-safe (its pool hands out
  connections), so one per pool is enough.
* **A request reads its hot keys in one round trip.** The small values every request of the purchase path
  reads (the cache versions of the per-process memos, the PIN policy, the risk rules' version, the token's
  device sign-out mark) are registered with :func:`snapshot_keys` / :func:`snapshot_prefix`. Inside a request
  (:class:`RequestSnapshotMiddleware`), the first read of one of them fetches it with every registered key of
  the current schema and of ``public`` in one ``MGET``; later reads of those keys in the same request are
  answered from that snapshot. Any write of a key through this cache (set, add, delete, incr, touch, the
  ``*_many`` forms, clear) drops it from the snapshot, so a request sees its own changes; another process's
  change is seen by the next request, as when the value was read a few milliseconds earlier. Outside a request
  (tasks, the dispatcher, shells) nothing changes. Unregistered keys (throttles, lockouts, idempotency) are
  never snapshotted.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connection
from django_tenants.cache import make_key as tenant_make_key

from tenants.connection import tenant_connection

_TENANT_KEYS: set[str] = set()
_SHARED_KEYS: set[str] = set()
_PREFIXES: list[str] = []
_MISSING = object()  # in the snapshot: Redis has no such key
_ABSENT = object()  # not in the snapshot


def snapshot_keys(*keys: str, shared: bool = False) -> None:
    """Register keys read by most requests (``shared``: read in the public schema, one for every tenant)."""
    (_SHARED_KEYS if shared else _TENANT_KEYS).update(keys)


def snapshot_prefix(prefix: str) -> None:
    """Keys starting with ``prefix`` join the request's MGET when one of them is the read that triggers it."""
    if prefix not in _PREFIXES:
        _PREFIXES.append(prefix)


def _hot(key: str) -> bool:
    return key in _TENANT_KEYS or key in _SHARED_KEYS or any(key.startswith(prefix) for prefix in _PREFIXES)


class _Snapshot:
    __slots__ = ("fetched", "values")

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], Any] = {}  # (servers, made key) -> value or _MISSING
        self.fetched: set[tuple[str, str]] = set()  # (servers, schema) whose registered keys were read


_snapshot: contextvars.ContextVar[_Snapshot | None] = contextvars.ContextVar("redis_cache_snapshot", default=None)


class RequestSnapshotMiddleware:
    """Opens the request's snapshot of hot cache keys (first in the stack: every later read may use it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _snapshot.set(_Snapshot())
        try:
            return self.get_response(request)
        finally:
            _snapshot.reset(token)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """One ``redis.Redis`` per connection pool, instead of one per command."""

    # Django's private helpers (django-stubs omit them).
    _client: Any
    _get_connection_pool_index: Callable[[bool], int]
    _get_connection_pool: Callable[[bool], Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    """Django's ``RedisCache`` with the reused client and the request snapshot (the module's docstring)."""

    _servers: list[str]  # set by Django's __init__ (django-stubs omit it)

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._servers_key = ",".join(self._servers)
        # The snapshot builds other schemas' keys itself: only with the tenant key format.
        self._snapshots = self.key_func is tenant_make_key

    def _tenant_key(self, schema: str | None, key: str) -> str:
        """The key for ``schema`` (the tenant-prefixed format of ``django_tenants.cache.make_key``)."""
        return f"{schema}:{self.key_prefix}:{self.version}:{key}"

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._get(key, default, version, schema=None)

    # --- another schema's key, without switching the connection's schema ----------------------------------
    # ``schema_context("public")`` around a cache read costs two tenant switches, and each makes the next SQL
    # statement of the request send ``SET search_path`` again (django-tenants forgets the path it set).
    def addressable(self) -> bool:
        """Whether :meth:`get_in`, :meth:`add_in` and :meth:`set_in` can address other schemas' keys."""
        return self._snapshots

    def get_in(self, schema: str, key: str, default: Any = None) -> Any:
        """``get`` of ``schema``'s ``key`` (as ``get`` inside ``schema_context(schema)``, request snapshot too)."""
        return self._get(key, default, None, schema=schema)

    def add_in(self, schema: str, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> bool:
        return self._cache.add(*self._written_in(schema, key, timeout, value))

    def set_in(self, schema: str, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> None:
        self._cache.set(*self._written_in(schema, key, timeout, value))

    def _written_in(self, schema: str, key: str, timeout: Any, value: Any) -> tuple[str, Any, Any]:
        """The made key (dropped from the request's snapshot), the value and the expiry a write of ``schema``'s
        ``key`` passes to the client: seconds or None, as Django's ``add``/``set`` pass them."""
        made = self._tenant_key(schema, key)
        self._forget_made([made])
        return made, value, self.get_backend_timeout(timeout)

    def _get(self, key: Any, default: Any, version: Any, *, schema: str | None) -> Any:
        snap = _snapshot.get()
        if snap is None or not self._snapshots or version is not None or not isinstance(key, str) or not _hot(key):
            if schema is None:
                return super().get(key, default, version)
            return self._cache.get(self._tenant_key(schema, key), default)
        value = self._snapshot_read(snap, [key], schema=schema)[0]
        return default if value is _MISSING else value

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        """Django's ``get_many``; inside a request, registered keys read together join the request's one MGET
        (the JWT authentication reads a token's device and session marks at once)."""
        keys = list(keys)
        snap = _snapshot.get()
        if (snap is None or not self._snapshots or version is not None or not keys
                or not all(isinstance(key, str) and _hot(key) for key in keys)):
            return super().get_many(keys, version)
        values = self._snapshot_read(snap, keys, schema=None)
        return {key: value for key, value in zip(keys, values, strict=True) if value is not _MISSING}

    def _snapshot_read(self, snap: _Snapshot, keys: list[str], *, schema: str | None) -> list[Any]:
        """The values of registered ``keys`` (``_MISSING`` for absent ones): from the request's snapshot, or with
        every registered key of the current schema and of ``public`` not read yet, in one ``MGET``."""
        # A registered key (a constant, or a prefix and a uuid): made, not validated again for memcached's rules.
        # With django-tenants' key function, made here from the schema read once (``make_key`` reads it again).
        if schema is not None:
            schema_name = getattr(connection, "schema_name", None)
            made_keys = [self._tenant_key(schema, key) for key in keys]
        elif self.key_func is tenant_make_key:
            schema_name = tenant_connection().schema_name
            made_keys = [self._tenant_key(schema_name, key) for key in keys]
        else:  # a handle with its own key function (countries.overrides: the public schema's keys)
            schema_name = getattr(connection, "schema_name", None)
            made_keys = [self.make_key(key) for key in keys]
        servers = self._servers_key
        absent = [made for made in made_keys if (servers, made) not in snap.values]
        if absent:
            wanted = list(absent)
            current = schema_name or "public"
            batches = [(current, _TENANT_KEYS)] if (servers, current) not in snap.fetched else []
            if (servers, "public") not in snap.fetched:
                batches.append(("public", _SHARED_KEYS))
            for where, names in batches:
                wanted += [self._tenant_key(where, name) for name in names
                           if (servers, self._tenant_key(where, name)) not in snap.values]
            wanted = list(dict.fromkeys(wanted))
            found = self._cache.get_many(wanted)  # one MGET (a Redis error propagates, as a GET's would)
            for made_key in wanted:
                snap.values[(servers, made_key)] = found.get(made_key, _MISSING)
            snap.fetched.update((servers, where) for where, _names in batches)
        return [snap.values[(servers, made)] for made in made_keys]

    def _forget_made(self, made_keys: Iterable[str]) -> None:
        snap = _snapshot.get()
        if snap is not None and snap.values:
            for made in made_keys:
                snap.values.pop((self._servers_key, made), None)

    def _forget(self, keys: Iterable[Any], version: Any = None) -> None:
        if (snap := _snapshot.get()) is not None and snap.values:
            self._forget_made(self.make_and_validate_key(key, version=version) for key in keys)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        self._forget([key], version)
        return super().add(key, value, timeout, version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        self._forget([key], version)
        super().set(key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        self._forget([key], version)
        return super().touch(key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> bool:
        self._forget([key], version)
        return super().delete(key, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        self._forget([key], version)
        return super().incr(key, delta, version)

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        self._forget(data, version)
        return super().set_many(data, timeout, version)

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        keys = list(keys)
        self._forget(keys, version)
        super().delete_many(keys, version)

    def clear(self) -> None:
        snap = _snapshot.get()
        if snap is not None:
            snap.values.clear()
            snap.fetched.clear()
        super().clear()

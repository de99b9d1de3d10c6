"""Named cache versions: cached views of data put the version in their key; a change bumps it.

``cache_version("pricing")`` is the current tenant's (cache keys carry the schema, docs/architecture.md);
``cache_version("catalog", shared=True)`` is one for the whole platform (the public schema's key), for
data every tenant reads (the shared catalogue, the provider registry). A bump takes effect at once and
again when the transaction commits, so a reader that cached the old rows between the two (it could not
see the uncommitted change) is outdated by the second bump. A version that Redis evicted comes back as a
new random value: a miss, never a stale hit.
"""

from __future__ import annotations

import secrets
from contextlib import nullcontext

from django.core.cache import cache
from django.db import connection, transaction
from django_tenants.utils import schema_context

PREFIX = "cache-version:"
TTL_SECONDS = 30 * 24 * 3600


def _where(shared: bool, schema: str | None):
    if shared:
        schema = "public"
    if schema is None or schema == getattr(connection, "schema_name", None):
        return nullcontext()
    return schema_context(schema)


def cache_version(name: str, *, shared: bool = False, schema: str | None = None) -> str:
    """The current version of ``name`` (the current schema's; ``schema=`` another tenant's; ``shared``: global)."""
    with _where(shared, schema):
        value = cache.get(PREFIX + name)
        if value is None:
            value = secrets.token_hex(4)
            if not cache.add(PREFIX + name, value, TTL_SECONDS):
                value = cache.get(PREFIX + name) or value
    return value


def _bump(name: str, shared: bool, schema: str) -> None:
    with _where(shared, schema):
        cache.set(PREFIX + name, secrets.token_hex(4), TTL_SECONDS)


def bump_cache_version(name: str, *, shared: bool = False) -> None:
    """Outdate everything cached under ``name``: now, and again once the current transaction commits."""
    schema = getattr(connection, "schema_name", "public") or "public"
    _bump(name, shared, schema)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _bump(name, shared, schema))

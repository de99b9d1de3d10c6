"""Tenants on more than one PostgreSQL cluster, without a sharding layer.

The primary cluster (alias ``default``) holds the public schema: tenants and
their domains, the catalog, the provider registry. Tenant schemas live on the
primary or on another cluster listed in ``DATABASE_CLUSTERS``; a tenant's
cluster is :attr:`tenants.models.Tenant.database`.

How a tenant's work reaches its cluster:

* **The connection follows the tenant.** Whenever the ``default`` connection is
  pointed at a tenant (``set_tenant`` / ``schema_context`` / ``tenant_context``:
  the routing middleware for requests, tenant-schemas-celery for tasks, the
  migrate executors for migrations), the backend (``tenants/postgresql_backend``)
  re-points that same connection object at the tenant's cluster, keeping one
  physical connection per cluster parked for reuse. All tenant code
  (``transaction.atomic()``, raw ``connection.cursor()``, the ORM) is unchanged.
  Switching cluster inside an open transaction is refused: a transaction
  belongs to one cluster.
* **Shared models stay on the primary.** While the connection serves a tenant on
  another cluster, :class:`ClusterRouter` sends the shared-only models (tenants,
  catalog, providers, countries, ...) to the ``home`` alias, a second connection
  to the primary.
* ``on_cluster(alias)`` pins the connection to one cluster for maintenance
  (shared migrations and the template schema on that cluster, provisioning,
  moves); inside it nothing is re-routed.

Placement (:func:`cluster_for_new_tenant`): a new country operation goes to the
cluster with the fewest tenants; a reseller brand goes to its parent's cluster
(reseller floats move money across the two schemas in one transaction).
Moving a tenant: ``manage.py move_tenant`` (:mod:`tenants.moves`).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from tenants.connection import tenant_connection

HOME = DEFAULT_DB_ALIAS  # the primary cluster: public schema, and tenants placed there
HOME_ALIAS = "home"  # a second connection to the primary, for shared models while `default` serves another cluster

_forced: contextvars.ContextVar[str | None] = contextvars.ContextVar("nexustop_forced_cluster", default=None)
_schema_clusters: dict[str, tuple[float, str]] = {}


def cluster_aliases() -> list[str]:
    return list(getattr(settings, "TENANT_CLUSTERS", [HOME]))


def multi_cluster() -> bool:
    return len(cluster_aliases()) > 1


def forced_cluster() -> str | None:
    return _forced.get()


@contextmanager
def on_cluster(alias: str) -> Iterator[None]:
    """Pin the ``default`` connection to ``alias`` (public schema there) for the block."""
    if alias not in cluster_aliases():
        raise ValueError(f"unknown database cluster {alias!r} (DATABASE_CLUSTERS: {', '.join(cluster_aliases())})")
    token = _forced.set(alias)
    try:
        tenant_connection().set_schema_to_public()
        yield
    finally:
        _forced.reset(token)
        tenant_connection().set_schema_to_public()


def cluster_for(tenant) -> str:
    """The cluster a tenant (a Tenant row, or django-tenants' FakeTenant for a schema name) lives on."""
    forced = _forced.get()
    if forced:
        return forced
    database = getattr(tenant, "database", None)
    if database:
        return database
    schema = getattr(tenant, "schema_name", None) or "public"
    if schema == "public" or not multi_cluster():
        return HOME
    return cluster_of_schema(schema)


def cluster_of_schema(schema: str) -> str:
    """``Tenant.database`` of a schema name, cached per process like the routing cache (unknown: the primary)."""
    now = time.monotonic()
    hit = _schema_clusters.get(schema)
    if hit is not None and hit[0] > now:
        return hit[1]
    with connections[HOME_ALIAS].cursor() as cursor:
        cursor.execute("SELECT database FROM public.tenants_tenant WHERE schema_name = %s", [schema])
        row = cursor.fetchone()
    cluster = row[0] if row else HOME
    ttl = getattr(settings, "TENANT_ROUTING_CACHE_SECONDS", 5)
    if ttl > 0 and row:
        _schema_clusters[schema] = (now + ttl, cluster)
    return cluster


def forget_schema(schema: str | None = None) -> None:
    """Drop cached schema -> cluster answers (after a move or a provisioning in this process)."""
    if schema is None:
        _schema_clusters.clear()
    else:
        _schema_clusters.pop(schema, None)


def cluster_settings(alias: str) -> dict:
    """Connection settings of a cluster (the primary's are the ``default`` alias' own)."""
    return connections.settings[alias]


def current_cluster() -> str:
    return getattr(connections[DEFAULT_DB_ALIAS], "cluster", HOME)


# --- placement ------------------------------------------------------------------------------------

def tenants_per_cluster() -> dict[str, int]:
    from django.db.models import Count

    from .models import Tenant, TenantKind

    counts = {alias: 0 for alias in cluster_aliases()}
    rows = (Tenant.objects.exclude(kind=TenantKind.HEAD_OFFICE).values("database")
            .annotate(n=Count("id")).values_list("database", "n"))
    for alias, count in rows:
        counts[alias] = counts.get(alias, 0) + count
    return counts


def least_loaded_cluster() -> str:
    """The cluster holding the fewest tenant schemas (ties: the order of DATABASE_CLUSTERS, primary first)."""
    counts = tenants_per_cluster()
    order = cluster_aliases()
    return min(order, key=lambda alias: (counts.get(alias, 0), order.index(alias)))


def cluster_for_new_tenant(*, parent=None) -> str:
    if parent is not None:
        return parent.database
    return least_loaded_cluster() if multi_cluster() else HOME


# --- routing of shared models -----------------------------------------------------------------------

def _shared_only_labels() -> frozenset[str]:
    from django_tenants.utils import app_labels

    return frozenset(app_labels(settings.SHARED_APPS)) - frozenset(app_labels(settings.TENANT_APPS))


class ClusterRouter:
    """Shared-only models go to the primary while the connection serves a tenant on another cluster."""

    _labels: frozenset[str] | None = None

    def _route(self, model) -> str | None:
        if not multi_cluster() or _forced.get() is not None or current_cluster() == HOME:
            return None
        if ClusterRouter._labels is None:
            ClusterRouter._labels = _shared_only_labels()
        return HOME_ALIAS if model._meta.app_label in ClusterRouter._labels else None

    def db_for_read(self, model, **hints):
        return self._route(model)

    def db_for_write(self, model, **hints):
        return self._route(model)

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, HOME_ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Every cluster is migrated through the `default` connection pinned to it (on_cluster).
        if db == HOME_ALIAS or (db != DEFAULT_DB_ALIAS and db in cluster_aliases()):
            return False
        return None

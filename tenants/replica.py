"""Read-only work on the read replica (``DATABASE_REPLICA_URL``), never a write.

Reporting reads (platform and operator analytics, wallet statements and their
CSV export, the head-office console's pages) are the heavy, long-running
queries; on the replica they never compete with purchases for the primary.
They are marked with a block::

    with reporting_reads():
        rows = list(wallet_statement(user=user))

Inside the block, :class:`ReplicaRouter` sends ORM *reads* to the ``replica``
alias, in the same tenant schema as the primary connection (the replica
connection follows every ``set_tenant`` / ``schema_context`` switch). *Writes*
are never routed there: a write inside the block goes to the primary as usual
(an audit row written while rendering a console page, a session save), so the
block is safe to put around a whole read-only view. Without a configured
replica the block does nothing.

Replication lag: what a user wrote a moment ago may not be on the replica yet.
Use the block only where a few seconds of staleness is acceptable (reports,
exports, history), never to read back a write to decide something.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

_reporting: contextvars.ContextVar[bool] = contextvars.ContextVar("nexustop_reporting_reads", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


@contextmanager
def reporting_reads() -> Iterator[str]:
    """Route ORM reads to the replica while the block runs; yields the alias raw SQL should use."""
    token = _reporting.set(True)
    try:
        yield reporting_alias()
    finally:
        _reporting.reset(token)


def reporting_view(view: Callable[P, R]) -> Callable[P, R]:
    """Decorate a read-only view (or a view's ``get``): GET and HEAD requests read from the replica."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        request = next((arg for arg in args if hasattr(arg, "method") and hasattr(arg, "META")), None)
        if request is not None and request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        with reporting_reads():
            return view(*args, **kwargs)

    return wrapper


def reporting_alias() -> str:
    """The alias read-only work uses now: the replica (schema in step) inside a block, else the primary."""
    if not (_reporting.get() and replica_configured()):
        return DEFAULT_DB_ALIAS
    primary: Any = connections[DEFAULT_DB_ALIAS]
    if getattr(primary, "cluster", DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS:
        return DEFAULT_DB_ALIAS  # the replica copies the primary cluster only
    replica: Any = connections[REPLICA_ALIAS]
    tenant = getattr(primary, "tenant", None)
    include_public = getattr(primary, "include_public_schema", True)
    if tenant is not None and (getattr(replica, "schema_name", None) != primary.schema_name
                               or replica.include_public_schema != include_public):
        replica.set_tenant(tenant, include_public)
    return REPLICA_ALIAS


def _read_on_replica(hints: dict) -> bool:
    instance = hints.get("instance")
    return instance is not None and getattr(instance._state, "db", None) == REPLICA_ALIAS


class ReplicaRouter:
    """Reads inside :func:`reporting_reads` go to the replica; nothing else is decided here."""

    def db_for_read(self, model, **hints):
        alias = reporting_alias()
        if alias == REPLICA_ALIAS:
            return alias
        return DEFAULT_DB_ALIAS if _read_on_replica(hints) else None

    def db_for_write(self, model, **hints):
        # Never the replica, not even for an object that was read there.
        return DEFAULT_DB_ALIAS if _reporting.get() or _read_on_replica(hints) else None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: objects read there relate to objects on the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA_ALIAS else None

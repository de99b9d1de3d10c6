"""The database connection as the tenant backend shapes it, typed.

``django.db.connection`` is typed as Django's ``BaseDatabaseWrapper``. The backend the settings
configure (``tenants.postgresql_backend``, django-tenants' wrapper) adds the schema the connection
points at, the tenant selected and the methods that switch them. Mypy cannot know which backend the
settings choose, hence the one cast here; code reads and switches the schema through
:func:`tenant_connection` (or :func:`current_schema`) instead of untyped attributes.

Imports only Django (any layer may use it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections

if TYPE_CHECKING:
    from tenants.models import Tenant


class SchemaOnlyTenant(Protocol):
    """What ``schema_context(name)`` selects: django-tenants' ``FakeTenant``, a schema name and no row."""

    schema_name: str


class TenantConnection(Protocol):
    """The django-tenants part of the connection (``django_tenants.postgresql_backend.base.DatabaseWrapper``)."""

    schema_name: str
    # The Tenant row the middleware, tenant_context or set_tenant selected; a FakeTenant after schema_context.
    tenant: Tenant | SchemaOnlyTenant
    include_public_schema: bool

    def set_tenant(self, tenant: Tenant | SchemaOnlyTenant, include_public: bool = True) -> None: ...

    def set_schema(self, schema_name: str, include_public: bool = True, tenant_type: str | None = None) -> None: ...

    def set_schema_to_public(self) -> None: ...


def tenant_connection(using: str = DEFAULT_DB_ALIAS) -> TenantConnection:
    """The connection ``using`` (``django.db.connection`` for the default alias) with its tenant attributes."""
    return cast("TenantConnection", connection if using == DEFAULT_DB_ALIAS else connections[using])


def current_schema() -> str:
    """The schema the default connection points at (``public`` on the head office)."""
    return tenant_connection().schema_name


def selected_tenant() -> Tenant:
    """The Tenant row the default connection serves (routing middleware, ``tenant_context``, ``set_tenant``).

    ``schema_context(name)`` selects a schema without a row: asking for the row there is a programming error.
    """
    from tenants.models import Tenant

    tenant = tenant_connection().tenant
    if not isinstance(tenant, Tenant):
        raise LookupError(f"the connection serves schema {tenant.schema_name!r} without its tenant row")
    return tenant

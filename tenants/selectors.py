"""Read-side helpers for tenants."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Domain, Tenant, TenantKind, TenantStatus


def tenant_get_by_ref(*, ref: str) -> Tenant:
    """Find a tenant by domain or schema name (what operators type)."""
    ref = ref.strip().lower()
    domain = Domain.objects.select_related("tenant").filter(domain=ref).first()
    if domain is not None:
        return domain.tenant
    return Tenant.objects.get(schema_name=ref)


def tenant_list() -> QuerySet[Tenant]:
    return Tenant.objects.exclude(kind=TenantKind.HEAD_OFFICE).prefetch_related("domains").order_by("country", "kind",
                                                                                                 "schema_name")


def tenant_is_suspended(*, schema_name: str) -> bool:
    """Whether the tenant of ``schema_name`` is suspended now (read each time: a worker's work must stop at once)."""
    return Tenant.objects.filter(schema_name=schema_name, status=TenantStatus.SUSPENDED).exists()

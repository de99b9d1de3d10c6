"""Platform-wide sales figures, read tenant by tenant through each schema (``tenants.runner.for_each_tenant``).

The orders table belongs to a tenant app; it is reached through Django's app
registry (``apps.get_model("orders", "Order")``), so this shared app imports no
tenant app. Read-only, last ``days`` days; money per tenant in its own currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db.models import BigIntegerField, Count, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from shared_apps.catalog.models import product_type_label
from shared_apps.core.charts import Bucket
from tenants.models import Tenant
from tenants.runner import for_each_tenant

DELIVERED = ("settled", "succeeded")
REFUNDED = ("released", "reversed")


@dataclass(frozen=True)
class TenantSales:
    tenant: Tenant
    currency: str
    sales: Bucket
    by_type: dict[str, Bucket]


def _aggregates() -> dict[str, Any]:
    cost = Coalesce(Cast(KeyTextTransform("tenant_cost_minor", "quote"), BigIntegerField()),
                    Cast(KeyTextTransform("cost_minor", "quote"), BigIntegerField()))
    delivered = Q(status__in=DELIVERED)
    return {"orders": Count("id"), "delivered": Count("id", filter=delivered),
            "refunded": Count("id", filter=Q(status__in=REFUNDED)),
            "revenue": Coalesce(Sum("price_minor", filter=delivered), 0),
            "cost": Coalesce(Sum(cost, filter=delivered), 0)}


def _bucket(label: str, row: Mapping[str, Any]) -> Bucket:
    return Bucket(label=label, orders=row["orders"], delivered=row["delivered"], refunded=row["refunded"],
                  revenue=row["revenue"], margin=row["revenue"] - row["cost"])


def _schema_sales(since) -> tuple[dict[str, Any], dict[str, Mapping[str, Any]]]:
    Order = apps.get_model("orders", "Order")
    orders = Order.objects.filter(created_at__gte=since)
    total = orders.aggregate(**_aggregates())
    by_type: dict[str, Mapping[str, Any]] = {
        row["product_type"]: row for row in orders.values("product_type").annotate(**_aggregates())}
    return total, by_type


def platform_sales(*, days: int = 30) -> tuple[list[TenantSales], list[Bucket]]:
    """Per tenant (every schema) and per product type across the platform (order counts and success rates)."""
    from countries.registry import get_adapter

    since = timezone.now() - timedelta(days=days)
    raw = for_each_tenant(lambda: _schema_sales(since))
    tenants = {t.schema_name: t for t in Tenant.objects.exclude(schema_name="public")}
    rows: list[TenantSales] = []
    types: dict[str, Bucket] = {}
    for schema, (total, by_type) in sorted(raw.items()):
        tenant = tenants.get(schema)
        if tenant is None:
            continue
        rows.append(TenantSales(tenant=tenant, currency=str(get_adapter(tenant.country).currency_info.code),
                                sales=_bucket(tenant.brand_name, total),
                                by_type={kind: _bucket(kind, row) for kind, row in by_type.items()}))
        for kind, row in by_type.items():
            bucket = types.setdefault(kind, Bucket(product_type_label(kind)))
            bucket.orders += row["orders"]
            bucket.delivered += row["delivered"]
            bucket.refunded += row["refunded"]
    return rows, sorted(types.values(), key=lambda bucket: bucket.label)

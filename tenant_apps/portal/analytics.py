"""Sales analytics for the operator dashboard, and the server-rendered SVG charts that show them.

Reads only (current schema): orders grouped by day, product type and provider.
* volume: orders placed; revenue: what buyers paid for delivered orders;
* margin: revenue minus this tenant's cost (``quote.tenant_cost_minor``, the provider
  cost for a country operation, the operation's price for a reseller);
* success rate: delivered / (delivered + refunded), by provider attempt and by product type.
Charts are plain SVG strings built by ``shared_apps.core.charts`` (no JavaScript, no CDN): bars with a
``<title>`` per bar and a data table next to each chart for screen readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import BigIntegerField, Count, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from shared_apps.core.charts import Bucket, bar_chart, rate_bars, stacked_series

DELIVERED = ("settled", "succeeded")
REFUNDED = ("released", "reversed")


@dataclass
class SalesReport:
    currency: str
    days: list[Bucket] = field(default_factory=list)
    by_type: list[Bucket] = field(default_factory=list)
    by_provider: list[Bucket] = field(default_factory=list)
    by_type_daily: dict[str, list[Bucket]] = field(default_factory=dict)

    @property
    def totals(self) -> Bucket:
        total = Bucket("total")
        for day in self.days:
            for name in ("orders", "delivered", "refunded", "revenue", "margin"):
                setattr(total, name, getattr(total, name) + getattr(day, name))
        return total


def _money_aggregates() -> dict:
    cost = Coalesce(Cast(KeyTextTransform("tenant_cost_minor", "quote"), BigIntegerField()),
                    Cast(KeyTextTransform("cost_minor", "quote"), BigIntegerField()))
    delivered = Q(status__in=DELIVERED)
    return {
        "orders": Count("id"),
        "delivered": Count("id", filter=delivered),
        "refunded": Count("id", filter=Q(status__in=REFUNDED)),
        "revenue": Coalesce(Sum("price_minor", filter=delivered), 0),
        "cost": Coalesce(Sum(cost, filter=delivered), 0),
    }


def _bucket(label: str, row: Mapping[str, Any]) -> Bucket:
    return Bucket(label=label, orders=row["orders"], delivered=row["delivered"], refunded=row["refunded"],
                  revenue=row["revenue"], margin=row["revenue"] - row["cost"])


def sales_report(*, days: int = 14, today: date | None = None) -> SalesReport:
    """The last ``days`` days of orders in the current schema (every figure in minor units)."""
    from django.apps import apps

    from shared_apps.catalog.models import product_type_label
    from tenant_apps.ledger.currency import tenant_currency

    Order = apps.get_model("orders", "Order")
    OrderAttempt = apps.get_model("orders", "OrderAttempt")
    Provider = apps.get_model("providers", "Provider")
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    orders = Order.objects.filter(created_at__date__gte=start)
    report = SalesReport(currency=tenant_currency().code)

    per_day = {row["day"]: row for row in orders.annotate(day=TruncDate("created_at")).values("day")
               .annotate(**_money_aggregates())}
    empty = {"orders": 0, "delivered": 0, "refunded": 0, "revenue": 0, "cost": 0}
    report.days = [_bucket((start + timedelta(days=n)).strftime("%d/%m"), per_day.get(start + timedelta(days=n), empty))
                   for n in range(days)]
    by_type = {row["product_type"]: row for row in orders.values("product_type").annotate(**_money_aggregates())
               .order_by("product_type")}
    report.by_type = [_bucket(product_type_label(code), row) for code, row in by_type.items()]
    typed = {}
    for row in orders.annotate(day=TruncDate("created_at")).values("product_type", "day").annotate(
            **_money_aggregates()):
        typed[(row["product_type"], row["day"])] = row
    report.by_type_daily = {
        product_type_label(code): [_bucket((start + timedelta(days=n)).strftime("%d/%m"),
                                           typed.get((code, start + timedelta(days=n)), empty)) for n in range(days)]
        for code in by_type}

    attempts = (OrderAttempt.objects.filter(created_at__date__gte=start).values("provider_id")
                .annotate(orders=Count("id"), delivered=Count("id", filter=Q(status="succeeded")),
                          refunded=Count("id", filter=Q(status="failed"))))
    names = dict(Provider.objects.filter(pk__in=[row["provider_id"] for row in attempts])
                 .values_list("pk", "name"))
    report.by_provider = sorted((Bucket(label=names.get(row["provider_id"], f"#{row['provider_id']}"),
                                        orders=row["orders"], delivered=row["delivered"], refunded=row["refunded"])
                                 for row in attempts), key=lambda bucket: -bucket.orders)
    return report



__all__ = ["Bucket", "SalesReport", "bar_chart", "rate_bars", "sales_report", "stacked_series"]

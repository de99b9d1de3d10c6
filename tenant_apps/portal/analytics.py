"""Sales analytics for the operator dashboard, and the server-rendered SVG charts that show them.

Reads only (current schema): orders grouped by day, product type and provider.
* volume: orders placed; revenue: what buyers paid for delivered orders;
* margin: revenue minus this tenant's cost (``quote.tenant_cost_minor``, the provider
  cost for a country operation, the operation's price for a reseller);
* success rate: delivered / (delivered + refunded), by provider attempt and by product type.
Charts are plain SVG strings built here (no JavaScript, no CDN): bars with a
``<title>`` per bar and a data table next to each chart for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from django.db.models import BigIntegerField, Count, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

DELIVERED = ("settled", "succeeded")
REFUNDED = ("released", "reversed")


@dataclass
class Bucket:
    label: str
    orders: int = 0
    delivered: int = 0
    refunded: int = 0
    revenue: int = 0
    margin: int = 0

    @property
    def success_rate(self) -> float | None:
        decided = self.delivered + self.refunded
        return None if not decided else self.delivered / decided


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


def _bucket(label: str, row: dict) -> Bucket:
    return Bucket(label=label, orders=row["orders"], delivered=row["delivered"], refunded=row["refunded"],
                  revenue=row["revenue"], margin=row["revenue"] - row["cost"])


def sales_report(*, days: int = 14, today: date | None = None) -> SalesReport:
    """The last ``days`` days of orders in the current schema (every figure in minor units)."""
    from django.apps import apps

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
    report.by_type = [_bucket(row["product_type"], row) for row in orders.values("product_type")
                      .annotate(**_money_aggregates()).order_by("product_type")]
    typed = {}
    for row in orders.annotate(day=TruncDate("created_at")).values("product_type", "day").annotate(
            **_money_aggregates()):
        typed[(row["product_type"], row["day"])] = row
    report.by_type_daily = {
        kind.label: [_bucket((start + timedelta(days=n)).strftime("%d/%m"),
                             typed.get((kind.label, start + timedelta(days=n)), empty)) for n in range(days)]
        for kind in report.by_type}

    attempts = (OrderAttempt.objects.filter(created_at__date__gte=start).values("provider_id")
                .annotate(orders=Count("id"), delivered=Count("id", filter=Q(status="succeeded")),
                          refunded=Count("id", filter=Q(status="failed"))))
    names = dict(Provider.objects.filter(pk__in=[row["provider_id"] for row in attempts])
                 .values_list("pk", "name"))
    report.by_provider = sorted((Bucket(label=names.get(row["provider_id"], f"#{row['provider_id']}"),
                                        orders=row["orders"], delivered=row["delivered"], refunded=row["refunded"])
                                 for row in attempts), key=lambda bucket: -bucket.orders)
    return report


# --- SVG ---------------------------------------------------------------------------------------
PALETTE = ("#2563eb", "#059669", "#d97706", "#7c3aed", "#dc2626", "#0891b2")


def bar_chart(buckets: list[Bucket], *, value: str, title: str, width: int = 640, height: int = 200,
              colour: str = PALETTE[0], formatter=str) -> SafeString:
    """Vertical bars of ``getattr(bucket, value)``; every bar carries a <title> tooltip."""
    values = [max(getattr(bucket, value) or 0, 0) for bucket in buckets]
    top = max(values) or 1
    n = max(len(buckets), 1)
    pad_left, pad_bottom, pad_top = 8, 22, 14
    slot = (width - pad_left) / n
    bar = max(slot * 0.7, 2)
    plot = height - pad_bottom - pad_top
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'class="chart" preserveAspectRatio="none" width="100%" height="{height}">',
             f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width}" y2="{height - pad_bottom}" '
             f'stroke="#94a3b8"/>']
    every = max(1, n // 7)
    for i, (bucket, amount) in enumerate(zip(buckets, values, strict=True)):
        h = plot * amount / top
        x = pad_left + i * slot + (slot - bar) / 2
        y = height - pad_bottom - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}" rx="2">'
                     f'<title>{escape(bucket.label)}: {escape(formatter(amount))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                         f'fill="#334155">{escape(bucket.label)}</text>')
    parts.append(f'<text x="{pad_left}" y="11" font-size="11" fill="#334155">{escape(formatter(top))}</text></svg>')
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only


def rate_bars(buckets: list[Bucket], *, title: str, width: int = 640) -> SafeString:
    """Horizontal success-rate bars (0-100 %), one row per bucket."""
    row_height = 26
    label_width = 200
    height = row_height * max(len(buckets), 1) + 4
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart" '
             f'width="100%" height="{height}">']
    for i, bucket in enumerate(buckets):
        rate = bucket.success_rate
        y = i * row_height + 2
        length = (width - label_width - 60) * (rate or 0)
        colour = PALETTE[1] if (rate or 0) >= 0.9 else PALETTE[2] if (rate or 0) >= 0.7 else PALETTE[4]
        shown = "–" if rate is None else f"{rate * 100:.0f} %"
        parts.append(f'<text x="0" y="{y + 16}" font-size="12" fill="#0f172a">{escape(bucket.label[:28])}</text>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{width - label_width - 60}" height="16" '
                     f'fill="#e2e8f0" rx="3"/>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="16" fill="{colour}" rx="3">'
                     f'<title>{escape(bucket.label)}: {shown}</title></rect>'
                     f'<text x="{width - 52}" y="{y + 16}" font-size="12" fill="#0f172a">{shown}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only


def stacked_series(series: dict[str, list[Bucket]], *, value: str, title: str, width: int = 640,
                   height: int = 200) -> SafeString:
    """Stacked daily bars, one colour per product type (legend rendered by the template)."""
    names = list(series)
    if not names:
        return bar_chart([], value=value, title=title, width=width, height=height)
    days = len(series[names[0]])
    totals = [sum(max(getattr(series[name][d], value), 0) for name in names) for d in range(days)]
    top = max(totals) or 1
    pad_left, pad_bottom, pad_top = 8, 22, 14
    slot = (width - pad_left) / max(days, 1)
    bar = max(slot * 0.7, 2)
    plot = height - pad_bottom - pad_top
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart" '
             f'preserveAspectRatio="none" width="100%" height="{height}">',
             f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width}" y2="{height - pad_bottom}" '
             f'stroke="#94a3b8"/>']
    every = max(1, days // 7)
    for d in range(days):
        x = pad_left + d * slot + (slot - bar) / 2
        base = height - pad_bottom
        for k, name in enumerate(names):
            amount = max(getattr(series[name][d], value), 0)
            h = plot * amount / top
            base -= h
            if h:
                parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(name)} '
                             f'{escape(series[name][d].label)}: {amount}</title></rect>')
        if d % every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                         f'fill="#334155">{escape(series[names[0]][d].label)}</text>')
    parts.append(f'<text x="{pad_left}" y="11" font-size="11" fill="#334155">{top}</text></svg>')
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only

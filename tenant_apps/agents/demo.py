"""`make run`: the demo reseller (quickvend under ng) gets commission tiers and a funded float. Idempotent."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenants.models import Tenant, TenantKind


def seed_demo_resellers() -> list[str]:
    from tenant_apps.pricing.models import CommissionTier

    from .floats import fund_float

    lines = []
    for reseller in Tenant.objects.select_related("parent").filter(kind=TenantKind.RESELLER_BRAND):
        with schema_context(reseller.schema_name):
            for level, rate in ((1, 300), (2, 100), (3, 50)):
                CommissionTier.objects.get_or_create(level=level, defaults={"rate_bp": rate})
        fund_float(reseller=reseller, amount_minor=10_000_000, reference="demo-float")  # posts once
        lines.append(f"reseller {reseller.schema_name}: float funded at {reseller.parent.schema_name}, "
                     "commission tiers 3 % / 1 % / 0.5 % (docs/resellers.md)")
    return lines

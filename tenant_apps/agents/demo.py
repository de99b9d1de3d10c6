"""`make run`: the demo reseller (quickvend under ng) gets commission tiers and a funded float. Idempotent."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenants.models import Tenant, TenantKind


def seed_demo_resellers() -> list[str]:
    from tenant_apps.pricing.models import CommissionTier
    from tenants.demo import DEMO_TENANTS

    from .floats import fund_float

    # The demo's own resellers only: a brand onboarded through the API is its operator's business, and the parent's
    # ledger posts the reference "demo-float" once (a second reseller under ng made every later start fail).
    demo_domains = [spec.domain for spec in DEMO_TENANTS if spec.kind == TenantKind.RESELLER_BRAND]
    lines = []
    for reseller in Tenant.objects.select_related("parent").filter(kind=TenantKind.RESELLER_BRAND,
                                                                   domains__domain__in=demo_domains).distinct():
        with schema_context(reseller.schema_name):
            for level, rate in ((1, 300), (2, 100), (3, 50)):
                CommissionTier.objects.get_or_create(level=level, defaults={"rate_bp": rate})
        fund_float(reseller=reseller, amount_minor=10_000_000, reference="demo-float")  # posts once
        lines.append(f"reseller {reseller.schema_name}: float funded at {reseller.parent.schema_name}, "
                     "commission tiers 3 % / 1 % / 0.5 % (docs/resellers.md)")
    return lines

"""`make run`: remittance corridors open between the demo's country operations, so a newcomer's first quote
prices instead of answering ``corridor_unavailable``. Idempotent: a corridor an operator has opened or changed
is left as it is (only missing ones are opened)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenants.models import Tenant, TenantKind, TenantStatus

DEMO_MARGIN_BPS = 150  # 1.5 % under the mid-market rate
DEMO_FEE_BPS = 100  # 1 % of the amount sent


def seed_demo_corridors() -> list[str]:
    from countries.registry import get_adapter

    from .models import Corridor
    from .services import corridor_update

    operations = list(Tenant.objects.filter(kind=TenantKind.COUNTRY_OPERATION, status=TenantStatus.ACTIVE)
                      .order_by("schema_name").values_list("schema_name", "country"))
    countries = sorted({country for _schema, country in operations})
    opened = 0
    for schema, country in operations:
        with schema_context(schema):
            existing = set(Corridor.objects.values_list("destination_country", flat=True))
            fixed_fee = 10 ** get_adapter(country).minor_unit * 100  # 100 units of the sending currency
            for destination in countries:
                if destination != country and destination not in existing:
                    corridor_update(actor=None, destination_country=destination, margin_bps=DEMO_MARGIN_BPS,
                                    fee_bps=DEMO_FEE_BPS, fee_fixed_minor=fixed_fee)
                    opened += 1
    return [f"remittances: corridors between the {len(countries)} country operations (margin "
            f"{DEMO_MARGIN_BPS / 100:g} %, fee {DEMO_FEE_BPS / 100:g} % + 100 units; {opened} opened now)"]

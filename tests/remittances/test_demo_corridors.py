"""`make run` opens remittance corridors between the country operations (tenant_apps.remittances.demo): a first
quote prices instead of answering corridor_unavailable; an operator's own corridor is never overwritten."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.remittances.helpers import funded, open_corridor, quote, remit_settings

pytestmark = pytest.mark.django_db


def test_demo_corridors_open_the_missing_ones_and_keep_the_operators(settings, oxr, sanctions_sim):
    from tenant_apps.remittances.demo import seed_demo_corridors
    from tenant_apps.remittances.models import Corridor
    from tenants.models import Tenant, TenantKind, TenantStatus

    remit_settings(settings, oxr, sanctions_sim)
    open_corridor("ng", "GH", margin_bps=300)  # the operator's own: kept
    countries = set(Tenant.objects.filter(kind=TenantKind.COUNTRY_OPERATION, status=TenantStatus.ACTIVE)
                    .values_list("country", flat=True))
    assert {"NG", "GH"} <= countries
    [line] = seed_demo_corridors()
    assert "corridors between" in line
    with schema_context("ng"):
        corridors = dict(Corridor.objects.values_list("destination_country", "margin_bps"))
    assert set(corridors) == countries - {"NG"} and corridors["GH"] == 300
    assert all(margin == 150 for country, margin in corridors.items() if country != "GH")
    assert "0 opened now" in seed_demo_corridors()[0]  # idempotent
    sender = funded("ng", 1_500_000)
    assert "SN" in countries
    priced = quote(sender, country="SN", recipient_phone="+221771234567", recipient_name="Awa Diop")
    assert priced.status_code in (200, 201), priced.content  # a corridor the seeder opened prices

"""`make run` after a reseller was onboarded under the demo operation: the seeder funded EVERY reseller brand's float
with the one reference ``demo-float``, which the parent's ledger had already posted for QuickVend's float, so the
second start failed (EntryReferenceConflict) and `make run` could never start again. Only the demo reseller is
seeded; an onboarded reseller's float is its operator's business."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.agents.demo import seed_demo_resellers
from tenant_apps.agents.floats import float_parent_balance
from tenants.models import Tenant
from tenants.services import tenant_provision

pytestmark = pytest.mark.django_db


def test_the_demo_seeder_funds_the_demo_reseller_once_and_leaves_onboarded_ones_alone(db):
    ng = Tenant.objects.get(schema_name="ng")
    onboarded = tenant_provision(kind="reseller_brand", country="NG", name="SunVend", domain="sunvend-demo.localhost",
                                 admin_email="owner@sunvend-demo.test", parent=ng).tenant
    quickvend = Tenant.objects.get(schema_name="quickvend")
    before = float_parent_balance(reseller=quickvend)
    seed_demo_resellers()
    funded = float_parent_balance(reseller=quickvend)
    seed_demo_resellers()  # every start of make run: nothing more, no error
    assert float_parent_balance(reseller=quickvend) == funded
    assert funded - before in (0, 10_000_000)  # funded once per installation
    assert float_parent_balance(reseller=onboarded) == 0
    with schema_context(onboarded.schema_name):
        from tenant_apps.pricing.models import CommissionTier

        assert not CommissionTier.objects.exists()

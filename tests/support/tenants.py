"""The tenants every test session gets (mirrors the demo: NG, SN, GH and a reseller)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

TEST_PASSWORD = "Test-password-2026!"


@dataclass(frozen=True)
class TestTenant:
    key: str
    schema: str
    domain: str
    name: str
    kind: str
    country: str
    language: str
    parent: str = ""


TEST_TENANTS = [
    TestTenant("ng", "ng", "ng.localhost", "NexusTop Nigeria", "country_operation", "NG", "en"),
    TestTenant("sn", "sn", "sn.localhost", "NexusTop Sénégal", "country_operation", "SN", "fr"),
    TestTenant("gh", "gh", "gh.localhost", "NexusTop Ghana", "country_operation", "GH", "en"),
    TestTenant("quickvend", "quickvend", "quickvend.localhost", "QuickVend", "reseller_brand", "NG", "en",
               parent="ng"),
]


def ensure_test_tenants() -> None:
    from tenants.models import Tenant
    from tenants.schema import sync_template_schema
    from tenants.services import Branding, ensure_public_tenant, tenant_provision

    connection.set_schema_to_public()
    sync_template_schema()  # no-op when the template and its script are current
    ensure_public_tenant(domain="localhost")
    for spec in TEST_TENANTS:
        if Tenant.objects.filter(schema_name=spec.schema).exists():
            continue
        parent = Tenant.objects.get(schema_name=spec.parent) if spec.parent else None
        tenant_provision(kind=spec.kind, country=spec.country, name=spec.name, domain=spec.domain,
                         admin_email=f"admin@{spec.domain}", admin_password=TEST_PASSWORD, parent=parent,
                         schema_name=spec.schema, branding=Branding(default_language=spec.language))
    connection.set_schema_to_public()

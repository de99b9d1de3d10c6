"""The tenants every test session gets (mirrors the demo: NG, SN, GH and a reseller)."""

from __future__ import annotations

from dataclasses import dataclass

from tenants.connection import tenant_connection

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

    tenant_connection().set_schema_to_public()
    sync_template_schema()  # no-op when the template and its script are current
    ensure_public_tenant(domain="localhost")
    for spec in TEST_TENANTS:
        if Tenant.objects.filter(schema_name=spec.schema).exists():
            continue
        parent = Tenant.objects.get(schema_name=spec.parent) if spec.parent else None
        tenant_provision(kind=spec.kind, country=spec.country, name=spec.name, domain=spec.domain,
                         admin_email=f"admin@{spec.domain}", admin_password=TEST_PASSWORD, parent=parent,
                         schema_name=spec.schema, branding=Branding(default_language=spec.language))
    tenant_connection().set_schema_to_public()


# The other thirteen country operations (issue 15), made only by the modules that need them, once per
# test database (kept with --reuse-db): replaying the template script costs ~0.4 s each, which every
# session would otherwise pay in its setup.
COUNTRY_TENANTS = [
    # Own schema and domain names: other tests provision throwaway tenants at bj.localhost, tg.localhost, ...
    TestTenant(code.lower(), f"op_{code.lower()}", f"op-{code.lower()}.localhost", f"NexusTop {code}",
               "country_operation", code, language)
    for code, language in (("BJ", "fr"), ("BF", "fr"), ("CV", "pt"), ("CI", "fr"), ("GM", "en"), ("GN", "fr"),
                           ("GW", "pt"), ("LR", "en"), ("ML", "fr"), ("MR", "fr"), ("NE", "fr"), ("SL", "en"),
                           ("TG", "fr"))
]


def ensure_country_tenants() -> list[TestTenant]:
    """Provision the missing ones; return all 16 country operations (the session's NG, SN, GH included)."""
    from tenants.models import Tenant
    from tenants.services import Branding, tenant_provision

    tenant_connection().set_schema_to_public()
    existing = set(Tenant.objects.filter(schema_name__in=[t.schema for t in COUNTRY_TENANTS])
                   .values_list("schema_name", flat=True))
    for spec in COUNTRY_TENANTS:
        if spec.schema not in existing:
            tenant_provision(kind=spec.kind, country=spec.country, name=spec.name, domain=spec.domain,
                             admin_email=f"admin@{spec.domain}", admin_password=TEST_PASSWORD,
                             schema_name=spec.schema, branding=Branding(default_language=spec.language))
    tenant_connection().set_schema_to_public()
    return [t for t in TEST_TENANTS if t.kind == "country_operation"] + COUNTRY_TENANTS

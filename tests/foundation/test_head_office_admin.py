"""The head office manages tenants from the public domain's admin; tenants cannot reach it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def super_admin(tenants):
    return get_user_model().objects.create_superuser("root@nexustop.test", "Sup3r-secret-pass")


def test_super_admin_sees_and_filters_tenants(host_client, super_admin):
    client = host_client("localhost")
    client.force_login(super_admin)
    page = client.get("/admin/tenants/tenant/")
    assert page.status_code == 200
    for name in (b"ng", b"sn", b"quickvend"):
        assert name in page.content
    filtered = client.get("/admin/tenants/tenant/?kind__exact=reseller_brand")
    assert b"quickvend" in filtered.content and b"NexusTop Ghana" not in filtered.content


def test_super_admin_suspends_from_the_admin(host_client, super_admin, tenants):
    from tenants.models import Tenant

    client = host_client("localhost")
    client.force_login(super_admin)
    response = client.post("/admin/tenants/tenant/", {
        "action": "suspend", "_selected_action": [tenants["gh"].pk]})
    assert response.status_code == 302
    assert Tenant.objects.get(schema_name="gh").status == "suspended"
    assert host_client("gh.localhost").get("/api/products").status_code == 403


def test_admin_is_not_served_on_tenant_domains(host_client, tenants):
    assert host_client("ng.localhost").get("/admin/").status_code == 404


def test_anonymous_is_sent_to_login(host_client, tenants):
    response = host_client("localhost").get("/admin/tenants/tenant/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

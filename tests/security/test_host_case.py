"""Issue 14 (smaller items): host matching is case-insensitive.

Reported: ``Host: NG.LOCALHOST`` answered ``404 unknown_tenant`` while ``ng.localhost`` served Nigeria.
DNS names are case-insensitive; every layer (routing, its per-process cache, the production host check,
stored domains) now uses one spelling (``tenants.hosts.normalise_host``).
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from shared_apps.core.hosts import KnownTenantHostMiddleware
from tests.accounts.helpers import login, make_user

SPELLINGS = ("NG.LOCALHOST", "Ng.LocalHost:8000", "ng.localhost.", "NG.LOCALHOST.:8000")


@pytest.mark.django_db
def test_upper_case_and_trailing_dot_hosts_route_to_the_same_tenant(host_client):
    make_user("ng", email="case@example.test", phone="+2348031119201")
    token = login(host_client("ng.localhost"), "case@example.test")["access"]
    for host in SPELLINGS:
        me = host_client(host).get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert me.status_code == 200, (host, me.content)  # the token's tenant is the host's tenant
        assert me.json()["email"] == "case@example.test"
        country = host_client(host).get("/api/countries/NG")
        assert country.status_code == 200, host
    assert host_client("SN.LOCALHOST").get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert host_client("NOWHERE.LOCALHOST").get("/health").json()["error"]["code"] == "unknown_tenant"


@pytest.mark.django_db
def test_the_production_host_check_and_stored_domains_ignore_case(tenant_ng):
    from tenants.models import Domain

    middleware = KnownTenantHostMiddleware(lambda request: HttpResponse("passed"))
    for host in (*SPELLINGS, "QUICKVEND.LOCALHOST"):
        assert middleware(RequestFactory().get("/api/products", HTTP_HOST=host)).content == b"passed", host
    Domain.objects.create(domain="TopUp.Example.NG.", tenant=tenant_ng, is_primary=False)
    assert Domain.objects.filter(domain="topup.example.ng").exists()
    assert middleware(RequestFactory().get("/", HTTP_HOST="TOPUP.EXAMPLE.NG")).content == b"passed"


def test_the_routing_cache_has_one_entry_per_host_whatever_its_spelling(live_db, settings):
    from tenants import middleware as routing
    from tenants.models import Domain

    settings.TENANT_ROUTING_CACHE_SECONDS = 60
    routing.clear_routing_cache()
    router = routing.TenantRoutingMiddleware(lambda request: HttpResponse())
    tenants = set()
    for host in SPELLINGS:
        request = RequestFactory().get("/health", HTTP_HOST=host)
        hostname = router.hostname_from_request(request)
        tenants.add(router.get_tenant(Domain, hostname).schema_name)
    assert tenants == {"ng"}
    assert list(routing._routing_cache) == ["ng.localhost"]
    routing.clear_routing_cache()

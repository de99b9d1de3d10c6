"""Production host validation: only tenant domains are served (cached, new domains at once)."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from shared_apps.core.hosts import KnownTenantHostMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def middleware():
    return KnownTenantHostMiddleware(lambda request: HttpResponse("passed"))


def call(middleware, host: str, path: str = "/api/wallet"):
    return middleware(RequestFactory().get(path, HTTP_HOST=host))


def test_known_tenant_domains_pass_and_others_get_400(middleware, tenants):
    assert call(middleware, "ng.localhost").content == b"passed"
    assert call(middleware, "QuickVend.localhost:8000").content == b"passed"
    assert call(middleware, "localhost").content == b"passed"  # the public (head-office) domain
    refused = call(middleware, "evil.example")
    assert refused.status_code == 400
    assert json.loads(refused.content)["error"]["code"] == "unknown_host"


def test_a_new_tenant_domain_is_accepted_immediately(middleware, tenant_ng):
    from tenants.models import Domain

    assert call(middleware, "ng.localhost").content == b"passed"  # cache loaded
    Domain.objects.create(domain="topup.example.ng", tenant=tenant_ng, is_primary=False)
    assert call(middleware, "topup.example.ng").content == b"passed"


def test_unknown_hosts_are_cached_so_junk_hosts_cost_no_queries(middleware, tenants, django_assert_num_queries):
    assert call(middleware, "ng.localhost").status_code == 200
    assert call(middleware, "junk.example").status_code == 400
    with django_assert_num_queries(0):
        assert call(middleware, "junk.example").status_code == 400
        assert call(middleware, "ng.localhost").status_code == 200


def test_load_balancer_probe_by_ip_reaches_health_only(middleware, tenants):
    probe = call(middleware, "10.10.17.4:8000", path="/health")
    assert probe.status_code == 200
    assert json.loads(probe.content)["status"] == "ok"
    assert call(middleware, "10.10.17.4:8000", path="/api/wallet").status_code == 400


def test_extra_allowed_hosts(settings, tenants):
    settings.NEXUSTOP_EXTRA_ALLOWED_HOSTS = ["internal.nexustop.africa"]
    middleware = KnownTenantHostMiddleware(lambda request: HttpResponse("passed"))
    assert call(middleware, "internal.nexustop.africa").content == b"passed"

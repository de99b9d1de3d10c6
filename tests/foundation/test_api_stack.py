"""The lean middleware chain of /api/ (shared_apps.core.api_stack): what it drops is only what pages need, and
everything that guards the API still guards it (attacked through the test client, which runs the same chain).
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.urls import get_resolver
from rest_framework.authentication import SessionAuthentication
from rest_framework.views import APIView

from shared_apps.core.api_stack import PAGE_ONLY, SELF, api_middleware
from tests.accounts.helpers import call, login, make_user

# What must run on every API request (security, tenancy, limits, observability).
GUARDS = [
    "shared_apps.core.middleware.RequestIdMiddleware",
    "shared_apps.core.middleware.RequestLogMiddleware",
    "shared_apps.core.request_guard.RequestGuardMiddleware",
    "shared_apps.core.csp.ContentSecurityPolicyMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    "tenants.middleware.SuspendedTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "tenant_apps.risk.middleware.DeviceMiddleware",
    "tenant_apps.pins.middleware.TransactionPinMiddleware",
    "countries.middleware.TenantLocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "shared_apps.core.metrics.PrometheusAfterMiddleware",  # django-prometheus' own, each labelled child kept
]


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


@pytest.mark.parametrize("urlconf", [settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF])
def test_every_api_route_is_a_drf_view_without_session_authentication(urlconf):
    """Why sessions and CSRF can be skipped under /api/: no route there could use them."""
    routes = [(route, callback) for route, callback in _routes(get_resolver(urlconf).url_patterns)
              if route.lstrip("^").startswith("api")]
    assert routes
    for route, callback in routes:
        view = getattr(callback, "cls", None)
        assert view is not None and issubclass(view, APIView), route
        assert getattr(callback, "csrf_exempt", False), route
        assert not any(isinstance(auth, SessionAuthentication) for auth in view().get_authenticators()), route


def test_the_api_chain_keeps_every_guard_in_order():
    chain = api_middleware(list(settings.MIDDLEWARE))
    assert settings.MIDDLEWARE[0] == SELF and SELF not in chain
    assert not set(PAGE_ONLY) & set(chain)
    kept = [path for path in settings.MIDDLEWARE if path in GUARDS]
    assert kept == [path for path in chain if path in GUARDS]  # same order
    assert set(GUARDS) <= set(chain)


@pytest.fixture
def ng_token(db, host_client):
    make_user("ng", email="stack-customer@example.test", phone="+2348031119001")
    return login(host_client("ng.localhost"), "stack-customer@example.test")["access"]


def test_api_requests_never_touch_csrf_messages_htmx_or_static_files(host_client, ng_token):
    from django.contrib.messages.middleware import MessageMiddleware
    from django.middleware.csrf import CsrfViewMiddleware
    from django_htmx.middleware import HtmxMiddleware
    from whitenoise.middleware import WhiteNoiseMiddleware

    refuse = mock.Mock(side_effect=AssertionError("a page-only middleware ran on an API request"))
    with mock.patch.object(CsrfViewMiddleware, "process_request", refuse), \
            mock.patch.object(CsrfViewMiddleware, "process_view", refuse), \
            mock.patch.object(MessageMiddleware, "process_request", refuse), \
            mock.patch.object(HtmxMiddleware, "__call__", refuse), \
            mock.patch.object(WhiteNoiseMiddleware, "__call__", refuse):
        response = call(host_client("ng.localhost"), "GET", "/api/wallet", token=ng_token)
    assert response.status_code == 200, response.content
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    # the guards' marks on the answer
    assert response["X-Request-ID"]
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_still_get_the_full_chain(db, host_client):
    from django.middleware.csrf import CsrfViewMiddleware

    with mock.patch.object(CsrfViewMiddleware, "process_view", autospec=True,
                           side_effect=CsrfViewMiddleware.process_view) as csrf:
        host_client("ng.localhost").get("/login")
    assert csrf.called


def test_the_lean_chain_still_refuses_what_it_must(db, host_client, ng_token):
    from tenants.models import Tenant

    # another tenant's token: 401 on this tenant's domain
    mismatch = call(host_client("sn.localhost"), "GET", "/api/wallet", token=ng_token)
    assert mismatch.status_code == 401 and mismatch.json()["error"]["code"] == "token_tenant_mismatch"
    # no token, a tampered one
    assert call(host_client("ng.localhost"), "GET", "/api/wallet").status_code == 401
    tampered = ng_token[:-3] + ("AAA" if not ng_token.endswith("AAA") else "BBB")
    assert call(host_client("ng.localhost"), "GET", "/api/wallet", token=tampered).status_code == 401
    # an unknown host: 404 (no tenant), never another tenant's data
    unknown = call(host_client("nowhere.localhost"), "GET", "/api/wallet", token=ng_token)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_tenant"
    # a suspended tenant: 403
    tenant = Tenant.objects.get(schema_name="ng")
    with mock.patch.object(type(tenant), "is_suspended", new_callable=mock.PropertyMock, return_value=True):
        from tenants.middleware import clear_routing_cache

        clear_routing_cache()
        suspended = call(host_client("ng.localhost"), "GET", "/api/wallet", token=ng_token)
    clear_routing_cache()
    assert suspended.status_code == 403 and suspended.json()["error"]["code"] == "tenant_suspended"
    # an oversized body: 413 before any view reads it
    big = host_client("ng.localhost").post("/api/purchase", "x" * (settings.REQUEST_MAX_BODY_BYTES + 10),
                                           content_type="application/json",
                                           HTTP_AUTHORIZATION=f"Bearer {ng_token}", HTTP_IDEMPOTENCY_KEY="k" * 20)
    assert big.status_code == 413


def test_a_redis_outage_is_a_503_through_the_lean_chain(host_client, ng_token):
    """The login's throttle and lockout need Redis: while it is down the answer is a retryable 503."""
    import redis

    from shared_apps.core.redis_cache import ReusedClientRedisCacheClient

    down = redis.ConnectionError("down")
    with mock.patch.object(ReusedClientRedisCacheClient, "get_many", side_effect=down), \
            mock.patch.object(ReusedClientRedisCacheClient, "get", side_effect=down), \
            mock.patch.object(ReusedClientRedisCacheClient, "set", side_effect=down), \
            mock.patch.object(ReusedClientRedisCacheClient, "add", side_effect=down), \
            mock.patch.object(ReusedClientRedisCacheClient, "incr", side_effect=down):
        response = call(host_client("ng.localhost"), "POST", "/api/auth/login",
                        {"email": "stack-customer@example.test", "password": "wrong-password-1"})
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "temporarily_unavailable"
    assert response["Retry-After"] == "1"

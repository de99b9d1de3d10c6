"""Routing by Host header, with JSON-shaped refusals for unknown and suspended tenants."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from shared_apps.core.error_shape import error_body

from .connection import tenant_connection
from .hosts import normalise_host

ALWAYS_ALLOWED_PATHS = ("/health",)


def wants_json(request) -> bool:
    path = request.path
    if path.startswith(("/api/", "/webhook/", "/health", "/metrics")):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


# hostname -> (expires at, tenant): saves the domain query (and a search_path switch) per request.
_routing_cache: dict[str, tuple[float, object]] = {}
_ROUTING_CACHE_MAX = 1000


def clear_routing_cache(**_kwargs) -> None:
    """Forget every cached host now and again after commit (a Tenant or Domain row changed)."""
    _routing_cache.clear()
    if connection.in_atomic_block:
        connection.on_commit(_routing_cache.clear)


class TenantRoutingMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, answering an unknown host with a clean 404.

    The host -> tenant lookup is cached per process for ``TENANT_ROUTING_CACHE_SECONDS``
    (a suspension or domain change made by another process shows within that time; in
    this process at once). Only committed rows are cached: a lookup made inside a
    transaction (tests, or a caller's atomic block) is not stored.
    """

    @staticmethod
    def hostname_from_request(request):
        """Host names are case-insensitive: ``NG.LOCALHOST`` and ``ng.localhost.`` route like ``ng.localhost``
        (also the cache key below). ``get_host`` still validates against ALLOWED_HOSTS first."""
        return remove_www(normalise_host(request.get_host()))

    def get_tenant(self, domain_model, hostname):
        hostname = normalise_host(hostname)
        ttl = settings.TENANT_ROUTING_CACHE_SECONDS
        if ttl <= 0:
            return super().get_tenant(domain_model, hostname)
        now = time.monotonic()
        hit = _routing_cache.get(hostname)
        if hit is not None and hit[0] > now:
            return hit[1]
        tenant = super().get_tenant(domain_model, hostname)
        if not connection.in_atomic_block:
            if len(_routing_cache) >= _ROUTING_CACHE_MAX:
                _routing_cache.clear()
            _routing_cache[hostname] = (now + ttl, tenant)
        return tenant

    def no_tenant_found(self, request, hostname):
        return JsonResponse(error_body("unknown_tenant", _("No tenant is served at this address.")), status=404)

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            tenant_connection().set_schema_to_public()
        return response


class SuspendedTenantMiddleware:
    """A suspended tenant's domain answers 403: JSON for API clients, a page for people."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and getattr(tenant, "is_suspended", False) and not request.path.startswith(
                ALWAYS_ALLOWED_PATHS):
            if tenant.default_language:
                translation.activate(tenant.default_language)
            if wants_json(request):
                return JsonResponse(error_body(
                    "tenant_suspended", _("%(name)s is suspended. Contact support.") % {"name": tenant.brand_name}),
                    status=403)
            return render(request, "tenants/suspended.html", {"tenant": tenant}, status=403)
        return self.get_response(request)

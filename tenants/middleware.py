"""Routing by Host header, with JSON-shaped refusals for unknown and suspended tenants."""

from __future__ import annotations

from django.db import connection
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from shared_apps.core.errors import error_response

ALWAYS_ALLOWED_PATHS = ("/health",)


def wants_json(request) -> bool:
    path = request.path
    if path.startswith(("/api/", "/webhook/", "/health", "/metrics")):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


class TenantRoutingMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, answering an unknown host with a clean 404."""

    def no_tenant_found(self, request, hostname):
        return error_response("unknown_tenant", _("No tenant is served at this address."), 404)

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            connection.set_schema_to_public()
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
                return error_response(
                    "tenant_suspended",
                    _("%(name)s is suspended. Contact support.") % {"name": tenant.brand_name}, 403)
            return render(request, "tenants/suspended.html", {"tenant": tenant}, status=403)
        return self.get_response(request)

"""Console access: head-office roles on the public domain, checked with the API's permission classes."""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.shortcuts import redirect, render

from tenant_apps.accounts.throttles import over_login_rate
from tenants.connection import current_schema
from tenants.replica import reporting_reads

SESSION_SCHEMA_KEY = "portal_schema"
LOGIN_URL = "/console/login"


def bind_session_to_schema(request) -> None:
    request.session[SESSION_SCHEMA_KEY] = current_schema()


def rate_limited(request, scope: str) -> bool:
    """True when this client IP is over the API's rate for ``scope`` (shared counters with the API)."""
    return over_login_rate(request, scope)


def allowed(request, *permission_classes: Any) -> bool:
    return all(permission_class().has_permission(request, None) for permission_class in permission_classes)


def console_requires(*permission_classes: Any):
    """Log in first (on this domain), then every permission class, else a 403 page."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated and request.session.get(SESSION_SCHEMA_KEY) != current_schema():
                logout(request)
            if not request.user.is_authenticated:
                return redirect(f"{LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
            if not allowed(request, *permission_classes):
                return render(request, "headoffice/forbidden.html", status=403)
            if request.method in ("GET", "HEAD"):
                # Console pages are reports over every tenant: read them from the replica (writes never go there).
                with reporting_reads():
                    return view(request, *args, **kwargs)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate

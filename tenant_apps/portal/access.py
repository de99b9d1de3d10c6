"""Who may open a page: the API's own permission classes, applied to session-authenticated pages.

A page declares the same DRF permission class its API twin uses
(``IsOperatorSupport`` for the KYC queue...), so pages and API can never
disagree. Sessions are also bound to the schema that created them.
"""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.shortcuts import redirect, render

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.throttles import over_login_rate
from tenants.connection import current_schema

SESSION_SCHEMA_KEY = "portal_schema"


def bind_session_to_schema(request) -> None:
    """Call right after ``login()``: the session is only valid on this tenant."""
    request.session[SESSION_SCHEMA_KEY] = current_schema()


def session_matches_schema(request) -> bool:
    return request.session.get(SESSION_SCHEMA_KEY) == current_schema()


def rate_limited(request, scope: str) -> bool:
    """True when this client IP is over the API's rate for ``scope`` (pages and API share the counters)."""
    return over_login_rate(request, scope)


def allowed(request, *permission_classes: Any) -> bool:
    """True when every permission class lets ``request.user`` in (as the API would)."""
    for permission_class in permission_classes:
        try:
            if not permission_class().has_permission(request, None):
                return False
        except ApiError:  # e.g. PhoneVerified raising phone_not_verified
            return False
    return True


def page_requires(*permission_classes: Any, login_url: str = "/login"):
    """Decorator for page views: log in first, then the API's permission classes, else a 403 page."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.is_authenticated and not session_matches_schema(request):
                logout(request)
            if not request.user.is_authenticated:
                return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
            if not allowed(request, *permission_classes):
                return render(request, "portal/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate

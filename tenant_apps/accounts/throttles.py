"""Rate limits for the auth endpoints, per client IP, rates from ``settings.AUTH_THROTTLE_RATES``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class AuthRateThrottle(ScopedRateThrottle):
    """Scoped throttle keyed by REMOTE_ADDR (X-Forwarded-For is client-controlled)."""

    def get_rate(self) -> str | None:
        if self.scope is None:  # set by allow_request from the view's throttle_scope
            return None
        return settings.AUTH_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Any) -> str:
        return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_login_rate(request: Any, scope: str = "auth_login") -> bool:
    """True when this client IP is over the API's rate for ``scope``: login pages outside DRF (the Django
    admin) share the API's counters."""
    from rest_framework.views import APIView

    return not AuthRateThrottle().allow_request(request, APIView(throttle_scope=scope))

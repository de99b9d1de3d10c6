"""Rate limits for the auth endpoints, per client IP, rates from ``settings.AUTH_THROTTLE_RATES``.

Counted with an atomic Redis ``INCR`` per fixed window (``<scope>:<ident>:<window number>``): DRF's own
throttle reads the request history, then writes it back, so requests sent at once all read the same history
and all pass (60 registrations sent together from one address all got 201 under a 20/min limit). Like the
login lockout (``lockout.py``), each request is counted before it is judged. A fixed window lets at most
twice the rate through across a window's edge; never more.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class AuthRateThrottle(ScopedRateThrottle):
    """Scoped throttle keyed by REMOTE_ADDR (X-Forwarded-For is client-controlled), counted atomically."""

    _retry_after: float | None = None

    def get_rate(self) -> str | None:
        if self.scope is None:  # set by allow_request from the view's throttle_scope
            return None
        return settings.AUTH_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Any) -> str:
        return request.META.get("REMOTE_ADDR", "") or "unknown"

    def allow_request(self, request: Any, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view)
        if key is None or self.num_requests is None or not self.duration:
            return True
        now = self.timer()
        window = int(now // self.duration)
        counted = f"{key}:{window}"
        self.cache.add(counted, 0, timeout=self.duration)
        try:
            count = self.cache.incr(counted)
        except ValueError:  # expired between add and incr
            self.cache.set(counted, 1, timeout=self.duration)
            count = 1
        if count <= self.num_requests:
            return True
        self._retry_after = max((window + 1) * self.duration - now, 1.0)
        return False

    def wait(self) -> float | None:
        return self._retry_after


def over_login_rate(request: Any, scope: str = "auth_login") -> bool:
    """True when this client IP is over the API's rate for ``scope``: login pages outside DRF (the Django
    admin) share the API's counters."""
    from rest_framework.views import APIView

    return not AuthRateThrottle().allow_request(request, APIView(throttle_scope=scope))

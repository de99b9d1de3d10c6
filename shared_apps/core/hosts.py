"""Accept a request only for a Host that is a known tenant domain.

Django's ``ALLOWED_HOSTS`` is a static list, but tenants (and their domains)
are created at run time. In production ``KnownTenantHostMiddleware`` does the
host check instead: a host is valid when it is a row of the tenant domain
table. Known domains are cached in the process for ``TENANT_HOSTS_CACHE_SECONDS``;
a host missing from the cache is looked up once (one indexed query), so a new
tenant's domain works at once, and unknown hosts are remembered as unknown for
the same period (bounded), so junk Host headers cannot hammer the database.

Load balancer probes call ``/health`` with the task's IP as Host: an IP literal
on ``/health`` is answered by the health view directly (public schema).
"""

from __future__ import annotations

import ipaddress
import threading
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_tenants.utils import get_tenant_domain_model

from tenants.hosts import normalise_host

from .errors import error_response

_NEGATIVE_CACHE_LIMIT = 10_000


class TenantHostCache:
    """Process-local cache of the domains in the tenant domain table."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._known: frozenset[str] = frozenset()
        self._unknown: dict[str, float] = {}
        self._loaded_at = float("-inf")

    def _reload(self) -> None:
        domains = get_tenant_domain_model().objects.values_list("domain", flat=True)
        self._known = frozenset(normalise_host(domain) for domain in domains)
        self._unknown.clear()
        self._loaded_at = time.monotonic()

    def is_known(self, host: str) -> bool:
        host = normalise_host(host)
        now = time.monotonic()
        with self._lock:
            if now - self._loaded_at > self.ttl_seconds:
                self._reload()
            if host in self._known:
                return True
            seen_unknown = self._unknown.get(host)
            if seen_unknown is not None and now - seen_unknown <= self.ttl_seconds:
                return False
        exists = get_tenant_domain_model().objects.filter(domain__iexact=host).exists()
        with self._lock:
            if exists:
                self._known = self._known | {host}
            elif len(self._unknown) < _NEGATIVE_CACHE_LIMIT:
                self._unknown[host] = now
        return exists

    def clear(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class KnownTenantHostMiddleware:
    """400 ``unknown_host`` unless the Host header is a tenant domain (or an extra allowed host)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.cache = TenantHostCache(getattr(settings, "TENANT_HOSTS_CACHE_SECONDS", 60))
        self.extra_hosts = {normalise_host(host) for host in getattr(settings, "NEXUSTOP_EXTRA_ALLOWED_HOSTS", [])}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = normalise_host(request.META.get("HTTP_HOST", ""))
        if host and (host in self.extra_hosts or self.cache.is_known(host)):
            return self.get_response(request)
        if request.path == "/health" and _is_ip_literal(host):
            from tenants.connection import tenant_connection

            from .views import health

            tenant_connection().set_schema_to_public()
            return health(request)
        return error_response("unknown_host", "This address is not served here.", 400)

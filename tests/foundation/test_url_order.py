"""The purchase routes resolve first (issue 18), and that changes nothing: no other app matches their paths.

``urls_tenant`` includes ``tenant_apps.orders.urls`` before every other app, so ``POST /api/purchase`` is found
at the first include instead of after ~40 patterns. That is only the same site if no later pattern would have
answered an orders path first: checked here for every orders route, with a sample path for each converter.
"""

from __future__ import annotations

import re
import uuid

from django.urls import Resolver404, URLResolver, get_resolver

SAMPLES = {"uuid": str(uuid.UUID(int=7)), "int": "7", "str": "x", "slug": "x-1", "path": "x/y"}


def _sample_path(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda match: SAMPLES[match.group(1) or "str"], route)


def _orders_include(resolver: URLResolver) -> URLResolver:
    return next(pattern for pattern in resolver.url_patterns
                if isinstance(pattern, URLResolver)
                and getattr(pattern.urlconf_name, "__name__", pattern.urlconf_name) == "tenant_apps.orders.urls")


def test_the_orders_routes_come_first_and_no_other_pattern_answers_their_paths():
    tenant = get_resolver("nexustop.urls_tenant")
    orders = _orders_include(tenant)
    assert tenant.url_patterns[0] is orders  # the hottest path resolves at the first include
    routes = [str(pattern.pattern) for pattern in orders.url_patterns]
    assert "api/purchase" in routes
    for route in routes:
        path = "/" + _sample_path(route)
        assert tenant.resolve(path).func.__module__ == "tenant_apps.orders.views", path
        for other in tenant.url_patterns[1:]:
            try:
                match = other.resolve(path.lstrip("/"))  # a pattern answers None, an include raises
            except Resolver404:
                match = None
            assert match is None, f"{other!r} also answers {path}: the include order would matter"

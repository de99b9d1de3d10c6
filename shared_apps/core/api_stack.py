"""The lean middleware stack of the JSON API (issue 18): ``/api/`` requests skip what only pages need.

Every ``/api/`` route is a DRF view authenticated by the tenant JWT (``tests/foundation/test_api_stack.py``
checks it), exempt from CSRF, and uses neither messages, htmx nor static files. So :class:`ApiStackMiddleware`,
first in ``MIDDLEWARE``, hands an ``/api/`` request to a second chain built from the same ``MIDDLEWARE`` minus
:data:`PAGE_ONLY`: same order, same hooks (its own handler's view, template and exception middleware).
Everything that guards the API stays in it: request ids and the access log, the body guard, CSP and the
security headers, the host check, tenant routing and suspension, CORS, the risk gate's device signals, the PIN
header, the language of error messages, X-Frame-Options, metrics. The session and its user stay too, lazily:
an API client sends no session cookie (nothing is read), a signed-in browser's user picks the language of the
answer (never the authentication: that is the JWT). Any other path continues down the full chain. Both chains
are built once, when the handler loads.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"
SELF = "shared_apps.core.api_stack.ApiStackMiddleware"
# Middleware that does nothing an API request needs (each: why).
PAGE_ONLY = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "static files are not under /api/",
    "shared_apps.core.metrics.MetricsEndpointMiddleware": "answers /metrics and counts /webhook/ only",
    "django.middleware.csrf.CsrfViewMiddleware": "DRF views are CSRF-exempt (no session authentication)",
    "django_htmx.middleware.HtmxMiddleware": "htmx requests are pages",
    "django.contrib.messages.middleware.MessageMiddleware": "messages are shown on pages",
}


def api_middleware(middleware: list[str]) -> list[str]:
    """The API chain's middleware: ``middleware`` in order, without :data:`PAGE_ONLY` and this one."""
    return [path for path in middleware if path not in PAGE_ONLY and path != SELF]


class _ApiHandler(BaseHandler):
    _middleware_chain: Any  # set by load_middleware (django-stubs omit it)

    def load_api_middleware(self) -> None:
        configured = settings.MIDDLEWARE
        # BaseHandler reads settings.MIDDLEWARE; swapped while this handler loads (at start-up, once).
        settings.MIDDLEWARE = api_middleware(list(configured))
        try:
            self.load_middleware(is_async=False)
        finally:
            settings.MIDDLEWARE = configured


class ApiStackMiddleware:
    """First in ``MIDDLEWARE``: ``/api/`` requests go down the lean chain, anything else down this one."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        handler = _ApiHandler()
        handler.load_api_middleware()
        self.api_chain = handler._middleware_chain

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return self.api_chain(request)
        return self.get_response(request)

"""Content-Security-Policy on every response, with a fresh nonce per request.

Pages (portal, back office, console, Django admin, API docs) load scripts and styles from this
origin only; the few inline ``<style>`` blocks carry the request's nonce (``{{ csp_nonce }}``,
context processor below; django-htmx's ``{% htmx_script %}`` reads the same variable). No inline
script, no ``eval``, no style attribute, no plugin, no framing, no ``<base>``; forms post to this
origin or to the https checkout pages of payment gateways. Non-HTML answers (JSON, CSV, files) get
``default-src 'none'``: they never need to load anything.

Settings: ``CONTENT_SECURITY_POLICY`` (settings/integrations/security.py): ``IMG_SRC`` (tenant logos
are https URLs), ``FORM_ACTION`` (development and tests add the local gateway simulators),
``REPORT_URI`` (optional).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings

HEADER = "Content-Security-Policy"
NON_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _conf(name: str) -> Any:
    defaults = {"IMG_SRC": ["'self'", "data:", "https:"], "FORM_ACTION": ["'self'", "https:"], "REPORT_URI": ""}
    return getattr(settings, "CONTENT_SECURITY_POLICY", {}).get(name, defaults[name])


def page_policy(nonce: str) -> str:
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src " + " ".join(_conf("IMG_SRC")),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action " + " ".join(_conf("FORM_ACTION")),
    ]
    if _conf("REPORT_URI"):
        directives.append(f"report-uri {_conf('REPORT_URI')}")
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """Mints ``request.csp_nonce`` before the view runs and sets the header on the way out (a view
    that set its own policy keeps it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if HEADER not in response:
            content_type = response.get("Content-Type", "")
            html = content_type.startswith("text/html")
            response[HEADER] = page_policy(request.csp_nonce) if html else NON_HTML_POLICY
        return response


def csp_nonce(request) -> dict:
    """Template context processor: ``{{ csp_nonce }}`` for ``<style nonce=...>`` and ``{% htmx_script %}``."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}

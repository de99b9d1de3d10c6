"""Absolute links to a tenant's pages in invitation messages (the invitee opens them in a browser).

With a request (an invitation sent from a page or the API), the link takes the request's scheme and port
(``http://quickvend.localhost:8000`` under ``make run``); without one, ``settings.PUBLIC_SITE_SCHEME`` and
``PUBLIC_SITE_PORT`` (https on the default port in production; ``make run``: http on its PORT).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http.request import split_domain_port

# The portal's page that accepts an invitation (tenant_apps.portal.invitation; the API twin is
# POST /api/agents/invitations/accept). A literal: links are also built outside a request's URLconf.
INVITATION_PAGE = "/agent/invitation"
DEFAULT_PORTS = {"http": 80, "https": 443}


def site_url(domain: str, *, request: Any = None) -> str:
    """``scheme://domain[:port]`` of a tenant domain: the request's scheme and port, else the settings'."""
    if request is not None:
        scheme, port = request.scheme, split_domain_port(request.get_host())[1]
    else:
        scheme, port = settings.PUBLIC_SITE_SCHEME, str(settings.PUBLIC_SITE_PORT or "")
    shown = f":{port}" if port and int(port) != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{domain}{shown}"


def invitation_page(*, request: Any = None, domain: str = "") -> str:
    """The accept page's absolute URL (the token is appended by ``services.invite``): on the request's own
    site, or on ``domain``'s (a reseller brand just provisioned)."""
    if request is not None and not domain:
        return request.build_absolute_uri(INVITATION_PAGE)
    return site_url(domain, request=request) + INVITATION_PAGE

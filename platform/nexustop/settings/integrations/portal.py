"""Web pages: the branded tenant portal, the operator back office and the head-office console.

Pages use Django sessions (cookie per host: a session made on ng.localhost is
unknown on sn.localhost, and the session also records its schema) with CSRF on
every form; the API keeps its JWTs. Static files are served by WhiteNoise; the
CSS is a committed Tailwind build (see docs/portal.md for the rebuild command).
"""

from __future__ import annotations

from typing import Literal

from ..env import env_bool, env_int, env_str

# Sessions for pages: HTTP-only cookies, not sent cross-site, 8 hours, renewed on use.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = False
# htmx sends the token from the page (hx-headers), so the CSRF cookie stays HTTP-only too.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE: Literal["Lax", "Strict", "None", False] | None = "Lax"

LOGIN_URL = "/login"

# Absolute links to a tenant's site sent without a request to copy them from (a reseller brand's setup link in
# its approval message, tenant_apps/agents/links.py): https on the default port; dev.py: http on make run's PORT.
PUBLIC_SITE_SCHEME = env_str("PUBLIC_SITE_SCHEME", "") or "https"
PUBLIC_SITE_PORT = env_int("PUBLIC_SITE_PORT", 0)  # 0: the scheme's default port

# WhiteNoise: serve straight from the apps' static folders unless collectstatic ran (prod).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)

PORTAL_PAGE_SIZE = 25

# Days a shared receipt link (/r/<token>) opens for; fixed when the link is made. Past it the link refuses like a
# revoked one and sharing again makes a new link.
RECEIPT_LINK_TTL_DAYS = env_int("RECEIPT_LINK_TTL_DAYS", 30)

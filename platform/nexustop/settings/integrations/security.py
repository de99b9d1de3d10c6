"""Security headers, CORS, HTTPS (tightened further in prod.py)."""

from __future__ import annotations

from typing import Any

from ..env import env_list, env_str

# --- CORS (django-cors-headers): exact origins only, API paths only ---------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_ALL_ORIGINS = False
CORS_URLS_REGEX = r"^/api/.*$"
# Tokens travel in the Authorization header, not cookies.
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
    "x-device-id",  # tenant_apps.risk: the app's device id
    "x-step-up",  # tenant_apps.risk: the step-up challenge a repeated payment passed
)
CORS_EXPOSE_HEADERS = ("x-request-id", "retry-after")
CORS_PREFLIGHT_MAX_AGE = 3600

# --- headers every environment sends --------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- host validation --------------------------------------------------------------------
# In production KnownTenantHostMiddleware accepts a Host only when it is a tenant
# domain (shared_apps/core/hosts.py); these are accepted besides them.
NEXUSTOP_EXTRA_ALLOWED_HOSTS = env_list("NEXUSTOP_EXTRA_ALLOWED_HOSTS", [])
# The head office's own domain (public schema); `manage.py ensure_public_tenant` registers it.
NEXUSTOP_PUBLIC_DOMAIN = env_str("NEXUSTOP_PUBLIC_DOMAIN", "localhost")
TENANT_HOSTS_CACHE_SECONDS = 60

# --- outbound requests to URLs users supply (shared_apps/core/outbound.py: reseller webhooks...) ------------
# https to public addresses only, checked at registration and again at each request after DNS resolution.
# ALLOW_LOOPBACK lets http(s) reach 127.0.0.1/::1 (the local simulators and test receivers): development and
# test settings only; prod.py forces it off. CA_BUNDLE: extra trust for tests (empty: certifi).
OUTBOUND_URLS: dict[str, Any] = {
    "ALLOW_LOOPBACK": False,
    "TIMEOUT_SECONDS": 5.0,
    "MAX_URL_LENGTH": 2048,
    "CA_BUNDLE": "",
}

# --- Content-Security-Policy (shared_apps/core/csp.py) ----------------------------------------------
# Scripts and styles from this origin (inline ones only with the request's nonce). Images also from
# https (tenant logos) and data: URLs; forms post here or to an https gateway checkout.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "IMG_SRC": ["'self'", "data:", "https:"],
    "FORM_ACTION": ["'self'", "https:"],
    "REPORT_URI": "",
}

"""Security headers, CORS, HTTPS (tightened further in prod.py)."""

from __future__ import annotations

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

"""Production: secrets from the environment, HTTPS only, hosts from tenant domains.

Every variable is listed, with its meaning, in ``.env.example``; those marked
"required in production" are injected by ECS (infra/terraform/modules/compute,
secrets from Secrets Manager) and this module refuses to load without them, or
with a development stand-in (simulator URL, ``sim-`` key, key derived from
SECRET_KEY): see ``production_guard``. ``manage.py check --deploy`` is clean
with them (tests/infra/test_prod_settings.py, tests/infra/test_config_parity.py).
"""

from django.core.exceptions import ImproperlyConfigured

from . import production_guard
from .base import *  # noqa: F403
from .base import DATABASES, KYC_VERIFIER, MIDDLEWARE
from .env import env_int, env_list, env_str
from .integrations.auth import jwt_signing_key

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of at least 50 characters.")
# JWTs are signed with JWT_SIGNING_KEY, else a key derived from DJANGO_SECRET_KEY; a short explicit key is refused.
if env_str("JWT_SIGNING_KEY") and len(env_str("JWT_SIGNING_KEY")) < 32:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must be a random value of at least 32 characters (or unset).")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": jwt_signing_key(SECRET_KEY)}  # noqa: F405
# Rotation: the previous key stays valid for signatures while sessions roll over (docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])
DEBUG = False

# --- no development stand-ins ---------------------------------------------------------------
# Each name is [required] in .env.example; without it a development default would silently apply
# (a loopback database or Redis, a made-up bucket, a simulator, a key derived from SECRET_KEY).
_VERIFIER = KYC_VERIFIER["ENABLED"]
_PROBLEMS = production_guard.problems(
    required={"DATABASE_URL": env_str("DATABASE_URL"), "REDIS_URL": env_str("REDIS_URL"),
              "KYC_DOCUMENTS_BUCKET": env_str("KYC_DOCUMENTS_BUCKET"),
              "NEXUSTOP_PUBLIC_DOMAIN": env_str("NEXUSTOP_PUBLIC_DOMAIN"),
              **({"KYC_VERIFIER_PARTNER_ID": env_str("KYC_VERIFIER_PARTNER_ID")} if _VERIFIER else {})},
    secret_key=SECRET_KEY,
    secret_key_fallbacks=SECRET_KEY_FALLBACKS,
    jwt_signing_key=env_str("JWT_SIGNING_KEY"),
    encryption_keys={"KYC_ENCRYPTION_KEYS": env_list("KYC_ENCRYPTION_KEYS", []),
                     "PROVIDER_CREDENTIALS_KEYS": env_list("PROVIDER_CREDENTIALS_KEYS", []),
                     "RESELLER_SECRET_KEYS": env_list("RESELLER_SECRET_KEYS", [])},
    endpoints={"SMS_GATEWAY_URL": env_str("SMS_GATEWAY_URL"),
               **({"KYC_VERIFIER_URL": env_str("KYC_VERIFIER_URL")} if _VERIFIER else {})},
    api_keys={"SMS_GATEWAY_API_KEY": env_str("SMS_GATEWAY_API_KEY"),
              **({"KYC_VERIFIER_API_KEY": env_str("KYC_VERIFIER_API_KEY")} if _VERIFIER else {})},
)
if _PROBLEMS:
    raise ImproperlyConfigured("Production configuration refused (see .env.example):\n- " + "\n- ".join(_PROBLEMS))

# --- hosts -----------------------------------------------------------------------
# Tenants and their domains are created at run time, so the Host check is done by
# KnownTenantHostMiddleware against the tenant domain table (cached), not by a
# static list: ALLOWED_HOSTS stays open and the middleware runs before anything
# reads the host.
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"])
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("tenants.middleware.TenantRoutingMiddleware"), "shared_apps.core.hosts.KnownTenantHostMiddleware"
)

# --- HTTPS only -----------------------------------------------------------------------
# TLS ends at CloudFront/the ALB, which set X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^health$"]  # load balancer probes speak plain HTTP inside the VPC
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
USE_X_FORWARDED_HOST = False

# --- outbound requests to user-supplied URLs: public https only, whatever the environment says -----------
OUTBOUND_URLS = {**OUTBOUND_URLS, "ALLOW_LOOPBACK": False}  # noqa: F405

# --- database ---------------------------------------------------------------------------
# The password comes from the RDS-managed secret, separately from the URL.
DATABASES["default"]["PASSWORD"] = env_str("DATABASE_PASSWORD", DATABASES["default"]["PASSWORD"])
# RDS Proxy pins sessions (django-tenants sets search_path); keep connections a while.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 300)

# --- migrate_schemas in parallel across tenant schemas (migrate task) ---------------------
# `migrate_schemas --tenant --executor=multiprocessing`: figures in docs/benchmarks.md.
TENANT_MULTIPROCESSING_MAX_PROCESSES = env_int("TENANT_MULTIPROCESSING_MAX_PROCESSES", 4)
TENANT_MULTIPROCESSING_CHUNKS = env_int("TENANT_MULTIPROCESSING_CHUNKS", 10)

# --- static files: whitenoise, hashed and compressed at build time (collectstatic) ---------
if "whitenoise.middleware.WhiteNoiseMiddleware" not in MIDDLEWARE:  # base.py already serves static files
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    **globals().get("STORAGES", {}),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Hashed files get a one-year "immutable" cache automatically; unhashed ones a minute.
WHITENOISE_MAX_AGE = 60

"""Benchmarks (``manage.py bench_purchases`` starts its web server and worker with these): production-like.

What a benchmark measures must be what production runs, so this is ``prod.py`` minus only what a laptop
cannot provide, and nothing added but the bench commands' app:

* same as production: ``DEBUG`` off (no debug cursor wrapper, no query log), the tenant Host check
  middleware, the proxy header and HTTPS redirect (the bench client sends ``X-Forwarded-Proto: https``
  like the load balancer), persistent database connections (``CONN_MAX_AGE`` 300 s), the worker's
  connection reuse and the prepared statements of ``integrations/database.py``;
* not production: the secrets (the bench process passes its own ``DJANGO_SECRET_KEY`` so the JWTs it
  mints verify in the web server), the required S3/SMS/KYC endpoints that ``prod.py`` insists on, the
  hashed static files storage (needs ``collectstatic``), outbound requests to loopback (the
  provider simulator listens on 127.0.0.1), and the ``nexustop_dev`` app that holds the bench commands
  (management commands only: no models, middleware, URLs or signals).
"""

from .base import *  # noqa: F403
from .base import DATABASES, MIDDLEWARE
from .env import env_int, env_str
from .installation import installation_secret
from .integrations.auth import jwt_signing_key

# The development tooling (bench, fuzz and fault-injection commands): never in production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "nexustop_dev"]  # noqa: F405

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or installation_secret("django-secret-key")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": jwt_signing_key(SECRET_KEY)}  # noqa: F405

ALLOWED_HOSTS = ["*"]
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("tenants.middleware.TenantRoutingMiddleware"), "shared_apps.core.hosts.KnownTenantHostMiddleware"
)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
USE_X_FORWARDED_HOST = False

DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 300)

# The provider simulator is on 127.0.0.1 (production: public https only).
OUTBOUND_URLS = {**OUTBOUND_URLS, "ALLOW_LOOPBACK": True}  # noqa: F405

"""Settings shared by every environment.

Integration-specific settings live in ``settings/integrations/*`` and are
star-imported at the bottom so each integration is readable on its own.
"""

from __future__ import annotations

from pathlib import Path

from .env import env_bool, env_int, env_list, env_str

PROJECT_ROOT = Path(__file__).resolve().parents[3]
BASE_DIR = PROJECT_ROOT

# No default here: dev.py and test.py fall back to the installation's random secret (settings/installation.py),
# prod.py requires DJANGO_SECRET_KEY. Nothing is ever derived from a value published in this repository.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", ".localhost", "127.0.0.1", "testserver"])

# --- tenancy (django-tenants) -------------------------------------------------
# Public schema: head office, tenants, catalog, provider registry, country config.
SHARED_APPS = [
    "tenants",  # first: its create_tenant command replaces django-tenants' one
    "django_tenants",
    "pgtrigger",
    "countries",
    "django_countries",  # CountryField (countries.fields) and its country names in en/fr/pt
    "shared_apps.core",
    "shared_apps.catalog",
    "shared_apps.providers",
    # Cross-border remittances: corridor clearing accounts and their own small ledger (public schema only).
    "shared_apps.remittance_hub",
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here (no CDN: CSP, privacy)
    "corsheaders",
    "django_prometheus",
    # Users exist in both: head-office staff in public, each tenant's users in its schema.
    "tenant_apps.accounts",
    "rest_framework_simplejwt.token_blacklist",  # head-office tokens (public schema)
    "tenant_apps.audit",  # platform audit (head-office logins, role changes)
    "django_htmx",
    "tenant_apps.headoffice",  # head-office console (server-rendered pages on the public domain)
]

# Tenant schemas: everything holding a tenant's people and money.
TENANT_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tenant_apps.accounts",
    "rest_framework_simplejwt.token_blacklist",
    "tenant_apps.audit",
    "tenant_apps.kyc",
    "tenant_apps.idempotency",
    "tenant_apps.ledger",
    "tenant_apps.wallet",
    "tenant_apps.orders",
    "tenant_apps.subscriptions",
    "tenant_apps.pricing",
    "tenant_apps.agents",
    "tenant_apps.cash",  # agent cash-in / cash-out
    "tenant_apps.pins",  # the transaction PIN (web/API threshold, USSD, agent cash-in confirmation)
    "tenant_apps.ussd",  # the USSD channel (Africa's Talking callback protocol)
    "tenant_apps.risk",  # risk rules, decisions, step-up, devices
    "tenant_apps.notifications",
    "tenant_apps.portal",  # branded customer portal and operator back office (pages)
    "tenant_apps.merchants",  # merchant payments: code / EMVCo QR, refunds, fees, daily settlement
    "tenant_apps.savings",  # savings circles (ajo / esusu / tontine) and target savings
    "tenant_apps.bulk",  # bulk top-ups (CSV) for agents and resellers
    "tenant_apps.receipts",  # shareable receipt links and PDFs
    "tenant_apps.remittances",  # cross-border remittances (quotes, corridors; money crosses via the hub)
    "tenant_apps.tax",  # tax reports per period from the ledger's tax accounts (countries/tax.py: which taxes)
    "tenant_apps.provider_archive",  # every provider request/response, redacted, per attempt
    "tenant_apps.privacy",  # data-subject rights: export, erasure, retention purge
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "nexustop.urls_public"
ROOT_URLCONF = "nexustop.urls_tenant"
# New tenants are cloned from a migrated template schema (measured faster than
# replaying migrations: see docs/benchmarks.md).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# DATABASE_ROUTERS: integrations/database.py (replica reads, then django-tenants).

MIDDLEWARE = [
    # /api/ requests go down a lean copy of this list (no sessions, CSRF, messages, htmx, static files):
    # shared_apps.core.api_stack.
    "shared_apps.core.api_stack.ApiStackMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "shared_apps.core.middleware.RequestIdMiddleware",
    # The request's hot cache keys in one Redis MGET (shared_apps.core.redis_cache).
    "shared_apps.core.redis_cache.RequestSnapshotMiddleware",
    "countries.middleware.OverridesMemoMiddleware",
    "shared_apps.core.middleware.RequestLogMiddleware",
    # Bodies bounded (size, JSON depth, media type) before any view reads them; API errors always JSON.
    "shared_apps.core.request_guard.RequestGuardMiddleware",
    "shared_apps.core.metrics.MetricsEndpointMiddleware",
    # Content-Security-Policy with a per-request nonce, on every response (pages, admin, API docs, errors).
    "shared_apps.core.csp.ContentSecurityPolicyMiddleware",
    # Static files (the committed Tailwind build) before tenant routing: no database hit.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    "tenants.middleware.SuspendedTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Device id (web cookie / X-Device-Id), client IP and step-up proof for the risk gate (tenant_apps.risk).
    "tenant_apps.risk.middleware.DeviceMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Answers to a signed-in person (session, JWT or API key) are never stored by a browser or proxy: no-store.
    "shared_apps.core.middleware.PrivateResponseCacheMiddleware",
    # The transaction PIN a money request presents (X-Transaction-PIN / the form's transaction_pin), for
    # idempotency.services.run_idempotently to check (tenant_apps.pins.gate).
    "tenant_apps.pins.middleware.TransactionPinMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # LocaleMiddleware choosing user > Accept-Language > tenant default (after auth: it reads request.user).
    "countries.middleware.TenantLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django_prometheus.middleware.PrometheusAfterMiddleware, each labelled child kept (same metrics).
    "shared_apps.core.metrics.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shared_apps.core.context_processors.branding",
                "shared_apps.core.csp.csp_nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "nexustop.wsgi.application"
ASGI_APPLICATION = "nexustop.asgi.application"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("pt", "Português")]
LOCALE_PATHS = [PROJECT_ROOT / "locale"]
# English dates day first (07/12/2026), as West Africa writes them: platform/nexustop/formats/en/formats.py
FORMAT_MODULE_PATH = ["nexustop.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = PROJECT_ROOT / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The West African countries this deployment may serve (adapters in countries/).
NEXUSTOP_COUNTRIES = [
    "BJ", "BF", "CV", "CI", "GM", "GH", "GN", "GW", "LR", "ML", "MR", "NE", "NG", "SN", "SL", "TG",
]
# django-countries lists (forms, admin filters, names) only these; model fields use countries.fields.CountryField
# (the same 16, whatever a deployment serves, so stored rows always validate).
COUNTRIES_ONLY = list(NEXUSTOP_COUNTRIES)

from .integrations.api import *  # noqa: E402, F403
from .integrations.auth import *  # noqa: E402, F403
from .integrations.cache import *  # noqa: E402, F403
from .integrations.cash import *  # noqa: E402, F403
from .integrations.celery import *  # noqa: E402, F403
from .integrations.channels import *  # noqa: E402, F403
from .integrations.database import *  # noqa: E402, F403
from .integrations.i18n import *  # noqa: E402, F403
from .integrations.ledger import *  # noqa: E402, F403
from .integrations.logging import *  # noqa: E402, F403
from .integrations.merchants import *  # noqa: E402, F403
from .integrations.observability import *  # noqa: E402, F403
from .integrations.orders import *  # noqa: E402, F403
from .integrations.portal import *  # noqa: E402, F403
from .integrations.privacy import *  # noqa: E402, F403
from .integrations.providers import *  # noqa: E402, F403
from .integrations.remittances import *  # noqa: E402, F403
from .integrations.resellers import *  # noqa: E402, F403
from .integrations.risk import *  # noqa: E402, F403
from .integrations.savings import *  # noqa: E402, F403
from .integrations.security import *  # noqa: E402, F403
from .integrations.storage import *  # noqa: E402, F403
from .integrations.storefront import *  # noqa: E402, F403

# --- demo (`make run`) ---------------------------------------------------------
# Extra processes (name, python args) and demo seeders (dotted callables run by
# `seed_demo` after the demo tenants exist), composed here from each integration.
DEVSTACK_PROCESSES = [SIMULATORS_DEVSTACK_PROCESS]  # noqa: F405
# GET /api/countries/<code>: callables (country=, data=) -> data that refine the adapter's defaults.
COUNTRY_DETAIL_EXTENDERS = ["shared_apps.providers.selectors.country_providers"]
DEMO_SEEDERS = [
    "shared_apps.providers.demo.seed_demo_providers",
    "tenant_apps.notifications.demo.sms_outbox_lines",
    "tenant_apps.wallet.demo.seed_demo_gateways",
    "tenant_apps.agents.demo.seed_demo_resellers",
    "tenant_apps.cash.demo.seed_demo_cash",
    "tenant_apps.remittances.demo.seed_demo_corridors",
    "tenant_apps.orders.demo.seed_demo_history",  # 30 days of orders, fundings, transfers (after agents/floats)
    "tenant_apps.portal.demo.portal_demo_lines",
    "tenant_apps.ussd.demo.seed_demo_ussd",
]

# Host -> tenant lookups cached per process (tenants.middleware); suspensions made in another
# process show within this many seconds (at once in the process that made them). 0 turns it off.
TENANT_ROUTING_CACHE_SECONDS = env_int("TENANT_ROUTING_CACHE_SECONDS", 5)

"""Observability: Prometheus metrics (/metrics, access-restricted) and Sentry.

Structured logs are configured in ``integrations/logging.py``. Business metrics
are defined in ``shared_apps/core/metrics.py``.
"""

from __future__ import annotations

import os

from ..env import env_list, env_str

# --- Prometheus -----------------------------------------------------------------
METRICS_PATH = "/metrics"
# Scrapers authenticate with this bearer token ...
METRICS_BEARER_TOKEN = env_str("METRICS_BEARER_TOKEN", "")
# ... or come from one of these addresses/networks (TCP peer, never X-Forwarded-For).
# Production sets 127.0.0.1: the CloudWatch agent sidecar in the same task.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
# Celery queues whose depth is reported (default: CELERY_TASK_DEFAULT_QUEUE).
METRICS_CELERY_QUEUES = env_list("METRICS_CELERY_QUEUES", [])
# Multiprocess mode (gunicorn workers, Celery prefork children): every process
# writes its samples under this directory, which must exist before the first
# metric object is created (gunicorn.conf.py empties it at start).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
# django-prometheus: no separate export port; its metrics join ours at /metrics.
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Sentry -----------------------------------------------------------------------
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)

if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=env_str("APP_VERSION", "") or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
        # KYC numbers, phone numbers and credentials must never leave the region.
        send_default_pii=False,
    )

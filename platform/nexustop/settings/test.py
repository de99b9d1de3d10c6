"""Test run: real PostgreSQL and Redis, fast hashing, a private Celery queue.

Under pytest-xdist every worker gets its own Redis database (the base one plus its
index + 1): tests clear the cache, and a FLUSHDB must never wipe another worker's
lockout counters, circuit breakers or Celery queue. pytest-django already gives each
worker its own test database (``test_<name>_gw<N>``).
"""

import os
import uuid
from urllib.parse import urlparse, urlunparse

from .base import *  # noqa: F403
from .base import CACHES, CELERY_BROKER_URL, CELERY_RESULT_BACKEND, REDIS_URL
from .env import env_str
from .installation import installation_secret
from .integrations.auth import jwt_signing_key

# The development tooling (bench, fuzz and fault-injection commands): never in production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "nexustop_dev"]  # noqa: F405

# The tests' own random secret (.local/secrets/test-secret-key; child processes read the same file).
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or installation_secret("test-secret-key")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": jwt_signing_key(SECRET_KEY)}  # noqa: F405
DEMO_PASSWORD = installation_secret("test-demo-password", nbytes=12, min_length=16)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", f"nexustop-test-{uuid.uuid4().hex[:8]}")


def _redis_db_for_worker(url: str, worker: str) -> str:
    """``redis://h:6379/1`` for worker ``gw2`` -> ``redis://h:6379/4`` (16 databases, wrapping)."""
    parsed = urlparse(url)
    base = int(parsed.path.lstrip("/") or 0)
    return urlunparse(parsed._replace(path=f"/{(base + int(worker[2:]) + 1) % 16}"))


_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw"):
    _shared_redis = REDIS_URL
    REDIS_URL = _redis_db_for_worker(REDIS_URL, _XDIST_WORKER)
    CACHES = {**CACHES, "default": {**CACHES["default"], "LOCATION": REDIS_URL}}
    if CELERY_BROKER_URL == _shared_redis:
        CELERY_BROKER_URL = REDIS_URL
    if CELERY_RESULT_BACKEND == _shared_redis:
        CELERY_RESULT_BACKEND = REDIS_URL

# Reseller webhooks may target the local simulators and receivers (http://127.0.0.1:...); never in production.
OUTBOUND_URLS = {**OUTBOUND_URLS, "ALLOW_LOOPBACK": True}  # noqa: F405
# The local gateway simulators' checkout pages are plain http on 127.0.0.1.
CONTENT_SECURITY_POLICY = {**CONTENT_SECURITY_POLICY,  # noqa: F405
                           "FORM_ACTION": [*CONTENT_SECURITY_POLICY["FORM_ACTION"], "http://127.0.0.1:*"]}  # noqa: F405

# Crash tests (tests/remittances/test_worker_crash.py): a worker started with REMITTANCE_PAUSE_AFTER=hub_in sleeps
# after that step's commit, so the test can kill it between the two schemas. Never set outside tests.
REMITTANCE_PAUSE_AFTER = env_str("REMITTANCE_PAUSE_AFTER", "")

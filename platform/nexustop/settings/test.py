"""Test run: real PostgreSQL and Redis, fast hashing, a private Celery queue."""

import uuid

from .base import *  # noqa: F403
from .env import env_str

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", f"nexustop-test-{uuid.uuid4().hex[:8]}")

# Reseller webhooks may target the local simulators and receivers (http://127.0.0.1:...); never in production.
OUTBOUND_URLS = {**OUTBOUND_URLS, "ALLOW_LOOPBACK": True}  # noqa: F405

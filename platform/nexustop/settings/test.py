"""Test run: real PostgreSQL and Redis, fast hashing, a private Celery queue."""

import uuid

from .base import *  # noqa: F403
from .env import env_str
from .installation import installation_secret
from .integrations.auth import jwt_signing_key

# The tests' own random secret (.local/secrets/test-secret-key; child processes read the same file).
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or installation_secret("test-secret-key")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": jwt_signing_key(SECRET_KEY)}  # noqa: F405
DEMO_PASSWORD = installation_secret("test-demo-password", nbytes=12, min_length=16)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", f"nexustop-test-{uuid.uuid4().hex[:8]}")

# Reseller webhooks may target the local simulators and receivers (http://127.0.0.1:...); never in production.
OUTBOUND_URLS = {**OUTBOUND_URLS, "ALLOW_LOOPBACK": True}  # noqa: F405
# The local gateway simulators' checkout pages are plain http on 127.0.0.1.
CONTENT_SECURITY_POLICY = {**CONTENT_SECURITY_POLICY,  # noqa: F405
                           "FORM_ACTION": [*CONTENT_SECURITY_POLICY["FORM_ACTION"], "http://127.0.0.1:*"]}  # noqa: F405

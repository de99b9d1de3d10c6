"""Celery on Redis (tenant-aware through tenant-schemas-celery)."""

from __future__ import annotations

from ..env import env_bool, env_int, env_str
from .cache import REDIS_URL

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {}
# One queue name per deployment (tests use a unique one so a stray worker never steals their tasks).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "nexustop")
# tenant-schemas-celery looks the task's tenant up by schema name before every task; cache it per
# worker process (a tenant's country/kind/parent do not change; same bound as the web's routing cache).
CELERY_TASK_TENANT_CACHE_SECONDS = env_int("CELERY_TASK_TENANT_CACHE_SECONDS", 5)
# Celery's Django fixup closes every database connection before and after each task unless this is set: one
# new PostgreSQL session per task (a backend fork and authentication, ~20 ms of PostgreSQL CPU, measured in
# docs/benchmarks.md). Set, it closes them only every N tasks (per process); in between, nexustop.celery
# runs Django's close_old_connections() around each task, as a web request does: a connection in error or
# older than CONN_MAX_AGE is replaced, a reused one is health-checked (CONN_HEALTH_CHECKS). 0: the old
# behaviour (a new connection per task), for a pooler that must see every client disconnect.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000) or None
# Each worker process leaves what it made at startup (Django, the apps, the task modules: ~180,000 objects) out
# of the garbage collector's full collections, as the dispatcher does (ORDERS_DISPATCH_GC_FREEZE): a full
# collection then skips them (~100 ms of CPU each), and so does the interpreter's exit (~0.6 s of CPU per
# stop). 0: no freeze.
CELERY_WORKER_GC_FREEZE = env_bool("CELERY_WORKER_GC_FREEZE", True)

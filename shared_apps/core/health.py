"""Dependency checks for ``GET /health``: database, Redis, Celery broker."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection


def _timed(check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure means "down"; the type tells the operator why
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _check_broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=1, timeout=1)


def run_health_checks() -> dict:
    checks = {
        "database": _timed(_check_database),
        "redis": _timed(_check_redis),
        "broker": _timed(_check_broker),
    }
    return {"status": "ok" if all(item["ok"] for item in checks.values()) else "degraded", "checks": checks}

"""Purchases: requery backoff, manual-review bound, outbox sweeper, circuit breaker, duplicate guard."""

from __future__ import annotations

from ..env import env_bool, env_int, env_str
from .celery import CELERY_BEAT_SCHEDULE


def _floats(raw: str) -> list[float]:
    return [float(part) for part in raw.split(",") if part.strip()]


# Seconds to wait before each requery of a pending order (the last value repeats).
ORDERS_REQUERY_BACKOFF_SECONDS = _floats(env_str("ORDERS_REQUERY_BACKOFF", "5,15,30,60,120,300,600,1800"))
# After this many requeries, or this age, a still-pending order goes to manual review (never auto-failed).
ORDERS_REQUERY_MAX = env_int("ORDERS_REQUERY_MAX", 20)
ORDERS_MANUAL_REVIEW_AFTER_SECONDS = env_int("ORDERS_MANUAL_REVIEW_AFTER_SECONDS", 6 * 3600)
# VTPass 015 (unknown request id) stays pending this long (a submit may still be in flight), then fails.
ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS = env_int("ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS", 600)
# Outbox rows (and due requeries) not done after this many seconds are re-enqueued by the sweeper.
ORDERS_OUTBOX_STALE_SECONDS = env_int("ORDERS_OUTBOX_STALE_SECONDS", 60)
ORDERS_SWEEP_INTERVAL_SECONDS = env_int("ORDERS_SWEEP_INTERVAL_SECONDS", 30)
CELERY_BEAT_SCHEDULE["orders-sweep"] = {"task": "orders.sweep", "schedule": float(ORDERS_SWEEP_INTERVAL_SECONDS)}

# The dispatcher (manage.py run_dispatcher, tenant_apps/orders/dispatch): orders claimed per batch and tenant,
# how long a claim is leased (a dead dispatcher's orders are claimed again after it; longer than any
# provider timeout), the safety-net scan of every tenant when no notification came, calls in flight per
# provider registry row (its keep-alive pool) and in all.
ORDERS_DISPATCH_BATCH = env_int("ORDERS_DISPATCH_BATCH", 64)
ORDERS_DISPATCH_LEASE_SECONDS = env_int("ORDERS_DISPATCH_LEASE_SECONDS", 90)
ORDERS_DISPATCH_SCAN_SECONDS = float(env_str("ORDERS_DISPATCH_SCAN_SECONDS", "2"))
ORDERS_DISPATCH_PROVIDER_CONCURRENCY = env_int("ORDERS_DISPATCH_PROVIDER_CONCURRENCY", 32)
ORDERS_DISPATCH_MAX_IN_FLIGHT = env_int("ORDERS_DISPATCH_MAX_IN_FLIGHT", 256)
# Startup objects left out of the garbage collector's full collections (gc.freeze; dispatch/runner.py).
ORDERS_DISPATCH_GC_FREEZE = env_bool("ORDERS_DISPATCH_GC_FREEZE", True)
# While calls are in flight, a tenant is claimed at most once per this many ms (unless a batch is ready), so
# that a busy tenant's new rows come in one batch instead of one claim per NOTIFY; an idle dispatcher claims
# at once (dispatch/runner.py gather_wait).
ORDERS_DISPATCH_GATHER_MS = env_int("ORDERS_DISPATCH_GATHER_MS", 80)
# LISTEN needs a session of its own: PostgreSQL itself, never a transaction pooler (default: the database).
ORDERS_DISPATCH_LISTEN_URL = env_str("ORDERS_DISPATCH_LISTEN_URL", "")
# Measurement only: a path where the dispatcher writes the cProfile stats (CPU time) of all its threads when it
# stops (dispatch/runner.py); empty: no profiling.
ORDERS_DISPATCH_PROFILE = env_str("ORDERS_DISPATCH_PROFILE", "")

# Circuit breaker (Redis, global): N faults within the window open it for the cool-down.
ORDERS_BREAKER_PREFIX = env_str("ORDERS_BREAKER_PREFIX", "nexustop:breaker")
ORDERS_BREAKER_FAILURES = env_int("ORDERS_BREAKER_FAILURES", 5)
ORDERS_BREAKER_WINDOW_SECONDS = env_int("ORDERS_BREAKER_WINDOW_SECONDS", 60)
ORDERS_BREAKER_COOLDOWN_SECONDS = env_int("ORDERS_BREAKER_COOLDOWN_SECONDS", 120)

# The same product to the same recipient within this window needs confirm_duplicate: true.
ORDERS_DUPLICATE_WINDOW_SECONDS = env_int("ORDERS_DUPLICATE_WINDOW_SECONDS", 120)
ORDERS_SMS_NOTIFICATIONS = env_bool("ORDERS_SMS_NOTIFICATIONS", True)

# Subscriptions: due runs every minute; insufficient funds retried this often, this many times, then paused.
SUBSCRIPTIONS_RETRY_SECONDS = env_int("SUBSCRIPTIONS_RETRY_SECONDS", 3600)
SUBSCRIPTIONS_MAX_FAILURES = env_int("SUBSCRIPTIONS_MAX_FAILURES", 3)
CELERY_BEAT_SCHEDULE["subscriptions-run-due"] = {"task": "subscriptions.run_due", "schedule": 60.0}

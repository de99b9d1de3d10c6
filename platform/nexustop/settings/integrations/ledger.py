"""Ledger and wallets: hold expiry, reconciliation and idempotency-key retention."""

from __future__ import annotations

from celery.schedules import crontab

from ..env import env_int, env_str
from .celery import CELERY_BEAT_SCHEDULE

# Expired holds go back to their wallets within a minute.
CELERY_BEAT_SCHEDULE["ledger-release-expired-holds"] = {
    "task": "ledger.release_expired_holds",
    "schedule": 60.0,
}
# Every wallet balance against its postings, every entry balanced: nightly, reported, never auto-fixed.
CELERY_BEAT_SCHEDULE["wallet-reconcile-ledgers"] = {
    "task": "wallet.reconcile_ledgers",
    "schedule": crontab(minute=env_str("LEDGER_RECONCILE_MINUTE", "15"), hour=env_str("LEDGER_RECONCILE_HOUR", "2")),
}


# Completed Idempotency-Key rows are kept this long (clients retry within minutes; a day is generous).
IDEMPOTENCY_KEY_RETENTION_HOURS = env_int("IDEMPOTENCY_KEY_RETENTION_HOURS", 72)
CELERY_BEAT_SCHEDULE["idempotency-purge-keys"] = {
    "task": "idempotency.purge_keys",
    "schedule": crontab(minute="40"),
}

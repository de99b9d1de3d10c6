"""Savings circles and target savings: retries, limits, the beat that runs them, reconciliation."""

from __future__ import annotations

from ..env import env_bool, env_int
from .celery import CELERY_BEAT_SCHEDULE
from .ledger import LEDGER_RECONCILE_CHECKS

# A contribution that finds the wallet short is tried this many times, this far apart, then flagged missed.
SAVINGS_CIRCLE_MAX_ATTEMPTS = env_int("SAVINGS_CIRCLE_MAX_ATTEMPTS", 3)
SAVINGS_CIRCLE_RETRY_SECONDS = env_int("SAVINGS_CIRCLE_RETRY_SECONDS", 6 * 3600)
SAVINGS_CIRCLE_MAX_MEMBERS = env_int("SAVINGS_CIRCLE_MAX_MEMBERS", 30)
# Invitations (each an SMS to the number typed) one organiser sends in any 24 hours, every circle together.
SAVINGS_INVITATIONS_PER_DAY = env_int("SAVINGS_INVITATIONS_PER_DAY", 60)
# Scheduled goal top-ups: retried on insufficient funds, then paused (the owner gets an SMS).
SAVINGS_AUTOSAVE_RETRY_SECONDS = env_int("SAVINGS_AUTOSAVE_RETRY_SECONDS", 3600)
SAVINGS_AUTOSAVE_MAX_FAILURES = env_int("SAVINGS_AUTOSAVE_MAX_FAILURES", 3)
SAVINGS_SMS_NOTIFICATIONS = env_bool("SAVINGS_SMS_NOTIFICATIONS", True)
CELERY_BEAT_SCHEDULE["savings-run-due"] = {"task": "savings.run_due", "schedule": 300.0}
LEDGER_RECONCILE_CHECKS.append("tenant_apps.savings.selectors.savings_discrepancies")

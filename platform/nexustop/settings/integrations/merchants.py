"""Merchant payments: QR identity, dynamic-code lifetime, daily settlement, notifications."""

from __future__ import annotations

from celery.schedules import crontab

from ..env import env_bool, env_int, env_str
from .celery import CELERY_BEAT_SCHEDULE
from .ledger import LEDGER_RECONCILE_CHECKS

# Globally unique identifier in our EMVCo merchant account template (tag 26, sub-tag 00): a reverse domain.
MERCHANT_QR_GUI = env_str("MERCHANT_QR_GUI", "com.nexustop")
# A dynamic QR (a payment request with its amount) can be paid within this many seconds, once.
MERCHANT_PAYMENT_REQUEST_TTL_SECONDS = env_int("MERCHANT_PAYMENT_REQUEST_TTL_SECONDS", 900)
# SMS to the owner for every payment received.
MERCHANT_SMS_NOTIFICATIONS = env_bool("MERCHANT_SMS_NOTIFICATIONS", True)
# ... but not for a payment below this floor (major units per currency, "*" for the others: about the price of
# an SMS), nor past this many payments texted to one business in any hour (tenant_apps/merchants/notices.py).
MERCHANT_PAYMENT_SMS_FLOOR = {"NGN": "100", "GHS": "1", "XOF": "50", "GNF": "500", "GMD": "5", "LRD": "10",
                              "SLE": "1", "CVE": "5", "MRU": "2", "*": "1"}
MERCHANT_PAYMENT_SMS_PER_HOUR = env_int("MERCHANT_PAYMENT_SMS_PER_HOUR", 30)
# Daily settlement of every merchant's takings for the day just ended (UTC), once per merchant per day.
CELERY_BEAT_SCHEDULE["merchants-settle-daily"] = {
    "task": "merchants.settle_daily",
    "schedule": crontab(minute=env_str("MERCHANT_SETTLEMENT_MINUTE", "30"),
                        hour=env_str("MERCHANT_SETTLEMENT_HOUR", "0")),
}
LEDGER_RECONCILE_CHECKS.append("tenant_apps.merchants.selectors.merchant_discrepancies")

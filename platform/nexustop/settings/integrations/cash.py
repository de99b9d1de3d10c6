"""Agent cash-in and cash-out (tenant_apps.cash)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from ..env import env_int, env_str
from .celery import CELERY_BEAT_SCHEDULE

AGENT_CASH: dict[str, Any] = {
    # A cash-in of at least this much (major units, per currency; "*" for the others) waits for the customer's
    # confirmation (cash.confirmation: the customer's transaction PIN, or a code by SMS).
    "CONFIRM_ABOVE": {"NGN": "5000", "GHS": "200", "XOF": "25000", "GNF": "250000", "SLE": "500", "LRD": "5000",
                      "GMD": "2500", "CVE": "5000", "MRU": "1500", "*": "0"},
    # "pin": the customer's transaction PIN when they have one (not locked), else a code by SMS; "otp": always SMS.
    "CONFIRMATION": env_str("AGENT_CASH_CONFIRMATION", "pin"),
    "OTP_DIGITS": 6,
    "OTP_TTL_SECONDS": env_int("AGENT_CASH_OTP_TTL_SECONDS", 300),
    "MAX_ATTEMPTS": 5,  # wrong codes before a cash-in confirmation or a withdrawal code is dead
    # Withdrawal codes: digits, lifetime, how many a customer may hold at once.
    "CODE_DIGITS": 8,
    "CODE_TTL_SECONDS": env_int("AGENT_CASH_CODE_TTL_SECONDS", 30 * 60),
    "MAX_ACTIVE_CODES": 3,
    # Texting a still-active withdrawal code again (the same code): once per this many seconds, this many times.
    "CODE_RESEND_SECONDS": env_int("AGENT_CASH_CODE_RESEND_SECONDS", 60),
    "CODE_MAX_RESENDS": 3,
    "AGENT_CODE_FAILURES_PER_HOUR": 10,  # wrong withdrawal codes an agent may enter per hour (then 429)
    # Money: the customer pays CASH_OUT_FEE_BPS of a cash-out; the serving agent's chain earns commissions at the
    # tenant's commission tiers, out of that fee (cash-out) or of an operator budget of CASH_IN_COMMISSION_BPS
    # of the amount (cash-in, which is free for the customer).
    "CASH_OUT_FEE_BPS": env_int("AGENT_CASH_OUT_FEE_BPS", 100),
    "CASH_IN_COMMISSION_BPS": env_int("AGENT_CASH_IN_COMMISSION_BPS", 50),
    # Cash-ins by one agent to one customer that earn the chain's commission in 24 h (0: no limit). A cash-in is
    # free for the customer and P2P is free, so without it an agent could cash in to a second account of its
    # own, send the money back and repeat, paid by the operator every time (commission churning).
    "COMMISSIONED_CASH_INS_PER_CUSTOMER_PER_DAY": env_int("AGENT_COMMISSIONED_CASH_INS_PER_CUSTOMER_PER_DAY", 1),
    "SMS_NOTIFICATIONS": env_str("AGENT_CASH_SMS", "1") == "1",
}
# Unconfirmed cash-ins release the agent's float, expired withdrawal codes the customer's money.
CELERY_BEAT_SCHEDULE["cash-expire-stale"] = {"task": "cash.expire_stale", "schedule": crontab(minute="*")}

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

# The most a customer's wallet may hold (balance + money on hold): a callable(user=) -> minor units or None.
# Credits that bring new money (funding, P2P receive, cash-in) pass ``capped=True`` (issue 14); refunds never.
LEDGER_BALANCE_CEILING = "tenant_apps.kyc.services.kyc_balance_cap"

# Completed Idempotency-Key rows are kept this long (clients retry within minutes; a day is generous).
IDEMPOTENCY_KEY_RETENTION_HOURS = env_int("IDEMPOTENCY_KEY_RETENTION_HOURS", 72)
CELERY_BEAT_SCHEDULE["idempotency-purge-keys"] = {
    "task": "idempotency.purge_keys",
    "schedule": crontab(minute="40"),
}


# --- Wallet flows through gateways ---------------------------------------------------------
# Delays (seconds) between successive requeries of a pending funding or payout; then it stays pending
# for an operator (and reconciliation). The first ones are short: mobile money is approved in seconds.
WALLET_POLL_DELAYS_SECONDS = [
    float(x) for x in env_str("WALLET_POLL_DELAYS_SECONDS", "5,10,20,40,60,120,300,600,1800,3600").split(",")]
# Payout gateways in order of preference (the first one the tenant's country has and the registry enables).
# A checkout or push nobody completed within this many hours is verified once more, then expired.
WALLET_FUNDING_EXPIRE_HOURS = float(env_str("WALLET_FUNDING_EXPIRE_HOURS", "24"))
CELERY_BEAT_SCHEDULE["wallet-expire-stale-fundings"] = {
    "task": "wallet.expire_stale_fundings",
    "schedule": crontab(minute="*/30"),
}
WALLET_PAYOUT_GATEWAYS = [x for x in env_str("WALLET_PAYOUT_GATEWAYS", "paystack,flutterwave,onepipe").split(",")
                          if x]
# Dedicated bank accounts per user (funding by bank transfer): country -> gateways, in order of preference.
WALLET_VIRTUAL_ACCOUNT_GATEWAYS = {"NG": [x for x in env_str("WALLET_VIRTUAL_ACCOUNT_GATEWAYS_NG", "paystack")
                                          .split(",") if x]}
# SMS to the user on funding success and transfer outcomes (through tenant_apps.notifications).
WALLET_SMS_NOTIFICATIONS = env_str("WALLET_SMS_NOTIFICATIONS", "1") == "1"
# Gateway credits against verified intents: hourly, reported, never fixed.
CELERY_BEAT_SCHEDULE["wallet-reconcile-gateways"] = {
    "task": "wallet.reconcile_gateways",
    "schedule": crontab(minute="25"),
}

# Extra reconciliation checks run by ``reconcile_ledger`` and the nightly task after the ledger's own: dotted
# paths of functions returning a list of ``tenant_apps.wallet.selectors.Discrepancy`` for the current schema.
# Apps with accounts of their own (merchants, savings) append theirs in their integration settings.
LEDGER_RECONCILE_CHECKS: list[str] = []

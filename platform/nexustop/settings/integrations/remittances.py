"""Cross-border remittances: quote lifetime, the rate source and the sanctions screener, the sweeper."""

from __future__ import annotations

from typing import Any

from ..env import env_bool, env_int, env_str, simulator_url
from .celery import CELERY_BEAT_SCHEDULE
from .ledger import LEDGER_RECONCILE_CHECKS

# A quote's rate is locked this long; accepting it later is refused (422 quote_expired).
REMITTANCE_QUOTE_TTL_SECONDS = env_int("REMITTANCE_QUOTE_TTL_SECONDS", 600)
# A remittance not final and untouched this long is resumed by the sweeper (each step runs once anyway).
REMITTANCE_STALE_SECONDS = env_int("REMITTANCE_STALE_SECONDS", 120)
# A payout still pending at the destination's rail is looked at again this often (the wallet app polls the rail).
REMITTANCE_PAYOUT_CHECK_SECONDS = env_int("REMITTANCE_PAYOUT_CHECK_SECONDS", 60)
# Empty values fall back to the local simulators (make run: on the ports PROVIDER_SIMULATOR_PORTS gives them, like
# the simulators themselves; before, a moved make run asked another installation's simulators); in production
# point them at the real services, else quotes fail closed (503 rate_unavailable / screening_unavailable).
# The deployment's rate source and screener, used when the registry has no provider of that capability for
# the sender's country (shared_apps.providers, capabilities ``fx_rates`` and ``sanctions``).
REMITTANCE_RATE_SOURCE: dict[str, Any] = {
    "ENABLED": env_bool("REMITTANCE_RATE_SOURCE_ENABLED", True),
    "PLUGIN": env_str("REMITTANCE_RATE_SOURCE_PLUGIN") or "openexchangerates",
    "BASE_URL": env_str("REMITTANCE_RATE_SOURCE_URL") or simulator_url("openexchangerates", 8742),
    "CREDENTIALS": {"app_id": env_str("REMITTANCE_RATE_SOURCE_APP_ID") or "sim-oxr-app"},
    "TIMEOUT_SECONDS": 10.0,
}
REMITTANCE_SANCTIONS: dict[str, Any] = {
    "ENABLED": env_bool("REMITTANCE_SANCTIONS_ENABLED", True),
    "PLUGIN": env_str("REMITTANCE_SANCTIONS_PLUGIN") or "opensanctions",
    "BASE_URL": env_str("REMITTANCE_SANCTIONS_URL") or simulator_url("opensanctions", 8743),
    "CREDENTIALS": {"api_key": env_str("REMITTANCE_SANCTIONS_API_KEY") or "sim-sanctions-key"},
    "TIMEOUT_SECONDS": 10.0,
}
REMITTANCE_SMS_NOTIFICATIONS = env_bool("REMITTANCE_SMS_NOTIFICATIONS", True)
CELERY_BEAT_SCHEDULE["remittances-sweep"] = {"task": "remittances.sweep", "schedule": 60.0}
LEDGER_RECONCILE_CHECKS.append("tenant_apps.remittances.selectors.remittance_discrepancies")

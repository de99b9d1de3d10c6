"""Provider plugins and simulators: registry, timeouts, credentials encryption key."""

from __future__ import annotations

from celery.schedules import crontab

from ..env import env_list
from .celery import CELERY_BEAT_SCHEDULE

# Fernet keys for provider credentials at rest, newest first (rotation: prepend, re-save).
# Empty in dev/test: a key is derived from SECRET_KEY. Production must set it.
PROVIDER_CREDENTIALS_KEYS = env_list("PROVIDER_CREDENTIALS_KEYS", [])

# Simulator demo ports for `make run`, as "key=port" overrides of each plugin's demo_port.
PROVIDER_SIMULATOR_PORTS = env_list("PROVIDER_SIMULATOR_PORTS", [])

# Catalog sync: one task per provider, every 6 hours (in place, so other integrations can add theirs).
CELERY_BEAT_SCHEDULE.update({
    "catalog-sync-all-providers": {"task": "catalog.sync_all", "schedule": crontab(minute=17, hour="*/6")},
})

# `make run` starts every registered simulator (telecom, gateways, SMS, KYC) in one process.
SIMULATORS_DEVSTACK_PROCESS = (
    "simulators", ["-m", "provider_plugins.simulate", *[f"--port={item}" for item in PROVIDER_SIMULATOR_PORTS]])

# Our balance at each provider (plugins with a balance enquiry): checked every 15 minutes; below the threshold
# (minor units per currency; a registry row's option ``low_balance_minor`` overrides it) -> the metric
# nexustop_provider_balance_low=1 and a WARNING "provider balance low" (alert on either).
# Every currency of the 16 countries has one (a rail in GNF, LRD, SLE, GMD, CVE or MRU never alerted).
PROVIDER_LOW_BALANCE_MINOR = {"NGN": 50_000_000, "GHS": 500_000, "XOF": 2_500_000, "USD": 50_000,
                              "GNF": 3_000_000, "GMD": 2_500_000, "LRD": 6_500_000, "SLE": 750_000, "CVE": 3_500_000,
                              "MRU": 1_300_000}
CELERY_BEAT_SCHEDULE["providers-check-balances"] = {"task": "providers.check_balances",
                                                    "schedule": crontab(minute="*/15")}

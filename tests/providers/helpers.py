"""Simulator + connector fixtures shared by the provider and catalog tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as AGGREGATOR_CREDENTIALS
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
from provider_plugins.interfaces import ProviderConfig
from provider_plugins.vtpass import make_request_id
from provider_plugins.vtpass.simulator import DEFAULT_CREDENTIALS as VTPASS_CREDENTIALS

# Tiny timings: the connector gives up after CLIENT_TIMEOUT, a "timeout" fault hangs HANG seconds.
# Generous enough that a loaded 2-core CI machine never turns a quick answer into a timeout.
CLIENT_TIMEOUT = 1.5
HANG = 2.5

VTPASS_API_KEYS = {k: VTPASS_CREDENTIALS[k] for k in ("api_key", "secret_key", "public_key")}
_counter = itertools.count(1)


def vtpass_request_id(tag: str = "t") -> str:
    return make_request_id(f"{tag}{next(_counter):08d}", datetime.now(UTC))  # one length: bodies compare


def unique_id(tag: str = "req") -> str:
    return f"{tag}-{next(_counter)}-{datetime.now(UTC).strftime('%H%M%S%f')}"


def config_for(url: str, credentials: dict, **options) -> ProviderConfig:
    return ProviderConfig(base_url=url, credentials=dict(credentials), timeout_seconds=CLIENT_TIMEOUT,
                          options=options)


__all__ = [
    "AGGREGATOR_CREDENTIALS",
    "CLIENT_TIMEOUT",
    "DTONE_CREDENTIALS",
    "HANG",
    "VTPASS_API_KEYS",
    "VTPASS_CREDENTIALS",
    "config_for",
    "unique_id",
    "vtpass_request_id",
]

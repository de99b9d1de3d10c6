"""Our balance at each provider (the float purchases and payouts draw from), for head office and operators.

Every plugin whose connector has a ``balance`` enquiry (provider_plugins.interfaces.balance) is asked; a
provider that cannot answer shows its error code instead of a number. Below the threshold
(``PROVIDER_LOW_BALANCE_MINOR`` per currency, or the registry row's option ``low_balance_minor``) the line is
``low``: the gauge ``nexustop_provider_balance_low`` goes to 1 and a WARNING ``provider balance low`` is logged
(alert-worthy: once purchases start failing with ``provider_low_balance`` it is too late).
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass

from django.conf import settings

from provider_plugins.interfaces.common import ProviderError
from shared_apps.core.metrics import record_provider_balance

from .models import Provider, ProviderStatus
from .services import provider_config, provider_plugin

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BalanceLine:
    provider: Provider
    currency: str = ""
    amount_minor: int | None = None
    threshold_minor: int | None = None
    low: bool = False
    error: str = ""


def _balance_connector(provider: Provider):
    """An instance of the plugin's first connector that answers ``balance``, or None."""
    seen: set[type] = set()
    for connector_class in provider_plugin(provider=provider).connectors.values():
        if connector_class in seen or not callable(getattr(connector_class, "balance", None)):
            continue
        seen.add(connector_class)
        config = provider_config(provider=provider)
        takes_config = "config" in inspect.signature(connector_class).parameters
        return (connector_class(config) if takes_config else connector_class()), config
    return None


def _threshold(provider: Provider, currency: str) -> int | None:
    option = (provider.options or {}).get("low_balance_minor")
    if isinstance(option, int):
        return option
    return getattr(settings, "PROVIDER_LOW_BALANCE_MINOR", {}).get(currency)


def provider_balances(*, country: str = "") -> list[BalanceLine]:
    """Ask every usable provider (of ``country``, when given) for our balance; records the metrics and logs lows."""
    rows = Provider.objects.exclude(status=ProviderStatus.DISABLED).order_by("country", "name")
    if country:
        rows = rows.filter(country=country.upper())
    lines: list[BalanceLine] = []
    for provider in rows:
        found = _balance_connector(provider)
        if found is None:
            continue
        connector, config = found
        try:
            balances = connector.balance(config=config)
        except ProviderError as exc:
            logger.warning("provider balance unavailable", extra={"provider": provider.plugin_key,
                                                                  "country": provider.country, "code": exc.code})
            lines.append(BalanceLine(provider=provider, error=exc.code))
            continue
        for balance in balances:
            threshold = _threshold(provider, balance.currency)
            low = threshold is not None and balance.amount_minor < threshold
            record_provider_balance(provider=provider.plugin_key, country=provider.country,
                                    currency=balance.currency, amount_minor=balance.amount_minor, low=low)
            if low:
                logger.warning("provider balance low", extra={
                    "provider": provider.plugin_key, "country": provider.country, "currency": balance.currency,
                    "balance_minor": balance.amount_minor, "threshold_minor": threshold})
            lines.append(BalanceLine(provider=provider, currency=balance.currency,
                                     amount_minor=balance.amount_minor, threshold_minor=threshold, low=low))
    return lines

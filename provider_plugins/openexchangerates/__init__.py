"""FX rate source through an Open Exchange Rates-shaped API (``GET /api/latest.json``), with a simulator."""

from __future__ import annotations

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import OpenExchangeRatesConnector

PLUGIN = Plugin(
    key="openexchangerates",
    name="Open Exchange Rates",
    connectors={Capability.FX_RATES: OpenExchangeRatesConnector},
    simulator="provider_plugins.openexchangerates.simulator:OpenExchangeRatesSimulator",
    demo_port=8742,
    credential_fields=("app_id",),
)

__all__ = ["PLUGIN", "OpenExchangeRatesConnector"]

"""Reloadly (Airtime + Utility Payments APIs) in the 16 West African countries."""

from provider_plugins.interfaces.numbering import COUNTRIES
from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import AggregatorBillsConnector, AggregatorCallbacks, AggregatorConnector

PLUGIN = Plugin(
    key="aggregator",
    name="Reloadly",
    connectors={Capability.AIRTIME: AggregatorConnector, Capability.DATA: AggregatorConnector,
                Capability.ELECTRICITY: AggregatorBillsConnector, Capability.WATER: AggregatorBillsConnector,
                Capability.CABLE_TV: AggregatorBillsConnector},
    catalog=AggregatorConnector,
    callbacks=AggregatorCallbacks,
    simulator="provider_plugins.aggregator.simulator:AggregatorSimulator",
    demo_port=8702,
    countries=tuple(sorted(COUNTRIES)),
    credential_fields=("client_id", "client_secret", "webhook_secret"),
)

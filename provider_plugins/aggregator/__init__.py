"""A Reloadly-style multi-country top-up aggregator (Ghana, Senegal, Côte d'Ivoire)."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import AggregatorCallbacks, AggregatorConnector
from .simulator import AggregatorSimulator

PLUGIN = Plugin(
    key="aggregator",
    name="Reloadly-style aggregator",
    connectors={Capability.AIRTIME: AggregatorConnector, Capability.DATA: AggregatorConnector},
    catalog=AggregatorConnector,
    callbacks=AggregatorCallbacks,
    simulator=AggregatorSimulator,
    demo_port=8702,
    countries=("GH", "SN", "CI"),
)

"""Orange Money Web Payment (UEMOA states, Guinea): hosted page, status check, notifications."""

from provider_plugins.interfaces.payments import PluginDescriptor

from .connector import OrangeMoneyConnector
from .simulator import OrangeMoneySimulator

PLUGIN = PluginDescriptor(
    key="orange_money",
    name="Orange Money",
    capabilities=frozenset({"payments"}),
    connectors={"payments": OrangeMoneyConnector},
    simulator=OrangeMoneySimulator,
    countries=frozenset({"CI", "SN", "ML", "BF", "GN", "NE", "LR", "SL", "GW"}),
    currencies=frozenset({"XOF", "GNF", "LRD", "SLE"}),
    credential_fields=("client_id", "client_secret", "merchant_key"),
)

__all__ = ["PLUGIN", "OrangeMoneyConnector", "OrangeMoneySimulator"]

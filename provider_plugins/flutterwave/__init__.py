"""Flutterwave v3: payment links, verification, ``verif-hash`` webhooks, bank payouts."""

from provider_plugins.interfaces.payments import PluginDescriptor

from .connector import FlutterwaveConnector
from .simulator import FlutterwaveSimulator

PLUGIN = PluginDescriptor(
    key="flutterwave",
    name="Flutterwave",
    capabilities=frozenset({"payments", "payouts"}),
    connectors={"payments": FlutterwaveConnector, "payouts": FlutterwaveConnector},
    simulator=FlutterwaveSimulator,
    countries=frozenset({"NG", "GH", "CI", "SN", "BF", "ML", "TG", "BJ", "SL", "LR", "GM", "GN"}),
    currencies=frozenset({"NGN", "GHS", "XOF", "SLE", "LRD", "GMD", "GNF", "USD"}),
    credential_fields=("secret_key", "secret_hash"),
)

__all__ = ["PLUGIN", "FlutterwaveConnector", "FlutterwaveSimulator"]

"""Flutterwave v3: payment links, verification, ``verif-hash`` webhooks, bank payouts."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import FlutterwaveConnector

PLUGIN = Plugin(
    key="flutterwave",
    name="Flutterwave",
    connectors={Capability.PAYMENTS: FlutterwaveConnector, Capability.PAYOUTS: FlutterwaveConnector},
    demo_port=8712,
    simulator="provider_plugins.flutterwave.simulator:FlutterwaveSimulator",
    countries=("NG", "GH", "CI", "SN", "BF", "ML", "TG", "BJ", "SL", "LR", "GM", "GN",),
    currencies=("NGN", "GHS", "XOF", "SLE", "LRD", "GMD", "GNF", "USD",),
    credential_fields=("secret_key", "secret_hash"),
)

__all__ = ["PLUGIN", "FlutterwaveConnector"]

"""Paystack: card/bank checkout, verification, signed webhooks, bank payouts (NG, GH)."""

from provider_plugins.interfaces.payments import PluginDescriptor

from .connector import PaystackConnector
from .simulator import PaystackSimulator

PLUGIN = PluginDescriptor(
    key="paystack",
    name="Paystack",
    capabilities=frozenset({"payments", "payouts"}),
    connectors={"payments": PaystackConnector, "payouts": PaystackConnector},
    simulator=PaystackSimulator,
    countries=frozenset({"NG", "GH"}),
    currencies=frozenset({"NGN", "GHS"}),
    credential_fields=("secret_key",),
)

__all__ = ["PLUGIN", "PaystackConnector", "PaystackSimulator"]

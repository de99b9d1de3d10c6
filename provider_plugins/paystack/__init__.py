"""Paystack: card/bank checkout, verification, signed webhooks, bank payouts (NG, GH)."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import PaystackConnector

PLUGIN = Plugin(
    key="paystack",
    name="Paystack",
    connectors={Capability.PAYMENTS: PaystackConnector, Capability.PAYOUTS: PaystackConnector},
    demo_port=8711,
    simulator="provider_plugins.paystack.simulator:PaystackSimulator",
    countries=("NG", "GH",),
    currencies=("NGN", "GHS",),
    credential_fields=("secret_key",),
)

__all__ = ["PLUGIN", "PaystackConnector"]

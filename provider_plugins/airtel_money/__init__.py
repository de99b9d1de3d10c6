"""Airtel Money Open API (NG, NE): collections (USSD push), enquiry, callbacks, disbursements with an encrypted PIN."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import AirtelMoneyConnector, callback_hash, encrypt_pin

PLUGIN = Plugin(
    key="airtel_money",
    name="Airtel Money",
    connectors={Capability.PAYMENTS: AirtelMoneyConnector, Capability.PAYOUTS: AirtelMoneyConnector},
    simulator="provider_plugins.airtel_money.simulator:AirtelMoneySimulator",
    demo_port=8718,
    countries=("NG", "NE"),
    currencies=("NGN", "XOF"),
    credential_fields=("client_id", "client_secret", "pin", "public_key", "callback_key"),
)

__all__ = ["PLUGIN", "AirtelMoneyConnector", "callback_hash", "encrypt_pin"]

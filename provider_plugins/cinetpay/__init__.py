"""CinetPay (CI, SN, BF, ML, TG, BJ, NE, GN): hosted payments (v2) and the Transfer API to mobile money (v1)."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import CinetPayConnector, notification_token

PLUGIN = Plugin(
    key="cinetpay",
    name="CinetPay",
    connectors={Capability.PAYMENTS: CinetPayConnector, Capability.PAYOUTS: CinetPayConnector},
    simulator="provider_plugins.cinetpay.simulator:CinetPaySimulator",
    demo_port=8717,
    countries=("CI", "SN", "BF", "ML", "TG", "BJ", "NE", "GN"),
    currencies=("XOF", "GNF"),
    credential_fields=("apikey", "site_id", "secret_key", "transfer_password"),
)

__all__ = ["PLUGIN", "CinetPayConnector", "notification_token"]

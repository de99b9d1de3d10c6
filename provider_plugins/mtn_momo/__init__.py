"""MTN Mobile Money (Open API): Collection (request-to-pay, polled) and Disbursement (payouts to MoMo wallets)."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import MtnMomoConnector, reference_id_for

PLUGIN = Plugin(
    key="mtn_momo",
    name="MTN MoMo",
    connectors={Capability.PAYMENTS: MtnMomoConnector, Capability.PAYOUTS: MtnMomoConnector},
    demo_port=8713,
    simulator="provider_plugins.mtn_momo.simulator:MtnMomoSimulator",
    countries=("GH", "CI", "BJ", "GN", "LR", "NG",),
    currencies=("GHS", "XOF", "GNF", "LRD", "NGN",),
    credential_fields=("subscription_key", "api_user", "api_key", "disbursement_subscription_key",
                       "disbursement_api_user", "disbursement_api_key"),
)

__all__ = ["PLUGIN", "MtnMomoConnector", "reference_id_for"]

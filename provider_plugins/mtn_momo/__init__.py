"""MTN Mobile Money (Open API, Collection): request-to-pay with status polling."""

from provider_plugins.interfaces.payments import PluginDescriptor

from .connector import MtnMomoConnector, reference_id_for
from .simulator import MtnMomoSimulator

PLUGIN = PluginDescriptor(
    key="mtn_momo",
    name="MTN MoMo",
    capabilities=frozenset({"payments"}),
    connectors={"payments": MtnMomoConnector},
    simulator=MtnMomoSimulator,
    countries=frozenset({"GH", "CI", "BJ", "GN", "LR", "NG"}),
    currencies=frozenset({"GHS", "XOF", "GNF", "LRD", "NGN"}),
    credential_fields=("subscription_key", "api_user", "api_key"),
)

__all__ = ["PLUGIN", "MtnMomoConnector", "MtnMomoSimulator", "reference_id_for"]

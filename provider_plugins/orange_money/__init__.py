"""Orange Money Web Payment (UEMOA states, Guinea, Liberia, Sierra Leone): hosted page, status check, notifications.

Not Niger: Orange sold Orange Niger in 2019 (Zamani Telecom since), so its wallets are not Orange Money's and the
country adapter does not list this rail there (docs/gateways.md).
"""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import OrangeMoneyConnector

PLUGIN = Plugin(
    key="orange_money",
    name="Orange Money",
    connectors={Capability.PAYMENTS: OrangeMoneyConnector},
    demo_port=8714,
    simulator="provider_plugins.orange_money.simulator:OrangeMoneySimulator",
    countries=("CI", "SN", "ML", "BF", "GN", "LR", "SL", "GW",),
    currencies=("XOF", "GNF", "LRD", "SLE",),
    credential_fields=("client_id", "client_secret", "merchant_key"),
)

__all__ = ["PLUGIN", "OrangeMoneyConnector"]

"""OnePipe v2 (Nigeria): bank account lookup, BVN/NIN lookup for KYC, and payouts to NG bank accounts (disburse).

Docs: https://v2.docs.onepipe.io/ and https://onepipe.atlassian.net/wiki/spaces/PUB/ (see connector.py).
"""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import OnePipeConnector

PLUGIN = Plugin(
    key="onepipe",
    name="OnePipe",
    connectors={Capability.PAYOUTS: OnePipeConnector, Capability.KYC: OnePipeConnector},
    demo_port=8741,
    simulator="provider_plugins.onepipe.simulator:OnePipeSimulator",
    countries=("NG",),
    currencies=("NGN",),
    credential_fields=("api_key", "secret"),
)

__all__ = ["PLUGIN", "OnePipeConnector"]

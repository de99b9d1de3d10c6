"""Wave (SN, CI, ML, BF, GM): Checkout API for funding, Payout API for cash-out, signed webhooks."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import WaveConnector, wave_signature

PLUGIN = Plugin(
    key="wave",
    name="Wave",
    connectors={Capability.PAYMENTS: WaveConnector, Capability.PAYOUTS: WaveConnector},
    simulator="provider_plugins.wave.simulator:WaveSimulator",
    demo_port=8716,
    countries=("SN", "CI", "ML", "BF", "GM"),
    currencies=("XOF", "GMD"),
    credential_fields=("api_key", "webhook_secret"),
)

__all__ = ["PLUGIN", "WaveConnector", "wave_signature"]

"""KYC number check through a Smile ID-shaped API (``POST /v1/id_verification``).

Covers Nigeria's BVN and NIN, Ghana Card and the UEMOA national ids; the
simulator answers like the real service (result codes 1012/1013/1022/1015).
"""

from __future__ import annotations

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import SmileStyleKycConnector

PLUGIN = Plugin(
    key="kyc_verifier",
    name="KYC verifier (Smile ID-compatible)",
    connectors={Capability.KYC: SmileStyleKycConnector},
    simulator="provider_plugins.kyc_verifier.simulator:KycVerifierSimulator",
    demo_port=8026,
    countries=("NG", "GH", "BJ", "BF", "CI", "GW", "ML", "NE", "SN", "TG"),
    credential_fields=("partner_id", "api_key"),
)

__all__ = ["PLUGIN", "SmileStyleKycConnector"]

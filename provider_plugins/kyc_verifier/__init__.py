"""KYC number check through a Smile ID-shaped API (``POST /v1/id_verification``).

Covers Nigeria's BVN and NIN, Ghana Card and the UEMOA national ids; the
simulator answers like the real service (result codes 1012/1013/1022/1015).
"""

from __future__ import annotations

from .connector import SmileStyleKycConnector

PLUGIN = {
    "name": "kyc_verifier",
    "display_name": "KYC verifier (Smile ID-compatible)",
    "capabilities": ("kyc",),
    "countries": ("NG", "GH", "BJ", "BF", "CI", "GW", "ML", "NE", "SN", "TG"),
    "connector": SmileStyleKycConnector,
    "simulator": "provider_plugins.kyc_verifier.simulator:KycVerifierSimulator",
    "credentials": ("partner_id", "api_key"),
    "options": ("id_types",),
}

__all__ = ["PLUGIN", "SmileStyleKycConnector"]

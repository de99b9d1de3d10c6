"""Demo registry rows for the payment gateways, pointing at the local simulators (``make run``).

Credentials are the simulators' defaults (docs/gateways.md). Idempotent (keyed by name + country).
"""

from __future__ import annotations

from django.conf import settings

from provider_plugins.mtn_momo.simulator import DEFAULT_API_USER as MOMO_API_USER
from provider_plugins.onepipe.simulator import DEFAULT_API_KEY as ONEPIPE_API_KEY
from provider_plugins.onepipe.simulator import DEFAULT_SECRET as ONEPIPE_SECRET
from provider_plugins.simulate import demo_ports
from shared_apps.providers.services import provider_register

DEMO_HOST = "127.0.0.1"

GATEWAY_CREDENTIALS = {
    "paystack": {"secret_key": "sk_test_simulator"},
    "flutterwave": {"secret_key": "FLWSECK_TEST-simulator-X", "secret_hash": "flw-sim-hash"},
    "mtn_momo": {"subscription_key": "momo-sub", "api_user": MOMO_API_USER, "api_key": "momo-sim-key"},
    "orange_money": {"client_id": "om-client", "client_secret": "om-secret", "merchant_key": "om-merchant"},
    "onepipe": {"api_key": ONEPIPE_API_KEY, "secret": ONEPIPE_SECRET},
}
GATEWAY_CAPABILITIES = {"paystack": ["payments", "payouts"], "flutterwave": ["payments", "payouts"],
                        "mtn_momo": ["payments"], "orange_money": ["payments"], "onepipe": ["payouts", "kyc"]}
GATEWAY_NAMES = {"paystack": "Paystack", "flutterwave": "Flutterwave", "mtn_momo": "MTN MoMo",
                 "orange_money": "Orange Money", "onepipe": "OnePipe"}
# (country, plugin key, options): the gateways each demo country's adapter lists and a simulator exists for.
DEMO_GATEWAYS: list[tuple[str, str, dict]] = [
    ("NG", "paystack", {}), ("NG", "flutterwave", {}),
    ("NG", "onepipe", {"auth_provider": "Polaris", "mock_mode": "Inspect"}),
    ("GH", "paystack", {}), ("GH", "flutterwave", {}), ("GH", "mtn_momo", {"target_environment": "sandbox"}),
    ("SN", "orange_money", {"country": "sn", "currency": "XOF"}),
    ("CI", "orange_money", {"country": "ci", "currency": "XOF"}),
    ("CI", "mtn_momo", {"target_environment": "sandbox"}),
]


def gateway_provider_spec(*, country: str, key: str, base_url: str, options: dict | None = None,
                          priority: int = 50) -> dict:
    """Arguments for ``provider_register`` (also used by the tests, with a simulator's own URL)."""
    return {"name": GATEWAY_NAMES[key], "country": country, "plugin_key": key, "base_url": base_url,
            "capabilities": GATEWAY_CAPABILITIES[key], "credentials": GATEWAY_CREDENTIALS[key],
            "options": dict(options or {}), "routing_priority": priority, "timeout_seconds": 15}


def seed_demo_gateways() -> list[str]:
    ports = demo_ports(getattr(settings, "PROVIDER_SIMULATOR_PORTS", None))
    lines = []
    for country, key, options in DEMO_GATEWAYS:
        provider = provider_register(**gateway_provider_spec(
            country=country, key=key, base_url=f"http://{DEMO_HOST}:{ports[key]}", options=options))
        lines.append(f"gateway: {provider} -> {provider.base_url}")
    return lines

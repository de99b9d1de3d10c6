"""Demo registry rows for the payment gateways, pointing at the local simulators (``make run``).

Credentials are the simulators' defaults (docs/gateways.md). Idempotent (keyed by name + country).
"""

from __future__ import annotations

from django.conf import settings

from provider_plugins.airtel_money import simulator as airtel
from provider_plugins.cinetpay import simulator as cinetpay
from provider_plugins.mtn_momo import simulator as momo
from provider_plugins.onepipe.simulator import DEFAULT_API_KEY as ONEPIPE_API_KEY
from provider_plugins.onepipe.simulator import DEFAULT_SECRET as ONEPIPE_SECRET
from provider_plugins.simulate import demo_ports
from provider_plugins.wave import simulator as wave
from shared_apps.providers.services import provider_register

DEMO_HOST = "127.0.0.1"

GATEWAY_CREDENTIALS = {
    "paystack": {"secret_key": "sk_test_simulator"},
    "flutterwave": {"secret_key": "FLWSECK_TEST-simulator-X", "secret_hash": "flw-sim-hash"},
    "mtn_momo": {"subscription_key": momo.DEFAULT_SUBSCRIPTION_KEY, "api_user": momo.DEFAULT_API_USER,
                 "api_key": momo.DEFAULT_API_KEY,
                 "disbursement_subscription_key": momo.DEFAULT_DISBURSEMENT_SUBSCRIPTION_KEY,
                 "disbursement_api_user": momo.DEFAULT_DISBURSEMENT_API_USER,
                 "disbursement_api_key": momo.DEFAULT_DISBURSEMENT_API_KEY},
    "orange_money": {"client_id": "om-client", "client_secret": "om-secret", "merchant_key": "om-merchant"},
    "wave": {"api_key": wave.DEFAULT_API_KEY, "webhook_secret": wave.DEFAULT_WEBHOOK_SECRET},
    "cinetpay": {"apikey": cinetpay.DEFAULT_APIKEY, "site_id": cinetpay.DEFAULT_SITE_ID,
                 "secret_key": cinetpay.DEFAULT_SECRET_KEY, "transfer_password": cinetpay.DEFAULT_TRANSFER_PASSWORD},
    "airtel_money": {"client_id": airtel.DEFAULT_CLIENT_ID, "client_secret": airtel.DEFAULT_CLIENT_SECRET,
                     "pin": airtel.DEFAULT_PIN, "public_key": airtel.simulator_public_key(),
                     "callback_key": airtel.DEFAULT_CALLBACK_KEY},
    "onepipe": {"api_key": ONEPIPE_API_KEY, "secret": ONEPIPE_SECRET},
}
GATEWAY_CAPABILITIES = {"paystack": ["payments", "payouts"], "flutterwave": ["payments", "payouts"],
                        "mtn_momo": ["payments", "payouts"], "orange_money": ["payments"],
                        "wave": ["payments", "payouts"], "cinetpay": ["payments", "payouts"],
                        "airtel_money": ["payments", "payouts"], "onepipe": ["payouts", "kyc"]}
GATEWAY_NAMES = {"paystack": "Paystack", "flutterwave": "Flutterwave", "mtn_momo": "MTN MoMo",
                 "orange_money": "Orange Money", "wave": "Wave", "cinetpay": "CinetPay", "airtel_money": "Airtel Money",
                 "onepipe": "OnePipe"}
# (country, plugin key, options): the gateways each demo country's adapter lists and a simulator exists for.
DEMO_GATEWAYS: list[tuple[str, str, dict]] = [
    ("NG", "paystack", {}), ("NG", "flutterwave", {}),
    ("NG", "onepipe", {"auth_provider": "Polaris", "mock_mode": "Inspect"}),
    ("GH", "paystack", {}), ("GH", "flutterwave", {}), ("GH", "mtn_momo", {"target_environment": "sandbox"}),
    # Orange Money in every country whose adapter lists it (GW and SL have no other rail to fund a wallet with).
    *[(c, "orange_money", {"country": c.lower(), "currency": currency})
      for c, currency in (("SN", "XOF"), ("CI", "XOF"), ("BF", "XOF"), ("ML", "XOF"), ("GW", "XOF"), ("GN", "GNF"),
                          ("LR", "LRD"), ("SL", "SLE"))],
    ("CI", "mtn_momo", {"target_environment": "sandbox"}),
    # Mobile-money rails (issue 16): every country whose adapter lists them.
    *[(c, "wave", {}) for c in ("SN", "CI", "ML", "BF", "GM")],
    *[(c, "cinetpay", {}) for c in ("CI", "SN", "BF", "ML", "TG", "BJ", "NE", "GN")],
    ("NG", "airtel_money", {"country": "NG", "currency": "NGN"}), ("NE", "airtel_money", {"country": "NE",
                                                                                          "currency": "XOF"}),
    *[(c, "mtn_momo", {"target_environment": "sandbox"}) for c in ("BJ", "GN", "LR", "NG")],
]


# Credentials that differ by country: a Wave API key opens one wallet, in its country's currency.
COUNTRY_CREDENTIALS = {("wave", "GM"): {"api_key": wave.GM_API_KEY}}


def gateway_provider_spec(*, country: str, key: str, base_url: str, options: dict | None = None,
                          priority: int = 50) -> dict:
    """Arguments for ``provider_register`` (also used by the tests, with a simulator's own URL)."""
    credentials = {**GATEWAY_CREDENTIALS[key], **COUNTRY_CREDENTIALS.get((key, country), {})}
    return {"name": GATEWAY_NAMES[key], "country": country, "plugin_key": key, "base_url": base_url,
            "capabilities": GATEWAY_CAPABILITIES[key], "credentials": credentials,
            "options": dict(options or {}), "routing_priority": priority, "timeout_seconds": 15}


def seed_demo_gateways() -> list[str]:
    ports = demo_ports(getattr(settings, "PROVIDER_SIMULATOR_PORTS", None))
    lines = []
    for country, key, options in DEMO_GATEWAYS:
        provider = provider_register(**gateway_provider_spec(
            country=country, key=key, base_url=f"http://{DEMO_HOST}:{ports[key]}", options=options))
        lines.append(f"gateway: {provider} -> {provider.base_url}")
    return lines

"""The Paystack simulator's reference data (banks, dedicated-account providers) and Paystack's JSON envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from provider_plugins.interfaces.gateway_sim import SimResponse

BANKS = {
    "NG": [("044", "Access Bank"), ("058", "Guaranty Trust Bank"), ("057", "Zenith Bank"),
           ("033", "United Bank For Africa"), ("011", "First Bank of Nigeria"), ("50211", "Kuda Bank"),
           ("035", "Wema Bank")],
    "GH": [("280100", "Access Bank Ghana"), ("030100", "Absa Bank Ghana"), ("040100", "Ecobank Ghana")],
}
COUNTRY_NAMES = {"nigeria": "NG", "ghana": "GH"}
FULL_COUNTRY = {"NG": "Nigeria", "GH": "Ghana"}
CURRENCIES = {"NG": "NGN", "GH": "GHS"}
# Dedicated account providers (GET /dedicated_account/available_providers); test mode also has "test-bank".
DVA_PROVIDERS = [
    {"provider_slug": "access-bank", "bank_id": 1, "bank_name": "Access Bank", "id": 6},
    {"provider_slug": "wema-bank", "bank_id": 20, "bank_name": "Wema Bank", "id": 5},
    {"provider_slug": "titan-paystack", "bank_id": 68, "bank_name": "Paystack-Titan", "id": 7},
    {"provider_slug": "test-bank", "bank_id": 20, "bank_name": "Test Bank", "id": 8},
]
INTEGRATION_ID = 100_043


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _fail(status: int, message: str) -> SimResponse:
    return SimResponse(status, {"status": False, "message": message})


def _ok(message: str, data: Any, status: int = 200, meta: dict[str, Any] | None = None) -> SimResponse:
    body: dict[str, Any] = {"status": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return SimResponse(status, body)


def _meta(total: int, per_page: int = 50, page: int = 1) -> dict[str, Any]:
    return {"total": total, "skipped": 0, "perPage": per_page, "page": page,
            "pageCount": max(1, -(-total // per_page))}

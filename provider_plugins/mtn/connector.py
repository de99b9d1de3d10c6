"""MTN direct connector: airtime and data top-up, catalog, signed webhooks.

Credentials: ``api_key`` (calls) and ``webhook_secret`` (HMAC of webhooks).
Mapping: SUCCESSFUL -> SUCCESS, FAILED -> FAILED (reason from MTN),
PENDING / timeouts / 5xx / unknown -> PENDING; 409 DUPLICATE_TX_ID -> the
existing transaction's status; 422 INVALID_MSISDN -> InvalidRecipient,
INVALID_AMOUNT -> InvalidAmount, UNKNOWN_PRODUCT -> ProductUnavailable;
402 INSUFFICIENT_FLOAT -> ProviderLowBalance.
"""

from __future__ import annotations

from collections.abc import Mapping

from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    CallbackAck,
    CallbackUpdate,
    DataTopupRequest,
    FulfilmentResult,
    InvalidAmount,
    InvalidRecipient,
    OutcomeStatus,
    ProductListing,
    ProductType,
    ProductUnavailable,
    ProviderConfig,
    ProviderLowBalance,
    ProviderProtocolError,
    SignatureError,
    UserFixableError,
    from_minor,
    to_minor,
)
from provider_plugins.interfaces.http import HttpAnswer, send
from provider_plugins.interfaces.wire import json_loads

from .protocol import CURRENCY, SIGNATURE_HEADER, signature_valid

AIRTIME_PRODUCT = "MTN-AIRTIME"
_STATUS = {"SUCCESSFUL": OutcomeStatus.SUCCESS, "FAILED": OutcomeStatus.FAILED}


def _msisdn(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11 and digits.startswith("0"):
        return "234" + digits[1:]
    return digits


class MTNConnector:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def _headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.config.credentials.get("api_key", ""), "Accept": "application/json"}

    def airtime(self, request: AirtimeTopupRequest) -> FulfilmentResult:
        return self._create(request.request_id, AIRTIME_PRODUCT, request.recipient_phone, request.amount_minor)

    def data(self, request: DataTopupRequest) -> FulfilmentResult:
        return self._create(request.request_id, request.product_code, request.recipient_phone,
                            request.amount_minor)

    def _create(self, request_id: str, product_code: str, phone: str, amount_minor: int) -> FulfilmentResult:
        answer = send(self.config, "POST", "v1/transactions", write=True, headers=self._headers(), json_body={
            "tx_id": request_id, "msisdn": _msisdn(phone), "product_code": product_code,
            "amount": from_minor(amount_minor, CURRENCY), "currency": CURRENCY})
        if answer.unclear:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason=answer.unclear_reason)
        body = answer.body if isinstance(answer.body, dict) else None
        if body is None:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
        if answer.status_code == 409 and body.get("error") == "DUPLICATE_TX_ID":
            return self.requery(request_id)
        if answer.status_code >= 400:
            self._raise_for_error(answer, body)
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply", raw=body)
        return self._result(request_id, body)

    @staticmethod
    def _raise_for_error(answer: HttpAnswer, body: dict) -> None:
        error, message = str(body.get("error", "")), str(body.get("message", ""))
        if error == "INVALID_MSISDN":
            raise InvalidRecipient(message or "invalid number", provider_code=error)
        if error == "INVALID_AMOUNT":
            raise InvalidAmount(message or "invalid amount", provider_code=error)
        if error == "UNKNOWN_PRODUCT":
            raise ProductUnavailable(message or "unknown product", provider_code=error)
        if error == "INSUFFICIENT_FLOAT":
            raise ProviderLowBalance("our MTN float is too low", provider_code=error)
        if 400 <= answer.status_code < 500:
            raise UserFixableError(message or "MTN refused the request", provider_code=error)

    def requery(self, request_id: str) -> FulfilmentResult:
        answer = send(self.config, "GET", f"v1/transactions/{request_id}", write=True, headers=self._headers())
        if answer.unclear or not isinstance(answer.body, dict):
            return FulfilmentResult(request_id, OutcomeStatus.PENDING,
                                    reason=answer.unclear_reason or "unexpected_reply")
        if answer.status_code == 404:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unknown_request_id",
                                    provider_code="NOT_FOUND")
        return self._result(request_id, answer.body)

    @staticmethod
    def _result(request_id: str, body: dict) -> FulfilmentResult:
        txn = body.get("transaction") if isinstance(body.get("transaction"), dict) else body
        raw_status = str(txn.get("status", "")).upper()
        status = _STATUS.get(raw_status, OutcomeStatus.PENDING)
        delivered = None
        if status == OutcomeStatus.SUCCESS and txn.get("amount") not in (None, ""):
            delivered = to_minor(txn["amount"], CURRENCY)
        reason = "" if status == OutcomeStatus.SUCCESS else (str(txn.get("reason") or raw_status.lower()))
        return FulfilmentResult(request_id, status, provider_reference=str(txn.get("reference", "")),
                                delivered_amount_minor=delivered, currency=CURRENCY, reason=reason,
                                provider_code=raw_status, raw=body)

    def list_products(self) -> list[ProductListing]:
        answer = send(self.config, "GET", "v1/products", write=False, headers=self._headers())
        if not isinstance(answer.body, dict) or answer.status_code >= 400:
            raise ProviderProtocolError("MTN product list is not JSON")
        listings = []
        country = self.config.options.get("country", "NG")
        for product in answer.body.get("products", []):
            rate = 10_000 - round(float(product.get("discount_percent") or 0) * 100)
            common = {"provider_product_code": product["code"], "name": product["name"], "country": country,
                      "currency": product.get("currency", CURRENCY), "operator": "mtn", "extra": {"brand": "MTN"}}
            if product["type"] == "airtime":
                listings.append(ProductListing(
                    product_type=ProductType.AIRTIME, min_amount_minor=to_minor(product["min_amount"], CURRENCY),
                    max_amount_minor=to_minor(product["max_amount"], CURRENCY), cost_rate_bp=rate, **common))
            else:
                face = to_minor(product["price"], CURRENCY)
                listings.append(ProductListing(
                    product_type=ProductType.DATA, face_value_minor=face, cost_minor=face * rate // 10_000,
                    data_size_mb=product.get("data_mb"), validity_days=product.get("validity_days"), **common))
        return listings


class MTNCallbacks:
    """``{tx_id, status, recipient}`` with ``X-MTN-Signature: sha256=<hex HMAC>`` over the raw body."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackUpdate | None:
        lowered = {key.lower(): value for key, value in headers.items()}
        secret = self.config.credentials.get("webhook_secret", "")
        if not signature_valid(secret, body, lowered.get(SIGNATURE_HEADER.lower(), "")):
            raise SignatureError("the MTN webhook signature does not verify")
        try:
            payload = json_loads(body)
        except ValueError:
            raise ProviderProtocolError("MTN webhook body is not JSON") from None
        if not isinstance(payload, dict) or not payload.get("tx_id") or not payload.get("status"):
            raise ProviderProtocolError("MTN webhook without tx_id/status")
        raw_status = str(payload["status"]).upper()
        return CallbackUpdate(request_id=str(payload["tx_id"]), status=_STATUS.get(raw_status, OutcomeStatus.PENDING),
                              recipient=str(payload.get("recipient", "")), provider_code=raw_status,
                              reason="" if raw_status == "SUCCESSFUL" else raw_status.lower(), raw=payload)

    def acknowledgement(self) -> CallbackAck:
        return CallbackAck(200, {"received": True})

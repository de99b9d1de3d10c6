"""Flutterwave v3 (api.flutterwave.com/v3): standard payment links, verification by id or
tx_ref, ``verif-hash`` webhooks, bank list, account resolution and transfers.

Credentials: ``secret_key`` (bearer token) and ``secret_hash`` (the value Flutterwave
echoes in the ``verif-hash`` header; set in the dashboard). Amounts on the wire are
MAJOR units; we convert exactly with the currency's ISO 4217 exponent.

The webhook is a hint: the contract body ``{event, data: {id, status}}`` carries no
amount, so the core verifies by ``provider_id`` before giving value.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from provider_plugins.interfaces.common import (
    DuplicateRequest,
    InvalidAmount,
    OutcomeStatus,
    ProviderConfig,
    ProviderFault,
    ProviderLowBalance,
    ProviderProtocolError,
    SignatureError,
    UserFixableError,
)
from provider_plugins.interfaces.gateway_http import HttpAnswer, call, is_unclear
from provider_plugins.interfaces.payments import (
    CheckoutRequest,
    CheckoutSession,
    PaymentEvent,
    PaymentVerification,
    header_value,
    major_to_minor,
    minor_to_major,
)
from provider_plugins.interfaces.payouts import (
    AccountName,
    Bank,
    InvalidAccount,
    TransferEvent,
    TransferRequest,
    TransferResult,
)
from provider_plugins.interfaces.wire import json_loads

SIGNATURE_HEADER = "verif-hash"
PAYMENT_STATUSES = {"successful": OutcomeStatus.SUCCESS, "failed": OutcomeStatus.FAILED}
TRANSFER_STATUSES = {"SUCCESSFUL": OutcomeStatus.SUCCESS, "FAILED": OutcomeStatus.FAILED}  # NEW/PENDING: pending


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _amount(data: Mapping[str, Any], currency: str) -> int | None:
    if data.get("amount") is None or not currency:
        return None
    return major_to_minor(data["amount"], currency)


class FlutterwaveConnector:
    """Stateless: every call takes its ProviderConfig. Implements PaymentGateway and PayoutGateway."""

    key = "flutterwave"

    def _call(self, config: ProviderConfig, method: str, path: str, **kwargs: Any) -> HttpAnswer:
        headers = {"Authorization": f"Bearer {config.credentials['secret_key']}", "Accept": "application/json"}
        return call(config, method, path, headers=headers, **kwargs)

    @staticmethod
    def _message(answer: HttpAnswer) -> str:
        return str(answer.body.get("message", "")) if isinstance(answer.body, dict) else ""

    @staticmethod
    def _data(answer: HttpAnswer) -> Any:
        if not isinstance(answer.body, dict) or answer.body.get("status") != "success":
            raise ProviderProtocolError("unexpected Flutterwave answer", raw={"status": answer.status})
        return answer.body.get("data")

    def _authenticated_payload(self, headers: Mapping[str, str], raw_body: bytes,
                               config: ProviderConfig) -> dict[str, Any]:
        given = header_value(headers, SIGNATURE_HEADER)
        expected = config.credentials["secret_hash"]
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise SignatureError("verif-hash does not match the configured secret hash")
        try:
            payload = json_loads(raw_body)
        except ValueError:
            raise ProviderProtocolError("webhook body is not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict) or "id" not in payload["data"]:
            raise ProviderProtocolError("webhook body has no data.id")
        return payload

    @staticmethod
    def classify_webhook(raw_body: bytes) -> str:
        """Unauthenticated peek to route a webhook: ``payment``, ``transfer`` or ``other``."""
        try:
            event = str(json_loads(raw_body).get("event", ""))
        except (ValueError, AttributeError):
            return "other"
        return "payment" if event.startswith("charge.") else "transfer" if event.startswith("transfer.") else "other"

    # -- payments ----------------------------------------------------------------
    def initialize_checkout(self, request: CheckoutRequest, *, config: ProviderConfig) -> CheckoutSession:
        body = {
            "tx_ref": request.reference,
            "amount": minor_to_major(request.amount_minor, request.currency),
            "currency": request.currency,
            "redirect_url": request.callback_url,
            "customer": {"email": request.email, "phonenumber": request.phone, "name": request.customer_name},
            "customizations": {"title": config.options.get("title", "Wallet funding"),
                               "description": request.description},
            "meta": dict(request.metadata),
        }
        answer = self._call(config, "POST", "/v3/payments", json_body=body)
        if answer.status >= 400:
            message = self._message(answer)
            lowered = message.lower()
            if "already exists" in lowered or "duplicate" in lowered:
                raise DuplicateRequest(message, provider_code=str(answer.status))
            if "amount" in lowered:
                raise InvalidAmount(message, provider_code=str(answer.status))
            if "email" in lowered:
                raise UserFixableError(message, code="invalid_email", provider_code=str(answer.status))
            raise ProviderFault(message or "payment link refused", provider_code=str(answer.status))
        link = str(self._data(answer)["link"])
        return CheckoutSession(authorization_url=link, reference=request.reference,
                               provider_reference=link.rstrip("/").rsplit("/", 1)[-1], raw=answer.body)

    def verify(self, *, config: ProviderConfig, reference: str = "", provider_id: str = "") -> PaymentVerification:
        """By ``provider_id`` (Flutterwave's transaction id, preferred) or by our ``reference`` (tx_ref)."""
        if provider_id:
            path, params = f"/v3/transactions/{int(provider_id)}/verify", None
        else:
            path, params = "/v3/transactions/verify_by_reference", {"tx_ref": reference}
        try:
            answer = self._call(config, "GET", path, params=params)
        except ProviderFault as fault:
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status=fault.code, message=str(fault))
        if answer.status >= 400:  # no transaction (yet): the customer has not attempted payment
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status="not_found", message=self._message(answer))
        data = self._data(answer)
        currency = str(data.get("currency", ""))
        provider_status = str(data.get("status", ""))
        return PaymentVerification(
            status=PAYMENT_STATUSES.get(provider_status, OutcomeStatus.PENDING),
            reference=str(data.get("tx_ref", "")),
            amount_minor=_amount(data, currency),
            currency=currency,
            provider_id=str(data.get("id", "")),
            paid_at=_parse_time(data.get("created_at")) if provider_status == "successful" else None,
            channel=str(data.get("payment_type") or ""),
            provider_status=provider_status,
            message=str(data.get("processor_response") or ""),
            raw=data,
        )

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        payload = self._authenticated_payload(headers, raw_body, config)
        data, event = payload["data"], str(payload.get("event", ""))
        provider_status = str(data.get("status", "")).lower()
        currency = str(data.get("currency", ""))
        amount = _amount(data, currency)  # the verification decides what counts; an unreadable amount is refused
        return PaymentEvent(
            event_id=f"{event}:{data['id']}:{provider_status}", event_type=event,
            status=PAYMENT_STATUSES.get(provider_status, OutcomeStatus.PENDING) if event.startswith("charge.")
            else OutcomeStatus.PENDING,
            reference=str(data.get("tx_ref", "")), provider_id=str(data["id"]),
            amount_minor=amount, currency=currency, raw=payload)

    # -- payouts -----------------------------------------------------------------
    def list_banks(self, *, config: ProviderConfig, country: str) -> list[Bank]:
        answer = self._call(config, "GET", f"/v3/banks/{country.upper()}")
        if answer.status >= 400:
            raise ProviderFault(self._message(answer) or "bank list refused", provider_code=str(answer.status))
        return [Bank(code=str(b["code"]), name=str(b["name"])) for b in self._data(answer)]

    def resolve_account(self, *, config: ProviderConfig, bank_code: str, account_number: str) -> AccountName:
        answer = self._call(config, "POST", "/v3/accounts/resolve",
                            json_body={"account_number": account_number, "account_bank": bank_code})
        if answer.status in (400, 404, 422):
            raise InvalidAccount(self._message(answer) or "account not found", provider_code=str(answer.status))
        if answer.status >= 400:
            raise ProviderFault(self._message(answer), provider_code=str(answer.status))
        data = self._data(answer)
        return AccountName(bank_code=bank_code, account_number=str(data["account_number"]),
                           account_name=str(data["account_name"]))

    def initiate_transfer(self, request: TransferRequest, *, config: ProviderConfig) -> TransferResult:
        body = {"account_bank": request.bank_code, "account_number": request.account_number,
                "amount": minor_to_major(request.amount_minor, request.currency), "currency": request.currency,
                "debit_currency": request.currency, "reference": request.reference,
                "narration": request.narration, "callback_url": request.callback_url or None}
        try:
            answer = self._call(config, "POST", "/v3/transfers", json_body=body)
        except ProviderFault as fault:
            if not is_unclear(fault):
                raise
            return TransferResult(OutcomeStatus.PENDING, request.reference, provider_status=fault.code,
                                  message=str(fault))
        if answer.status >= 400:
            message = self._message(answer)
            lowered = message.lower()
            if "already exists" in lowered or "duplicate" in lowered:
                return self.transfer_status(config=config, reference=request.reference)  # idempotent
            if "insufficient" in lowered or "balance" in lowered:
                raise ProviderLowBalance(message, provider_code=str(answer.status))
            if "amount" in lowered:
                raise InvalidAmount(message, provider_code=str(answer.status))
            if "account" in lowered:
                raise InvalidAccount(message, provider_code=str(answer.status))
            raise ProviderFault(message or "transfer refused", provider_code=str(answer.status))
        return self._transfer_result(self._data(answer), request.reference)

    @staticmethod
    def _transfer_result(data: Mapping[str, Any], reference: str) -> TransferResult:
        provider_status = str(data.get("status", "")).upper()
        currency = str(data.get("currency", ""))
        return TransferResult(
            status=TRANSFER_STATUSES.get(provider_status, OutcomeStatus.PENDING),
            reference=str(data.get("reference") or reference), provider_reference=str(data.get("id", "")),
            amount_minor=_amount(data, currency), currency=currency, provider_status=provider_status,
            message=str(data.get("complete_message") or ""), raw=dict(data))

    def transfer_status(self, *, config: ProviderConfig, reference: str) -> TransferResult:
        """Find the transfer by our reference, then read it by id (the authoritative record)."""
        try:
            listing = self._call(config, "GET", "/v3/transfers", params={"reference": reference})
            found = self._data(listing) if listing.status < 400 else []
            if not found:
                return TransferResult(OutcomeStatus.PENDING, reference, provider_status="not_found",
                                      message=self._message(listing))
            answer = self._call(config, "GET", f"/v3/transfers/{int(found[0]['id'])}")
        except ProviderFault as fault:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))
        if answer.status >= 400:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status="not_found",
                                  message=self._message(answer))
        return self._transfer_result(self._data(answer), reference)

    def parse_transfer_webhook(self, headers: Mapping[str, str], raw_body: bytes, *,
                               config: ProviderConfig) -> TransferEvent:
        payload = self._authenticated_payload(headers, raw_body, config)
        data, event = payload["data"], str(payload.get("event", ""))
        result = self._transfer_result(data, str(data.get("reference", "")))
        return TransferEvent(event_id=f"{event}:{data['id']}:{result.provider_status}", event_type=event,
                             status=result.status if event == "transfer.completed" else OutcomeStatus.PENDING,
                             reference=result.reference, provider_reference=result.provider_reference,
                             amount_minor=result.amount_minor, currency=result.currency, raw=payload)

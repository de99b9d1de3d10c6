"""Wave Business API: Checkout (funding) and Payout (cash-out to a Wave wallet).

Published protocol followed here:

* Checkout API, https://docs.wave.com/checkout — ``POST /v1/checkout/sessions`` (amount as a decimal
  string, currency, ``success_url``, ``error_url``, ``client_reference``), ``GET
  /v1/checkout/sessions/:id``, ``GET /v1/checkout/sessions/search?client_reference=``, ``POST
  /v1/checkout/sessions/:id/expire`` and ``/refund``. A session has ``checkout_status`` (``open``,
  ``complete``, ``expired``) and ``payment_status`` (``processing``, ``cancelled``, ``succeeded``).
* Payout API, https://docs.wave.com/payout — ``POST /v1/payout`` (``idempotency-key`` header,
  ``currency``, ``receive_amount``, ``mobile`` in E.164, ``name``, ``client_reference``,
  ``payment_reason``), ``GET /v1/payout/:id``, ``GET /v1/payouts/search?client_reference=``, ``POST
  /v1/payout/:id/reverse``. A payout's ``status`` is ``processing``, ``succeeded``, ``failed`` (with
  ``payout_error {error_code, error_message}``) or ``reversed``.
* Balance API, https://docs.wave.com/balance — ``GET /v1/balance`` -> ``{amount, currency}``.
* Webhooks, https://docs.wave.com/webhook — the "signing secret" strategy: header
  ``Wave-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`` where each ``v1`` is the hex
  HMAC-SHA256 of ``<t>`` immediately followed by the raw body, keyed with the webhook secret; any
  matching ``v1`` is valid; deliveries older than 5 minutes are refused (replay). The body is an
  event ``{id, type, data}``; ``id`` is stable across redeliveries (our dedupe key). Events used:
  ``checkout.session.completed`` and ``checkout.session.payment_failed``. Wave publishes no payout
  webhooks: payouts are polled.

Authentication is ``Authorization: Bearer <api key>`` (keys look like ``wave_sn_prod_...``). Errors
are ``{"code": "...", "message": "..."}`` with the HTTP status. Amounts are decimal strings in major
units (XOF has no decimals), read by the money rule (``major_to_minor``): an amount that is there but
unreadable is Wave's protocol error (a webhook carrying one is refused; a status answer carrying one is
unclear, so PENDING). Bodies are read with ``wire.json_loads``. Wave has no name enquiry: the recipient
``name`` sent with a payout is checked by Wave (a mismatch fails the payout).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.common import (
    InvalidAmount,
    OutcomeStatus,
    ProviderConfig,
    ProviderError,
    ProviderFault,
    ProviderLowBalance,
    ProviderProtocolError,
    SignatureError,
    UserFixableError,
    gettext_noop,
)
from provider_plugins.interfaces.gateway_http import HttpAnswer, call, is_unclear
from provider_plugins.interfaces.money import AmountError, amount_text
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
    InvalidAccount,
    TransferEvent,
    TransferResult,
    WalletHolder,
    WalletTransferRequest,
)
from provider_plugins.interfaces.wire import json_loads

SIGNATURE_TOLERANCE_SECONDS = 300
PAYOUT_STATUSES = {"succeeded": OutcomeStatus.SUCCESS, "failed": OutcomeStatus.FAILED,
                   "reversed": OutcomeStatus.FAILED}  # processing and anything else: pending
RECIPIENT_ERRORS = {"recipient-not-found", "name-mismatch", "blocked-account", "recipient-limit-exceeded"}


def wave_signature(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """One ``v1`` value: hex HMAC-SHA256 of the timestamp immediately followed by the raw body."""
    return hmac.new(secret.encode(), str(timestamp).encode() + raw_body, hashlib.sha256).hexdigest()


def _amount(value: Any, currency: str) -> int | None:
    """Wave's decimal-string amount in minor units; None when absent. There but unreadable (the money rule:
    ``"1e999"``, ``"NaN"``, sub-unit XOF...): ``ProviderProtocolError`` ``bad_amount``."""
    if value is None:
        return None
    if not currency:  # no currency to judge the digits by: the grammar at least, and no number
        try:
            amount_text(value)
        except AmountError:
            raise ProviderProtocolError("unreadable Wave amount", code="bad_amount") from None
        return None
    return major_to_minor(value, currency)


def _error(answer: HttpAnswer) -> tuple[str, str]:
    body = answer.body if isinstance(answer.body, dict) else {}
    return str(body.get("code", "")), str(body.get("message", ""))


class WaveConnector:
    """Implements PaymentGateway (Checkout) and WalletPayout (Payout)."""

    key = "wave"

    @staticmethod
    def _headers(config: ProviderConfig, idempotency_key: str = "") -> dict[str, str]:
        headers = {"Authorization": f"Bearer {config.credentials['api_key']}", "Content-Type": "application/json"}
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        return headers

    # -- checkout ------------------------------------------------------------------------------
    def initialize_checkout(self, request: CheckoutRequest, *, config: ProviderConfig) -> CheckoutSession:
        if request.amount_minor <= 0:
            raise InvalidAmount(gettext_noop("amount must be positive"))
        body = {"amount": minor_to_major(request.amount_minor, request.currency), "currency": request.currency,
                "client_reference": request.reference, "success_url": request.callback_url,
                "error_url": request.callback_url}
        answer = call(config, "POST", "/v1/checkout/sessions", json_body=body,
                      headers=self._headers(config, request.reference))
        if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("wave_launch_url"):
            return CheckoutSession(authorization_url=str(answer.body["wave_launch_url"]), reference=request.reference,
                                   provider_reference=str(answer.body["id"]), raw=dict(answer.body))
        code, message = _error(answer)
        if code in ("request-validation-error", "invalid-amount") or "amount" in message.lower():
            raise InvalidAmount(message or code, provider_code=code)
        raise ProviderFault(message or f"checkout refused ({answer.status})", provider_code=code)

    def _session(self, config: ProviderConfig, *, reference: str, provider_id: str) -> dict[str, Any] | None:
        if provider_id:
            answer = call(config, "GET", f"/v1/checkout/sessions/{provider_id}", headers=self._headers(config))
            return answer.body if answer.status == 200 and isinstance(answer.body, dict) else None
        answer = call(config, "GET", "/v1/checkout/sessions/search", params={"client_reference": reference},
                      headers=self._headers(config))
        results = (answer.body or {}).get("result") if isinstance(answer.body, dict) else None
        if answer.status != 200 or not isinstance(results, list) or not results:
            return None
        paid = [s for s in results if isinstance(s, dict) and s.get("payment_status") == "succeeded"]
        return (paid or results)[-1]

    def verify(self, *, config: ProviderConfig, reference: str = "", provider_id: str = "") -> PaymentVerification:
        try:
            session = self._session(config, reference=reference, provider_id=provider_id)
        except ProviderError as fault:
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status=fault.code, message=str(fault))
        if session is None:
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status="not_found")
        try:
            return self._verification(session)
        except ProviderProtocolError as fault:  # an answer we cannot read is unclear: pending, requeried
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status=fault.code, message=str(fault))

    @staticmethod
    def _verification(session: Mapping[str, Any]) -> PaymentVerification:
        payment, checkout = str(session.get("payment_status") or ""), str(session.get("checkout_status") or "")
        if payment == "succeeded":
            status = OutcomeStatus.SUCCESS
        elif checkout == "expired":
            status = OutcomeStatus.FAILED  # nobody paid before the session expired: it can never be paid now
        else:
            status = OutcomeStatus.PENDING  # open (a cancelled attempt may be retried on the same session)
        currency = str(session.get("currency") or "")
        amount = _amount(session.get("amount"), currency)
        error = session.get("last_payment_error") or {}
        return PaymentVerification(
            status=status, reference=str(session.get("client_reference") or ""), amount_minor=amount,
            currency=currency, provider_id=str(session.get("id") or ""), channel="wave",
            provider_status=f"{checkout}/{payment}" if payment else checkout,
            message=str(error.get("message", "")) if isinstance(error, dict) else "", raw=dict(session))

    def expire_checkout(self, *, config: ProviderConfig, provider_reference: str) -> bool:
        """Close an unpaid session so it can no longer be paid (True when Wave expired it)."""
        answer = call(config, "POST", f"/v1/checkout/sessions/{provider_reference}/expire",
                      headers=self._headers(config), allow_empty=True)
        return answer.status == 200

    def refund_checkout(self, *, config: ProviderConfig, provider_reference: str) -> bool:
        """Give a completed payment back to the payer (True when Wave accepted the refund)."""
        answer = call(config, "POST", f"/v1/checkout/sessions/{provider_reference}/refund",
                      headers=self._headers(config), allow_empty=True)
        return answer.status == 200

    def balance(self, *, config: ProviderConfig) -> list[ProviderBalance]:
        """``GET /v1/balance`` -> ``{amount, currency}`` (BalanceEnquiry: one line, minor units)."""
        answer = call(config, "GET", "/v1/balance", headers=self._headers(config))
        if answer.status != 200 or not isinstance(answer.body, dict) or answer.body.get("amount") is None:
            raise ProviderProtocolError("no balance in Wave's answer", provider_code=str(answer.status))
        currency = str(answer.body.get("currency", ""))
        return [ProviderBalance(currency=currency, amount_minor=major_to_minor(answer.body["amount"], currency),
                                raw=dict(answer.body))]

    # -- webhooks ------------------------------------------------------------------------------
    def _authenticate(self, headers: Mapping[str, str], raw_body: bytes, config: ProviderConfig) -> None:
        secret = config.credentials.get("webhook_secret", "")
        header = header_value(headers, "Wave-Signature")
        if not secret or not header:
            raise SignatureError("missing Wave-Signature")
        timestamp, signatures = "", []
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            if name == "t":
                timestamp = value
            elif name == "v1":
                signatures.append(value)
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signatures:
            raise SignatureError("unreadable Wave-Signature")
        tolerance = int(config.options.get("signature_tolerance_seconds", SIGNATURE_TOLERANCE_SECONDS))
        if abs(time.time() - int(timestamp)) > tolerance:
            raise SignatureError("Wave-Signature timestamp outside the tolerance (replay?)")
        expected = wave_signature(secret, timestamp, raw_body)
        if not any(hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace"))
                   for candidate in signatures):
            raise SignatureError("Wave-Signature does not match")

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        self._authenticate(headers, raw_body, config)
        try:
            event = json_loads(raw_body)  # numbers as Decimal, nesting bounded, no NaN/Infinity
        except ValueError:
            raise ProviderProtocolError("webhook body is not JSON") from None
        if not isinstance(event, dict) or not event.get("id") or not isinstance(event.get("data"), dict):
            raise ProviderProtocolError("not a Wave event")
        event_type, data = str(event.get("type", "")), event["data"]
        result = self._verification(data)  # an amount that is there must be readable: else malformed (4xx)
        status = {"checkout.session.completed": result.status,
                  "checkout.session.payment_failed": OutcomeStatus.FAILED}.get(event_type, OutcomeStatus.PENDING)
        return PaymentEvent(event_id=str(event["id"]), event_type=event_type, status=status,
                            reference=result.reference, provider_id=result.provider_id,
                            amount_minor=result.amount_minor, currency=result.currency, raw=event)

    # -- payouts -------------------------------------------------------------------------------
    def wallet_holder(self, *, config: ProviderConfig, msisdn: str, country: str, currency: str) -> WalletHolder:
        """Wave offers no name enquiry: the number is all we can show (Wave checks ``name`` at payout)."""
        if not msisdn.isdigit() or not 8 <= len(msisdn) <= 15:
            raise InvalidAccount("not a mobile number")
        return WalletHolder(msisdn=msisdn, name="", active=True)

    @staticmethod
    def _result(payout: Mapping[str, Any], reference: str) -> TransferResult:
        status_word = str(payout.get("status", ""))
        currency = str(payout.get("currency", ""))
        amount = _amount(payout.get("receive_amount"), currency)
        error = payout.get("payout_error") or {}
        return TransferResult(status=PAYOUT_STATUSES.get(status_word, OutcomeStatus.PENDING),
                              reference=str(payout.get("client_reference") or reference),
                              provider_reference=str(payout.get("id", "")), amount_minor=amount, currency=currency,
                              reversed=status_word == "reversed", provider_status=status_word,
                              message=str(error.get("error_code", "")) if isinstance(error, dict) else "",
                              raw=dict(payout))

    def send_to_wallet(self, request: WalletTransferRequest, *, config: ProviderConfig) -> TransferResult:
        body = {"currency": request.currency, "receive_amount": minor_to_major(request.amount_minor, request.currency),
                "mobile": f"+{request.msisdn.lstrip('+')}", "client_reference": request.reference,
                "payment_reason": (request.narration or "")[:40]}
        if request.name:
            body["name"] = request.name
        pending = TransferResult(OutcomeStatus.PENDING, request.reference, provider_status="sent_unclear")
        try:
            answer = call(config, "POST", "/v1/payout", json_body=body,
                          headers=self._headers(config, request.reference))
        except ProviderFault as fault:
            if is_unclear(fault):
                return pending  # Wave may have paid: requery by client_reference
            raise
        if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("id"):
            try:
                return self._result(answer.body, request.reference)
            except ProviderProtocolError:
                return pending  # Wave took it, but its answer is unreadable: requery, never "failed"
        code, message = _error(answer)
        if code == "insufficient-funds":
            raise ProviderLowBalance(message or code, provider_code=code)
        if code in RECIPIENT_ERRORS:
            raise InvalidAccount(message or code, provider_code=code)
        if answer.status in (400, 422):
            raise UserFixableError(message or code, provider_code=code)
        raise ProviderFault(message or f"payout refused ({answer.status})", provider_code=code)

    def wallet_transfer_status(self, *, config: ProviderConfig, reference: str, provider_reference: str = "",
                               country: str = "", currency: str = "") -> TransferResult:
        try:
            if provider_reference:
                answer = call(config, "GET", f"/v1/payout/{provider_reference}", headers=self._headers(config))
                payout = answer.body if answer.status == 200 and isinstance(answer.body, dict) else None
            else:
                answer = call(config, "GET", "/v1/payouts/search", params={"client_reference": reference},
                              headers=self._headers(config))
                found = (answer.body or {}).get("result") if isinstance(answer.body, dict) else None
                payout = found[-1] if answer.status == 200 and isinstance(found, list) and found else None
        except ProviderError as fault:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))
        if payout is None:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status="not_found")
        try:
            return self._result(payout, reference)
        except ProviderProtocolError as fault:  # unreadable: unclear, requeried
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))

    def parse_wallet_callback(self, headers: Mapping[str, str], raw_body: bytes, *,
                              config: ProviderConfig) -> TransferEvent:
        raise ProviderProtocolError("Wave sends no payout notifications: payouts are polled")

"""MTN MoMo Open API (https://momodeveloper.mtn.com/api-documentation): Collection (request-to-pay,
status, callbacks, balance) and Disbursement (transfer, status, account-holder checks, balance).

Credentials: ``subscription_key`` (Ocp-Apim-Subscription-Key, 32 hex characters), ``api_user``
(a UUID) and ``api_key`` (32 hex) for the Collection product; ``disbursement_subscription_key``,
``disbursement_api_user``, ``disbursement_api_key`` for the Disbursement product (MTN issues one
subscription per product). Options: ``target_environment`` (``sandbox``, ``mtnghana``,
``mtnivorycoast``, ...; default ``sandbox``).

Disbursement: ``POST /disbursement/v1_0/transfer`` (``X-Reference-Id`` = UUID5 of our reference,
202), ``GET /disbursement/v1_0/transfer/{referenceId}`` (``PENDING`` / ``SUCCESSFUL`` /
``FAILED`` + ``reason``); before paying, ``GET /disbursement/v1_0/accountholder/msisdn/{id}/active``
(``{"result": true}``) and ``.../basicuserinfo`` (``given_name``, ``family_name``) are the name
check; ``GET /{product}/v1_0/account/balance`` -> ``{availableBalance, currency}``.

Amounts MoMo sends are decimal strings, read by the money rule (``major_to_minor``): one that is there
but unreadable makes a callback malformed (4xx) and a status answer unclear (PENDING). Bodies are read
with ``wire.json_loads``.

``X-Reference-Id`` is derived from OUR reference (UUID5), so re-sending the same
reference hits MoMo's ``409 RESOURCE_ALREADY_EXIST`` instead of a second debit, and
the id to poll can always be recomputed from our reference. Amounts are decimal
strings in major units. MoMo callbacks are unsigned: ``authenticated=False``; the
core must confirm by polling :meth:`payment_status` before giving value.

The only state kept is an access-token cache (per base URL and API user), refreshed
on expiry or on a 401.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.common import (
    InvalidAmount,
    InvalidRecipient,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderFault,
    ProviderLowBalance,
    ProviderProtocolError,
)
from provider_plugins.interfaces.gateway_http import HttpAnswer, call, is_unclear
from provider_plugins.interfaces.money import AmountError, amount_text
from provider_plugins.interfaces.payments import (
    MobileMoneyAccepted,
    MobileMoneyRequest,
    PaymentEvent,
    PaymentVerification,
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

REFERENCE_NAMESPACE = uuid.UUID("6f1c1d38-52c4-4bd4-9f3a-2b8f1f0f6a11")
STATUSES = {"SUCCESSFUL": OutcomeStatus.SUCCESS, "FAILED": OutcomeStatus.FAILED}  # PENDING & unknown: pending


def _amount(body: Mapping[str, Any]) -> int | None:
    """``body["amount"]`` in minor units of ``body["currency"]``; None when absent. There but unreadable by the
    money rule (or with no currency to read it in, yet not even a decimal): ``ProviderProtocolError`` bad_amount."""
    value, currency = body.get("amount"), str(body.get("currency") or "")
    if value is None:
        return None
    if not currency:
        try:
            amount_text(value)
        except AmountError:
            raise ProviderProtocolError("unreadable MoMo amount", code="bad_amount") from None
        return None
    return major_to_minor(value, currency)


def reference_id_for(reference: str) -> str:
    """The X-Reference-Id MoMo knows our payment by: stable for a given reference."""
    return str(uuid.uuid5(REFERENCE_NAMESPACE, reference))


class MtnMomoConnector:
    """Implements MobileMoneyCollection (Collection product) and WalletPayout (Disbursement product)."""

    key = "mtn_momo"
    _tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
    _tokens_lock = threading.Lock()

    # -- auth --------------------------------------------------------------------
    @staticmethod
    def _credential(config: ProviderConfig, name: str, product: str) -> str:
        if product == "disbursement":
            return config.credentials.get(f"disbursement_{name}") or config.credentials[name]
        return config.credentials[name]

    def _subscription(self, config: ProviderConfig, product: str = "collection") -> dict[str, str]:
        return {"Ocp-Apim-Subscription-Key": self._credential(config, "subscription_key", product)}

    def _token(self, config: ProviderConfig, *, fresh: bool = False, product: str = "collection") -> str:
        api_user, api_key = self._credential(config, "api_user", product), self._credential(config, "api_key", product)
        secret_digest = hashlib.sha256(api_key.encode()).hexdigest()
        cache_key = (config.base_url + "#" + product, api_user, secret_digest)
        with self._tokens_lock:
            cached = self._tokens.get(cache_key)
        if cached and not fresh and cached[1] > time.monotonic():
            return cached[0]
        answer = call(config, "POST", f"/{product}/token/", headers=self._subscription(config, product),
                      auth=(api_user, api_key))
        if answer.status != 200 or not isinstance(answer.body, dict) or "access_token" not in answer.body:
            raise ProviderProtocolError("no access token in MoMo answer", provider_code=str(answer.status))
        token = str(answer.body["access_token"])
        given = answer.body.get("expires_in", 3600)
        expires_in = given if isinstance(given, int) and not isinstance(given, bool) and 0 < given < 10**6 else 3600
        with self._tokens_lock:
            self._tokens[cache_key] = (token, time.monotonic() + max(expires_in - 60, expires_in // 2))
        return token

    def _call(self, config: ProviderConfig, method: str, path: str, *, headers: dict[str, str] | None = None,
              product: str = "collection", **kwargs: Any) -> HttpAnswer:
        for attempt in range(2):
            token = self._token(config, fresh=attempt > 0, product=product)
            all_headers = {**self._subscription(config, product), "Authorization": f"Bearer {token}",
                           "X-Target-Environment": config.options.get("target_environment", "sandbox"),
                           **(headers or {})}
            try:
                return call(config, method, path, headers=all_headers, **kwargs)
            except ProviderAuthError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    # -- collection --------------------------------------------------------------
    def request_to_pay(self, request: MobileMoneyRequest, *, config: ProviderConfig) -> MobileMoneyAccepted:
        reference_id = reference_id_for(request.reference)
        body = {"amount": minor_to_major(request.amount_minor, request.currency), "currency": request.currency,
                "externalId": request.reference,
                "payer": {"partyIdType": "MSISDN", "partyId": request.phone.lstrip("+")},
                "payerMessage": request.payer_message[:160], "payeeNote": request.payee_note[:160]}
        headers = {"X-Reference-Id": reference_id, "Content-Type": "application/json"}
        if request.callback_url:
            headers["X-Callback-Url"] = request.callback_url
        accepted = MobileMoneyAccepted(reference=request.reference, provider_reference=reference_id)
        try:
            answer = self._call(config, "POST", "/collection/v1_0/requesttopay", json_body=body, headers=headers,
                                allow_empty=True)
        except ProviderFault as fault:
            if not is_unclear(fault):
                raise
            return accepted  # the push may have gone out: poll the (deterministic) reference id
        if answer.status in (202, 409):  # 409: this reference was already requested -> same payment
            return accepted
        code = str((answer.body or {}).get("code", "")) if isinstance(answer.body, dict) else ""
        message = str((answer.body or {}).get("message", "")) if isinstance(answer.body, dict) else ""
        if "amount" in message.lower() or code in ("PAYER_LIMIT_REACHED",):
            raise InvalidAmount(message or code, provider_code=code)
        if "payer" in message.lower() or code in ("PAYER_NOT_FOUND",):
            raise InvalidRecipient(message or code, provider_code=code)
        raise ProviderFault(message or f"request-to-pay refused ({answer.status})", provider_code=code)

    def payment_status(self, *, config: ProviderConfig, provider_reference: str) -> PaymentVerification:
        try:
            answer = self._call(config, "GET", f"/collection/v1_0/requesttopay/{provider_reference}")
        except ProviderFault as fault:
            return PaymentVerification(OutcomeStatus.PENDING, "", None, "", provider_reference,
                                       provider_status=fault.code, message=str(fault))
        if answer.status == 404 or not isinstance(answer.body, dict) or answer.status >= 400:
            return PaymentVerification(OutcomeStatus.PENDING, "", None, "", provider_reference,
                                       provider_status="not_found", message=str(answer.body))
        try:
            return self._verification(answer.body, provider_reference)
        except ProviderProtocolError as fault:  # an answer we cannot read is unclear: pending, requeried
            return PaymentVerification(OutcomeStatus.PENDING, "", None, "", provider_reference,
                                       provider_status=fault.code, message=str(fault))

    @staticmethod
    def _verification(body: Mapping[str, Any], provider_reference: str) -> PaymentVerification:
        provider_status = str(body.get("status", "")).upper()
        currency = str(body.get("currency", ""))
        amount = _amount(body)
        return PaymentVerification(
            status=STATUSES.get(provider_status, OutcomeStatus.PENDING),
            reference=str(body.get("externalId", "")), amount_minor=amount, currency=currency,
            provider_id=str(body.get("financialTransactionId") or provider_reference),
            channel="mobile_money", provider_status=provider_status, message=str(body.get("reason") or ""),
            raw=dict(body))

    def parse_callback(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        """MoMo's callback carries no signature and no X-Reference-Id: a hint to poll, never proof."""
        try:
            body = json_loads(raw_body)
        except ValueError:
            raise ProviderProtocolError("callback body is not JSON")
        if not isinstance(body, dict) or not body.get("externalId"):
            raise ProviderProtocolError("callback has no externalId")
        reference = str(body["externalId"])
        # An amount that is there must be readable by the money rule (or the callback is malformed).
        result = self._verification(body, reference_id_for(reference))
        return PaymentEvent(event_id=f"{reference}:{result.provider_status}", event_type="requesttopay.callback",
                            status=result.status, reference=reference, provider_id=reference_id_for(reference),
                            amount_minor=result.amount_minor, currency=result.currency, authenticated=False,
                            raw=body)

    # -- balance -----------------------------------------------------------------------------------
    def balance(self, *, config: ProviderConfig, product: str = "collection") -> list[ProviderBalance]:
        """Our account's available balance on a product (``collection`` or ``disbursement``), in minor units."""
        answer = self._call(config, "GET", f"/{product}/v1_0/account/balance", product=product)
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status != 200 or body.get("availableBalance") is None:
            raise ProviderProtocolError("no balance in MoMo's answer", provider_code=str(answer.status))
        currency = str(body.get("currency", ""))
        return [ProviderBalance(currency=currency, amount_minor=major_to_minor(body["availableBalance"], currency),
                                raw={**body, "product": product})]

    # -- disbursement (WalletPayout) ---------------------------------------------------------------
    def wallet_holder(self, *, config: ProviderConfig, msisdn: str, country: str, currency: str) -> WalletHolder:
        """MTN's account-holder check: ``active`` first (refused -> InvalidAccount), then the name."""
        number = msisdn.lstrip("+")
        answer = self._call(config, "GET", f"/disbursement/v1_0/accountholder/msisdn/{number}/active",
                            product="disbursement")
        if answer.status != 200 or not isinstance(answer.body, dict) or answer.body.get("result") is not True:
            raise InvalidAccount("no active MoMo wallet for this number")
        info = self._call(config, "GET", f"/disbursement/v1_0/accountholder/msisdn/{number}/basicuserinfo",
                          product="disbursement")
        body = info.body if info.status == 200 and isinstance(info.body, dict) else {}
        name = " ".join(str(body.get(k) or "") for k in ("given_name", "family_name")).strip() or str(
            body.get("name") or "")
        return WalletHolder(msisdn=number, name=name, active=True, raw=dict(body))

    @staticmethod
    def _transfer_result(body: Mapping[str, Any], reference: str, reference_id: str) -> TransferResult:
        provider_status = str(body.get("status", "")).upper()
        currency = str(body.get("currency", ""))
        amount = _amount(body)
        return TransferResult(status=STATUSES.get(provider_status, OutcomeStatus.PENDING),
                              reference=str(body.get("externalId") or reference), provider_reference=reference_id,
                              amount_minor=amount, currency=currency, provider_status=provider_status,
                              message=str(body.get("reason") or ""), raw=dict(body))

    def send_to_wallet(self, request: WalletTransferRequest, *, config: ProviderConfig) -> TransferResult:
        reference_id = reference_id_for("disbursement:" + request.reference)
        body = {"amount": minor_to_major(request.amount_minor, request.currency), "currency": request.currency,
                "externalId": request.reference,
                "payee": {"partyIdType": "MSISDN", "partyId": request.msisdn.lstrip("+")},
                "payerMessage": (request.narration or "Payout")[:160], "payeeNote": request.reference[:160]}
        headers = {"X-Reference-Id": reference_id, "Content-Type": "application/json"}
        if request.callback_url:
            headers["X-Callback-Url"] = request.callback_url
        pending = TransferResult(OutcomeStatus.PENDING, request.reference, provider_reference=reference_id,
                                 provider_status="PENDING")
        try:
            answer = self._call(config, "POST", "/disbursement/v1_0/transfer", json_body=body, headers=headers,
                                allow_empty=True, product="disbursement")
        except ProviderFault as fault:
            if is_unclear(fault):
                return pending  # MoMo may have taken it: poll the (deterministic) reference id
            raise
        if answer.status in (202, 409):
            return pending
        code = str((answer.body or {}).get("code", "")) if isinstance(answer.body, dict) else ""
        message = str((answer.body or {}).get("message", "")) if isinstance(answer.body, dict) else ""
        if code == "NOT_ENOUGH_FUNDS":
            raise ProviderLowBalance(message or code, provider_code=code)
        if "payee" in message.lower() or code in ("PAYEE_NOT_FOUND", "PAYEE_NOT_ALLOWED_TO_RECEIVE"):
            raise InvalidAccount(message or code, provider_code=code)
        if "amount" in message.lower():
            raise InvalidAmount(message or code, provider_code=code)
        raise ProviderFault(message or f"transfer refused ({answer.status})", provider_code=code)

    def wallet_transfer_status(self, *, config: ProviderConfig, reference: str, provider_reference: str = "",
                               country: str = "", currency: str = "") -> TransferResult:
        reference_id = provider_reference or reference_id_for("disbursement:" + reference)
        try:
            answer = self._call(config, "GET", f"/disbursement/v1_0/transfer/{reference_id}", product="disbursement")
        except ProviderFault as fault:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_reference=reference_id,
                                  provider_status=fault.code, message=str(fault))
        if answer.status != 200 or not isinstance(answer.body, dict):
            return TransferResult(OutcomeStatus.PENDING, reference, provider_reference=reference_id,
                                  provider_status="not_found")
        try:
            return self._transfer_result(answer.body, reference, reference_id)
        except ProviderProtocolError as fault:  # unreadable: unclear, requeried
            return TransferResult(OutcomeStatus.PENDING, reference, provider_reference=reference_id,
                                  provider_status=fault.code, message=str(fault))

    def parse_wallet_callback(self, headers: Mapping[str, str], raw_body: bytes, *,
                              config: ProviderConfig) -> TransferEvent:
        """MoMo's disbursement callback (unsigned, same body as the status): a hint to poll."""
        try:
            body = json_loads(raw_body)
        except ValueError:
            raise ProviderProtocolError("callback body is not JSON")
        if not isinstance(body, dict) or not body.get("externalId"):
            raise ProviderProtocolError("callback has no externalId")
        reference = str(body["externalId"])
        # An amount that is there must be readable by the money rule (or the callback is malformed).
        result = self._transfer_result(body, reference, reference_id_for("disbursement:" + reference))
        return TransferEvent(event_id=f"{reference}:{result.provider_status}", event_type="transfer.callback",
                             status=result.status, reference=reference, provider_reference=result.provider_reference,
                             amount_minor=result.amount_minor, currency=result.currency, raw=body)

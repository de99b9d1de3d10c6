"""Orange Money Web Payment (OM WebPay) on api.orange.com: hosted payment page, status, notifications.

Credentials: ``client_id`` and ``client_secret`` (OAuth client credentials) and
``merchant_key``. Options: ``country`` (path segment: ``dev`` for the sandbox, ``ci``,
``sn``, ``ml``, ...; the core passes the registry row's country, ``CI``, which is sent in
lower case as Orange's paths are), ``wire_currency`` (``OUV`` in the sandbox; defaults to
the request's currency), ``lang`` (default ``fr``), ``merchant_name``, ``notif_url``.

Orange's status check needs ``order_id`` (our reference), ``amount`` and ``pay_token``:
the session's ``provider_reference`` is the opaque ``"<pay_token>:<amount>:<currency>"``
(the amount in whole units of the request's currency, which the verification reports:
GNF in Guinea, LRD in Liberia; an older ``"<pay_token>:<amount>"`` is read in the option
``currency``, default XOF) the core stores and hands back to :meth:`verify` as ``provider_id``. The session's
``raw["notif_token"]`` must be stored too: it is what authenticates Orange's
notification (:meth:`notification_matches`); notifications carry no amount and
(natively) not even our reference, so they are hints (``authenticated=False``) and the
core verifies before giving value.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Mapping
from typing import Any

from provider_plugins.interfaces.common import (
    DuplicateRequest,
    InvalidAmount,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderFault,
    ProviderProtocolError,
    gettext_noop,
)
from provider_plugins.interfaces.gateway_http import HttpAnswer, call
from provider_plugins.interfaces.numbering import COUNTRIES
from provider_plugins.interfaces.payments import (
    CheckoutRequest,
    CheckoutSession,
    PaymentEvent,
    PaymentVerification,
    major_to_minor,
    minor_to_major,
)
from provider_plugins.interfaces.wire import json_loads

STATUSES = {"SUCCESS": OutcomeStatus.SUCCESS, "FAILED": OutcomeStatus.FAILED,
            "EXPIRED": OutcomeStatus.FAILED}  # INITIATED / PENDING / unknown: pending


def _currency(config: ProviderConfig) -> str:
    """The account's currency where a message does not say it: the option ``currency``, else a real
    ``wire_currency``, else the registry row's country's (GNF in Guinea, LRD in Liberia), else XOF."""
    options = config.options
    wire = str(options.get("wire_currency") or "")
    numbering = COUNTRIES.get(str(options.get("country") or "").upper())
    return str(options.get("currency") or (wire if wire and wire != "OUV" else "")
               or (numbering.currency if numbering else "XOF"))


class OrangeMoneyConnector:
    """Implements PaymentGateway (redirect flow)."""

    key = "orange_money"
    _tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
    _tokens_lock = threading.Lock()

    def _token(self, config: ProviderConfig, *, fresh: bool = False) -> str:
        digest = hashlib.sha256(config.credentials["client_secret"].encode()).hexdigest()
        cache_key = (config.base_url, config.credentials["client_id"], digest)
        with self._tokens_lock:
            cached = self._tokens.get(cache_key)
        if cached and not fresh and cached[1] > time.monotonic():
            return cached[0]
        answer = call(config, "POST", "/oauth/v3/token", data={"grant_type": "client_credentials"},
                      auth=(config.credentials["client_id"], config.credentials["client_secret"]),
                      headers={"Accept": "application/json"})
        if answer.status != 200 or not isinstance(answer.body, dict) or "access_token" not in answer.body:
            raise ProviderProtocolError("no access token in Orange answer", provider_code=str(answer.status))
        lifetime = int(answer.body.get("expires_in") or 3600)
        with self._tokens_lock:
            self._tokens[cache_key] = (str(answer.body["access_token"]), time.monotonic() + lifetime * 0.9)
        return str(answer.body["access_token"])

    def _call(self, config: ProviderConfig, path: str, body: dict[str, Any]) -> HttpAnswer:
        country = str(config.options.get("country") or "dev").lower()
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self._token(config, fresh=attempt > 0)}",
                       "Accept": "application/json"}
            try:
                return call(config, "POST", f"/orange-money-webpay/{country}/v1/{path}", json_body=body,
                            headers=headers)
            except ProviderAuthError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def initialize_checkout(self, request: CheckoutRequest, *, config: ProviderConfig) -> CheckoutSession:
        major = minor_to_major(request.amount_minor, request.currency)
        if "." in major and major.split(".")[1].strip("0"):
            raise InvalidAmount(gettext_noop("Orange Money takes whole amounts only"))
        amount = int(major.split(".")[0])
        notif_url = request.notify_url or config.options.get("notif_url", "")
        body = {"merchant_key": config.credentials["merchant_key"],
                "currency": config.options.get("wire_currency", request.currency), "order_id": request.reference,
                "amount": amount, "return_url": request.callback_url,
                "cancel_url": config.options.get("cancel_url", request.callback_url),
                "notif_url": notif_url, "lang": config.options.get("lang", "fr"),
                "reference": config.options.get("merchant_name", "NexusTop")}
        answer = self._call(config, "webpayment", body)
        if answer.status != 201:
            message = str(answer.body.get("message", "")) if isinstance(answer.body, dict) else ""
            if "duplicate" in message.lower():
                raise DuplicateRequest(message, provider_code=str(answer.status))
            if "amount" in message.lower():
                raise InvalidAmount(message, provider_code=str(answer.status))
            raise ProviderFault(message or f"webpayment refused ({answer.status})", provider_code=str(answer.status))
        data = answer.body
        return CheckoutSession(authorization_url=str(data["payment_url"]), reference=request.reference,
                               provider_reference=f"{data['pay_token']}:{amount}:{request.currency}",
                               raw={"pay_token": data["pay_token"], "notif_token": data["notif_token"]})

    def verify(self, *, config: ProviderConfig, reference: str = "", provider_id: str = "") -> PaymentVerification:
        """Needs both our ``reference`` (order_id) and the session's ``provider_reference``."""
        pay_token, _, rest = provider_id.partition(":")
        amount, _, session_currency = rest.partition(":")
        if not (reference and pay_token and amount.isdigit()):
            raise ProviderProtocolError("Orange status needs reference and provider_reference",
                                        code="needs_provider_reference")
        try:
            answer = self._call(config, "transactionstatus",
                                {"order_id": reference, "amount": int(amount), "pay_token": pay_token})
        except ProviderFault as fault:
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status=fault.code, message=str(fault))
        if answer.status >= 400 or not isinstance(answer.body, dict):
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status="not_found", message=str(answer.body))
        provider_status = str(answer.body.get("status", "")).upper()
        currency = session_currency or _currency(config)
        status = STATUSES.get(provider_status, OutcomeStatus.PENDING)
        return PaymentVerification(
            status=status, reference=str(answer.body.get("order_id") or reference),
            # Orange answers only the status: the amount is the one Orange matched the query against.
            amount_minor=major_to_minor(int(amount), currency) if status is OutcomeStatus.SUCCESS else None,
            currency=currency, provider_id=str(answer.body.get("txnid") or ""), channel="mobile_money",
            provider_status=provider_status, raw=dict(answer.body))

    @staticmethod
    def notification_matches(raw_body: bytes, notif_token: str) -> bool:
        """Constant-time check of a native notification against the stored ``notif_token``."""
        try:
            given = str(json_loads(raw_body).get("notif_token", ""))
        except (ValueError, AttributeError):
            return False
        return bool(given) and hmac.compare_digest(given.encode(), notif_token.encode())

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        """Native ``{status, notif_token, txnid}`` or the contract ``{transaction_ref, amount, status}``."""
        try:
            body = json_loads(raw_body)
        except ValueError:
            raise ProviderProtocolError("notification body is not JSON")
        if not isinstance(body, dict) or "status" not in body:
            raise ProviderProtocolError("notification has no status")
        provider_status = str(body["status"]).upper()
        status = STATUSES.get(provider_status, OutcomeStatus.PENDING)
        if "transaction_ref" in body:
            reference = str(body["transaction_ref"])
            currency = _currency(config)
            # An amount that is there must be readable (the money rule): "Infinity" or "1e400000" is a
            # malformed notification (ProviderProtocolError), never a silently ignored field.
            amount = major_to_minor(body["amount"], currency) if body.get("amount") is not None else None
            return PaymentEvent(event_id=f"{reference}:{provider_status}", event_type="payment.notification",
                                status=status, reference=reference, amount_minor=amount,
                                currency=currency if amount is not None else "", authenticated=False, raw=body)
        if not body.get("notif_token"):
            raise ProviderProtocolError("notification has neither transaction_ref nor notif_token")
        return PaymentEvent(event_id=f"{body['notif_token']}:{provider_status}", event_type="payment.notification",
                            status=status, provider_id=str(body.get("txnid") or ""), authenticated=False, raw=body)

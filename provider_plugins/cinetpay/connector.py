"""CinetPay: hosted payment (API v2) for funding, Transfer API (v1) for payouts to mobile money.

Published protocol followed here (docs.cinetpay.com):

* Payment, https://docs.cinetpay.com/api/1.0-fr/checkout/initialisation — ``POST
  /v2/payment`` JSON ``{apikey, site_id, transaction_id, amount, currency, description,
  notify_url, return_url, channels, lang, customer_*}`` -> ``{"code": "201", "message": "CREATED",
  "data": {"payment_token", "payment_url"}}``. Amounts are integers, multiples of 5 (XOF).
* Verification, https://docs.cinetpay.com/api/1.0-fr/checkout/verification — ``POST
  /v2/payment/check {apikey, site_id, transaction_id}`` -> ``{"code": "00", "message": "SUCCES",
  "data": {"amount", "currency", "status": "ACCEPTED" | "REFUSED" | "WAITING_FOR_CUSTOMER" |
  ..., "payment_method", "operator_id", "payment_date"}}``; ``"662"`` WAITING_CUSTOMER_PAYMENT,
  ``"600"`` PAYMENT_FAILED, ``"627"`` TRANSACTION_CANCEL.
* Notification, https://docs.cinetpay.com/api/1.0-fr/checkout/notification — a form POST to
  ``notify_url`` with the ``cpm_*`` fields and the header ``x-token`` = hex HMAC-SHA256, keyed with the
  site's secret key, of ``cpm_site_id + cpm_trans_id + cpm_trans_date + cpm_amount + cpm_currency +
  signature + payment_method + cel_phone_num + cpm_phone_prefixe + cpm_language + cpm_version +
  cpm_payment_config + cpm_page_action + cpm_custom + cpm_designation + cpm_error_message``. The
  notification never says the outcome: the merchant must call the verification.
* Transfer API, https://docs.cinetpay.com/api/1.0-fr/transfert/utilisation — ``POST
  /v1/auth/login`` (form ``apikey``, ``password``) -> ``data.token`` (valid 5 minutes);
  ``GET /v1/transfer/check/balance``; ``POST /v1/transfer/contact`` (form ``data`` = JSON list of
  ``{prefix, phone, name, surname, email}``); ``POST /v1/transfer/money/send/contact`` (form
  ``data`` = JSON list of ``{prefix, phone, amount, client_transaction_id, notify_url}``); ``GET
  /v1/transfer/check/money?client_transaction_id=`` -> ``treatment_status`` ``NEW`` / ``REC`` /
  ``VAL`` (paid) / ``REJ`` (rejected). Every call takes ``token`` and ``lang`` in the query string and
  answers ``{"code": 0, "message": "OPERATION_SUCCES", "data": ...}``; ``602`` INSUFFICIENT_BALANCE.
  A transfer's notification is a form POST of the transfer's fields: treated as a hint, the status is
  always re-read with ``/v1/transfer/check/money`` before anything moves.

Amounts are read by the money rule (``major_to_minor``): the payment check's ``amount`` and the
notification's ``cpm_amount`` are decimal strings; transfer amounts are whole units (JSON numbers in the
Transfer API's answers, strings in its form notifications), read by :func:`whole_units` (a double's ``.0``
is the only thing tolerated past the rule). An amount that is there but unreadable is CinetPay's protocol
error: a notification carrying one is refused (4xx), a status answer carrying one is unclear (PENDING).
JSON answers are read with ``wire.json_loads`` (``gateway_http.call``); form notifications are bounded
(``max_num_fields``) and must be UTF-8.

Credentials: ``apikey``, ``site_id``, ``secret_key`` (notification HMAC), ``transfer_password``.
Options: ``transfer_base_url`` (``https://client.cinetpay.com``; the payment host is the registry
row's base URL, ``https://api-checkout.cinetpay.com``), ``channels`` (default ``ALL``).
CinetPay offers no name enquiry: the wallet holder's name is not shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.common import (
    DuplicateRequest,
    InvalidAmount,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderError,
    ProviderFault,
    ProviderLowBalance,
    ProviderProtocolError,
    SignatureError,
    gettext_noop,
)
from provider_plugins.interfaces.gateway_http import HttpAnswer, call, is_unclear
from provider_plugins.interfaces.money import AmountError, amount_text, currency_exponent, parse_minor
from provider_plugins.interfaces.numbering import COUNTRIES
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

NOTIFICATION_FIELDS = ("cpm_site_id", "cpm_trans_id", "cpm_trans_date", "cpm_amount", "cpm_currency", "signature",
                       "payment_method", "cel_phone_num", "cpm_phone_prefixe", "cpm_language", "cpm_version",
                       "cpm_payment_config", "cpm_page_action", "cpm_custom", "cpm_designation",
                       "cpm_error_message")
PAYMENT_STATUSES = {"ACCEPTED": OutcomeStatus.SUCCESS, "REFUSED": OutcomeStatus.FAILED,
                    "CANCELED": OutcomeStatus.FAILED, "CANCELLED": OutcomeStatus.FAILED}
TRANSFER_STATUSES = {"VAL": OutcomeStatus.SUCCESS, "REJ": OutcomeStatus.FAILED}
CALLING_CODES = {"CI": "225", "SN": "221", "BF": "226", "ML": "223", "TG": "228", "BJ": "229", "NE": "227",
                 "GN": "224", "CM": "237"}
TOKEN_SECONDS = 240  # CinetPay's transfer token lives 5 minutes
MAX_FORM_FIELDS = 64  # a notification has 16 (payments) or about 14 (transfers) fields


def _form(raw_body: bytes) -> dict[str, str]:
    """A form notification (UTF-8, bounded number of fields); ``ProviderProtocolError`` otherwise."""
    try:
        return dict(urllib.parse.parse_qsl(raw_body.decode("utf-8", "strict"), keep_blank_values=True,
                                           max_num_fields=MAX_FORM_FIELDS))
    except ValueError:  # not UTF-8, or too many fields
        raise ProviderProtocolError("unreadable CinetPay notification") from None


def _amount(value: Any, currency: str) -> int | None:
    """A decimal-string amount in minor units (None when absent or empty); unreadable: ``ProviderProtocolError``."""
    if value is None or value == "":
        return None
    if not currency:
        try:
            amount_text(value)
        except AmountError:
            raise ProviderProtocolError("unreadable CinetPay amount", code="bad_amount") from None
        return None
    return major_to_minor(value, currency)


def whole_units(value: Any) -> int:
    """A transfer amount (whole currency units: an integer, or a JSON double such as ``5000.0``) -> units.

    The money rule first (type, length, grammar: bounded); then only a fraction of zeros is dropped (what a
    double's formatter writes), and the rest must be a whole number: ``"5000.5"``, ``1e3``, ``"NaN"`` or a float
    are refused (``ProviderProtocolError`` ``bad_amount``).
    """
    try:
        whole, _, fraction = amount_text(value).partition(".")
        if fraction.strip("0"):
            raise AmountError("too_many_decimals", digits=0)
        return parse_minor(whole, minor_digits=0)
    except AmountError:
        raise ProviderProtocolError("unreadable CinetPay transfer amount", code="bad_amount") from None


def _transfer_minor(value: Any, currency: str) -> int | None:
    if value is None or value == "":
        return None
    units = whole_units(value)
    if not currency:
        return None
    try:
        return units * 10 ** currency_exponent(currency)
    except AmountError:
        raise ProviderProtocolError(f"unknown currency {currency!r}", code="unknown_currency") from None


def notification_token(fields: Mapping[str, str], secret_key: str) -> str:
    """The ``x-token`` CinetPay sends with a payment notification."""
    data = "".join(str(fields.get(name, "")) for name in NOTIFICATION_FIELDS)
    return hmac.new(secret_key.encode(), data.encode(), hashlib.sha256).hexdigest()


def split_msisdn(msisdn: str, country: str) -> tuple[str, str]:
    """``2250707000001``, ``CI`` -> (``225``, ``0707000001``): CinetPay takes prefix and phone apart."""
    prefix = CALLING_CODES.get(country.upper(), "")
    digits = msisdn.lstrip("+")
    if not prefix or not digits.startswith(prefix) or not digits.isdigit():
        raise InvalidAccount("not a mobile number of a CinetPay country")
    return prefix, digits[len(prefix):]


class CinetPayConnector:
    """Implements PaymentGateway (v2 payment) and WalletPayout (v1 Transfer API)."""

    key = "cinetpay"
    _tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
    _tokens_lock = threading.Lock()

    # -- payments ------------------------------------------------------------------------------
    @staticmethod
    def _site(config: ProviderConfig) -> dict[str, str]:
        return {"apikey": config.credentials["apikey"], "site_id": str(config.credentials["site_id"])}

    def initialize_checkout(self, request: CheckoutRequest, *, config: ProviderConfig) -> CheckoutSession:
        if request.amount_minor <= 0 or (request.currency in ("XOF", "XAF") and request.amount_minor % 5):
            raise InvalidAmount(gettext_noop("CinetPay takes amounts in multiples of 5"))
        body = {**self._site(config), "transaction_id": request.reference,
                "amount": int(minor_to_major(request.amount_minor, request.currency).split(".")[0]),
                "currency": request.currency, "description": (request.description or "Payment")[:100],
                "notify_url": request.notify_url, "return_url": request.callback_url,
                "channels": config.options.get("channels", "ALL"), "lang": config.options.get("lang", "fr"),
                "metadata": request.metadata.get("intent", ""), "customer_email": request.email,
                "customer_phone_number": request.phone}
        answer = call(config, "POST", "/v2/payment", json_body=body)
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        code = str(answer.body.get("code", "")) if isinstance(answer.body, dict) else ""
        if code == "201" and isinstance(data, dict) and data.get("payment_url"):
            return CheckoutSession(authorization_url=str(data["payment_url"]), reference=request.reference,
                                   provider_reference=str(data.get("payment_token", "")), raw=dict(answer.body))
        message = str(answer.body.get("message", "")) if isinstance(answer.body, dict) else ""
        description = str(answer.body.get("description", "")) if isinstance(answer.body, dict) else ""
        if code in ("609", "613") or message in ("AUTH_NOT_FOUND", "ERROR_SITE_ID_NOTVALID"):
            raise ProviderAuthError(message, provider_code=code)
        if "EXIST" in message:
            raise DuplicateRequest(message, provider_code=code)
        if "amount" in description.lower() or "MINIMUM" in message or "AMOUNT" in message:
            raise InvalidAmount(description or message, provider_code=code)
        raise ProviderFault(message or f"payment refused ({answer.status})", provider_code=code)

    def verify(self, *, config: ProviderConfig, reference: str = "", provider_id: str = "") -> PaymentVerification:
        try:
            answer = call(config, "POST", "/v2/payment/check", json_body={**self._site(config),
                                                                          "transaction_id": reference})
        except ProviderError as fault:
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_status=fault.code,
                                       message=str(fault))
        body = answer.body if isinstance(answer.body, dict) else {}
        data = body.get("data") if isinstance(body.get("data"), dict) else None
        if data is None or not data.get("status"):
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "",
                                       provider_status=str(body.get("message") or "not_found"))
        provider_status = str(data["status"]).upper()
        currency = str(data.get("currency") or "")
        try:
            amount = _amount(data.get("amount"), currency)
        except ProviderProtocolError as fault:  # an answer we cannot read is unclear: pending, requeried
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_status=fault.code,
                                       message=str(fault))
        return PaymentVerification(
            status=PAYMENT_STATUSES.get(provider_status, OutcomeStatus.PENDING), reference=reference,
            amount_minor=amount, currency=currency, provider_id=str(data.get("operator_id") or ""),
            channel=str(data.get("payment_method") or ""), provider_status=provider_status,
            message=str(body.get("message") or ""), raw=dict(body))

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        """A payment notification: ``x-token`` checked first (constant time); it carries no outcome."""
        fields = _form(raw_body)
        token = header_value(headers, "x-token")
        secret = config.credentials.get("secret_key", "")
        if not token or not secret:
            raise SignatureError("missing x-token")
        expected = notification_token(fields, secret).encode()
        if not hmac.compare_digest(expected, token.lower().encode("utf-8", "replace")):
            raise SignatureError("x-token does not match")
        if not fields.get("cpm_trans_id"):
            raise ProviderProtocolError("notification without cpm_trans_id")
        if str(fields.get("cpm_site_id")) != str(config.credentials.get("site_id")):
            raise SignatureError("notification for another site")
        currency = fields.get("cpm_currency", "")
        # A hint only (the check decides), but an amount that is there must be readable: else malformed.
        amount = _amount(fields.get("cpm_amount"), currency)
        return PaymentEvent(event_id=f"{fields['cpm_trans_id']}:{token[:32]}", event_type="payment.notification",
                            status=OutcomeStatus.PENDING, reference=fields["cpm_trans_id"], amount_minor=amount,
                            currency=currency if amount is not None else "", raw=fields)

    # -- transfers -----------------------------------------------------------------------------
    @staticmethod
    def _transfer_config(config: ProviderConfig) -> ProviderConfig:
        base = config.options.get("transfer_base_url") or config.base_url
        return replace(config, base_url=base)

    def _token(self, config: ProviderConfig, *, fresh: bool = False) -> str:
        digest = hashlib.sha256(config.credentials["transfer_password"].encode()).hexdigest()
        cache_key = (config.base_url, config.credentials["apikey"], digest)
        with self._tokens_lock:
            cached = self._tokens.get(cache_key)
        if cached and not fresh and cached[1] > time.monotonic():
            return cached[0]
        answer = call(config, "POST", "/v1/auth/login", data={"apikey": config.credentials["apikey"],
                                                              "password": config.credentials["transfer_password"]})
        body = answer.body if isinstance(answer.body, dict) else {}
        token = (body.get("data") or {}).get("token") if isinstance(body.get("data"), dict) else None
        if body.get("code") != 0 or not token:
            raise ProviderAuthError(str(body.get("message") or "login refused"), provider_code=str(body.get("code")))
        with self._tokens_lock:
            self._tokens[cache_key] = (str(token), time.monotonic() + TOKEN_SECONDS)
        return str(token)

    def _transfer_call(self, config: ProviderConfig, method: str, path: str, *, params: dict[str, Any] | None = None,
                       data: dict[str, Any] | None = None) -> dict[str, Any]:
        transfer_config = self._transfer_config(config)
        for attempt in range(2):
            query = {"token": self._token(transfer_config, fresh=attempt > 0), "lang": "fr", **(params or {})}
            try:
                answer: HttpAnswer = call(transfer_config, method, path, params=query, data=data)
            except ProviderAuthError:
                if attempt:
                    raise
                continue
            body = answer.body if isinstance(answer.body, dict) else None
            if body is None:
                raise ProviderProtocolError("CinetPay answer is not an object", provider_code=str(answer.status))
            if body.get("code") in (706, "706") and not attempt:  # expired token
                continue
            return body
        raise ProviderAuthError("CinetPay token refused twice")

    def wallet_holder(self, *, config: ProviderConfig, msisdn: str, country: str, currency: str) -> WalletHolder:
        """No name enquiry at CinetPay: only the number's shape for the country is checked."""
        split_msisdn(msisdn, country)
        return WalletHolder(msisdn=msisdn, name="", active=True)

    def balance(self, *, config: ProviderConfig) -> list[ProviderBalance]:
        """The Transfer API's ``/v1/transfer/check/balance`` (what payouts draw from): ``available``, in the
        account's currency (option ``currency``, else the registry row's country's: GNF in Guinea, else XOF)."""
        body = self._transfer_call(config, "GET", "/v1/transfer/check/balance")
        data = body.get("data")
        if body.get("code") not in (0, "0") or not isinstance(data, dict):
            raise ProviderProtocolError("no balance in CinetPay's answer", provider_code=str(body.get("code")))
        numbering = COUNTRIES.get(str(config.options.get("country") or "").upper())
        currency = str(config.options.get("currency") or (numbering.currency if numbering else "XOF"))
        available = data.get("available", data.get("amount"))
        amount = _transfer_minor(available, currency)
        if amount is None:
            raise ProviderProtocolError("no balance in CinetPay's answer")
        return [ProviderBalance(currency=currency, amount_minor=amount, raw=dict(data))]

    def _ensure_contact(self, config: ProviderConfig, prefix: str, phone: str, name: str) -> None:
        first, _, last = (name or "Client NexusTop").partition(" ")
        contact = {"prefix": prefix, "phone": phone, "name": first[:50] or "Client", "surname": last[:50] or "-",
                   "email": f"{prefix}{phone}@contacts.invalid"}
        body = self._transfer_call(config, "POST", "/v1/transfer/contact", data={"data": json.dumps([contact])})
        if body.get("code") not in (0, "0"):
            raise ProviderFault(str(body.get("message") or "contact refused"), provider_code=str(body.get("code")))

    @staticmethod
    def payout_step_minor(currency: str) -> int:
        """Transfers are whole units in multiples of 5, in every currency (the Transfer API refuses the rest)."""
        return 5 * 10 ** currency_exponent(currency)

    def send_to_wallet(self, request: WalletTransferRequest, *, config: ProviderConfig) -> TransferResult:
        prefix, phone = split_msisdn(request.msisdn, request.country)
        if request.amount_minor <= 0 or request.amount_minor % self.payout_step_minor(request.currency):
            raise InvalidAmount(gettext_noop("CinetPay transfers amounts in multiples of 5"))
        self._ensure_contact(config, prefix, phone, request.name)  # raises before anything is sent
        item = {"prefix": prefix, "phone": phone,
                "amount": int(minor_to_major(request.amount_minor, request.currency).split(".")[0]),
                "client_transaction_id": request.reference, "notify_url": request.callback_url}
        pending = TransferResult(OutcomeStatus.PENDING, request.reference, provider_status="sent_unclear")
        try:
            body = self._transfer_call(config, "POST", "/v1/transfer/money/send/contact",
                                       data={"data": json.dumps([item])})
        except ProviderFault as fault:
            if is_unclear(fault):
                return pending
            raise
        code = body.get("code")
        if code in (602, "602"):
            raise ProviderLowBalance(str(body.get("message")), provider_code=str(code))
        if code not in (0, "0"):
            if "EXIST" in str(body.get("message", "")):  # this client_transaction_id was sent before: requery
                return pending
            raise ProviderFault(str(body.get("message") or "transfer refused"), provider_code=str(code))
        rows = body.get("data") or []
        row = rows[0][0] if isinstance(rows, list) and rows and isinstance(rows[0], list) and rows[0] else (
            rows[0] if isinstance(rows, list) and rows else {})
        try:
            return self._transfer_result(row if isinstance(row, dict) else {}, request.reference, request.currency)
        except ProviderProtocolError:
            return pending  # accepted, but unreadable: requery, never "failed"

    @staticmethod
    def _transfer_result(row: Mapping[str, Any], reference: str, currency: str = "") -> TransferResult:
        treatment = str(row.get("treatment_status") or "NEW").upper()
        amount = _transfer_minor(row.get("amount"), currency)
        return TransferResult(status=TRANSFER_STATUSES.get(treatment, OutcomeStatus.PENDING),
                              reference=str(row.get("client_transaction_id") or reference),
                              provider_reference=str(row.get("transaction_id") or ""), amount_minor=amount,
                              currency=currency, provider_status=treatment, message=str(row.get("comment") or ""),
                              # REJ after the operator credited the wallet (it has an operator id): taken back
                              reversed=treatment == "REJ" and bool(row.get("operator_transaction_id")),
                              raw=dict(row))

    def wallet_transfer_status(self, *, config: ProviderConfig, reference: str, provider_reference: str = "",
                               country: str = "", currency: str = "") -> TransferResult:
        try:
            body = self._transfer_call(config, "GET", "/v1/transfer/check/money",
                                       params={"client_transaction_id": reference})
        except ProviderError as fault:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))
        rows = body.get("data") if body.get("code") in (0, "0") else None
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status="not_found")
        try:
            return self._transfer_result(rows[0], reference, currency)
        except ProviderProtocolError as fault:  # unreadable: unclear, requeried
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))

    def parse_wallet_callback(self, headers: Mapping[str, str], raw_body: bytes, *,
                              config: ProviderConfig) -> TransferEvent:
        """A transfer notification (form POST): unsigned, so only a reason to re-read the transfer."""
        fields = _form(raw_body)
        reference = fields.get("client_transaction_id", "")
        if not reference:
            raise ProviderProtocolError("transfer notification without client_transaction_id")
        treatment = str(fields.get("treatment_status") or "").upper()
        currency = str(config.options.get("currency") or "")
        amount = _transfer_minor(fields.get("amount"), currency)  # there, so readable (else malformed)
        return TransferEvent(event_id=f"{reference}:{treatment}", event_type="transfer.notification",
                             status=TRANSFER_STATUSES.get(treatment, OutcomeStatus.PENDING), reference=reference,
                             provider_reference=str(fields.get("transaction_id") or ""), amount_minor=amount,
                             currency=currency if amount is not None else "", raw=fields)

"""Airtel Money Open API (developers.airtel.africa): collections, enquiry, callbacks, disbursements.

Published protocol followed here (https://developers.airtel.africa/documentation):

* Authorization: ``POST /auth/oauth2/token`` JSON ``{client_id, client_secret, grant_type:
  "client_credentials"}`` -> ``{access_token, expires_in: "180", token_type: "bearer"}``; every
  other call sends ``Authorization: Bearer``, ``X-Country`` and ``X-Currency``.
* Collection (USSD push): ``POST /merchant/v1/payments/`` ``{reference, subscriber: {country,
  currency, msisdn}, transaction: {amount, country, currency, id}}`` — the msisdn WITHOUT the country
  code; the answer only says the push was sent (``data.transaction.status: "SUCCESS"``).
* Transaction enquiry: ``GET /standard/v1/payments/{id}`` -> ``data.transaction.{id,
  airtel_money_id, message, status}`` with ``TS`` (success), ``TF`` (failed), ``TA`` (ambiguous),
  ``TIP`` (in progress), ``TE`` (expired).
* Callbacks: ``POST`` to the URL configured on the portal, ``{"transaction": {id, message,
  status_code, airtel_money_id}}``; with "callback authentication" enabled the body also carries
  ``hash``: base64 HMAC-SHA256, keyed with the callback private key from the portal, of the
  ``transaction`` object. The canonical form hashed here is that object's compact JSON
  serialisation in the order received (confirm against the portal's sample before production).
* Disbursement: ``POST /standard/v1/disbursements/`` ``{payee: {msisdn}, reference, pin,
  transaction: {amount, id}}`` where ``pin`` is the merchant's 4-digit PIN encrypted with Airtel's
  RSA public key (RSA/ECB/PKCS1Padding, base64) as given on the portal; ``GET
  /standard/v1/disbursements/{id}`` for its status (same ``TS``/``TF``/... words).
* KYC (name check): ``GET /standard/v1/users/{msisdn}`` -> ``data.{first_name, last_name,
  is_barred, is_pin_set, registration.status}``; balance: ``GET /standard/v1/users/balance``.
* Every answer has ``status: {code, message, result_code, response_code, success}``.

Amounts: we send whole units as JSON integers; amounts Airtel sends (an enquiry's or a callback's
``amount``, the balance) may be JSON numbers, doubles included (``1000.0``): :func:`airtel_minor` reads
them by the money rule, dropping only the zeros a double's formatter writes past the currency's digits.
Bodies are read with ``wire.json_loads``; an amount that is there but unreadable makes a callback
malformed (4xx) and an enquiry answer unclear (PENDING).

Credentials: ``client_id``, ``client_secret``, ``pin`` (plain, encrypted per request),
``public_key`` (base64 DER or PEM, from the portal), ``callback_key`` (callback hash; empty =
callbacks unauthenticated, used as hints only). Options: ``country``, ``currency`` (defaults of the
registry row's country).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.common import (
    InvalidAmount,
    InvalidRecipient,
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
from provider_plugins.interfaces.money import AmountError, amount_text, currency_exponent
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

STATUSES = {"TS": OutcomeStatus.SUCCESS, "TF": OutcomeStatus.FAILED, "TE": OutcomeStatus.FAILED}
CALLING_CODES = {"NG": "234", "NE": "227"}
CURRENCIES = {"NG": "NGN", "NE": "XOF"}


def encrypt_pin(pin: str, public_key: str) -> str:
    """The merchant PIN as the disbursement API wants it: RSA PKCS#1 v1.5 with Airtel's key, base64."""
    text = public_key.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("Airtel's PIN key is not an RSA public key")
    return base64.b64encode(key.encrypt(pin.encode(), padding.PKCS1v15())).decode()


def callback_hash(transaction: Mapping[str, Any], key: str) -> str:
    """``hash`` of an authenticated callback: base64 HMAC-SHA256 of the ``transaction`` object.

    Raises ``ProviderProtocolError`` for an object that has no compact JSON form here (a JSON number with a
    fraction or an exponent, read as ``Decimal``: Airtel's callbacks carry strings)."""
    try:
        message = json.dumps(transaction, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError):
        raise ProviderProtocolError("callback transaction cannot be hashed") from None
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def airtel_minor(value: Any, currency: str) -> int:
    """An amount Airtel sends (a decimal string, an integer or a JSON double) in minor units.

    The money rule (type, length, grammar first: bounded whatever is sent); only zeros past the currency's
    minor digits are dropped (``1000.0`` NGN, ``500.00`` XOF); ``500.5`` XOF, ``1e3``, ``"NaN"`` or a float are
    refused: ``ProviderProtocolError`` ``bad_amount``.
    """
    try:
        text = amount_text(value)
        whole, _, fraction = text.partition(".")
        digits = currency_exponent(currency)
        if len(fraction) > digits and not fraction[digits:].strip("0"):
            text = f"{whole}.{fraction[:digits]}" if digits else whole
    except AmountError:
        raise ProviderProtocolError(f"unreadable Airtel amount for {currency}", code="bad_amount") from None
    return major_to_minor(text, currency)


def whole_units(amount_minor: int, currency: str) -> int:
    """Airtel takes a JSON number; only whole units are sent (never a float), sub-units are refused."""
    major = minor_to_major(amount_minor, currency)
    whole, _, fraction = major.partition(".")
    if amount_minor <= 0 or fraction.strip("0"):
        raise InvalidAmount(gettext_noop("Airtel Money takes whole amounts"))
    return int(whole)


def national_msisdn(msisdn: str, country: str) -> str:
    """``2348021234567`` -> ``8021234567``: Airtel wants the number without its country code."""
    digits = msisdn.lstrip("+")
    code = CALLING_CODES.get(country.upper(), "")
    if not digits.isdigit() or not code or not digits.startswith(code):
        raise InvalidRecipient(gettext_noop("not an Airtel number of this country"))
    return digits[len(code):]


class AirtelMoneyConnector:
    """Implements MobileMoneyCollection and WalletPayout."""

    key = "airtel_money"
    _tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
    _tokens_lock = threading.Lock()

    @staticmethod
    def _country(config: ProviderConfig, country: str = "") -> tuple[str, str]:
        country = (country or config.options.get("country") or "NG").upper()
        return country, str(config.options.get("currency") or CURRENCIES.get(country, "NGN"))

    def _token(self, config: ProviderConfig, *, fresh: bool = False) -> str:
        digest = hashlib.sha256(config.credentials["client_secret"].encode()).hexdigest()
        cache_key = (config.base_url, config.credentials["client_id"], digest)
        with self._tokens_lock:
            cached = self._tokens.get(cache_key)
        if cached and not fresh and cached[1] > time.monotonic():
            return cached[0]
        answer = call(config, "POST", "/auth/oauth2/token", json_body={
            "client_id": config.credentials["client_id"], "client_secret": config.credentials["client_secret"],
            "grant_type": "client_credentials"})
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status != 200 or not body.get("access_token"):
            raise ProviderAuthError("no access token from Airtel", provider_code=str(answer.status))
        given = str(body.get("expires_in", ""))
        expires = int(given) if given.isascii() and given.isdigit() and len(given) <= 6 else 180
        with self._tokens_lock:
            self._tokens[cache_key] = (str(body["access_token"]), time.monotonic() + max(expires - 30, expires // 2))
        return str(body["access_token"])

    def _call(self, config: ProviderConfig, method: str, path: str, *, country: str = "",
              json_body: Any = None) -> HttpAnswer:
        country, currency = self._country(config, country)
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self._token(config, fresh=attempt > 0)}", "X-Country": country,
                       "X-Currency": currency, "Content-Type": "application/json", "Accept": "*/*"}
            try:
                return call(config, method, path, json_body=json_body, headers=headers)
            except ProviderAuthError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _status_block(answer: HttpAnswer) -> dict[str, Any]:
        body = answer.body if isinstance(answer.body, dict) else {}
        block = body.get("status")
        return block if isinstance(block, dict) else {}

    @staticmethod
    def _transaction(answer: HttpAnswer) -> dict[str, Any]:
        body = answer.body if isinstance(answer.body, dict) else {}
        data = body.get("data")
        txn = data.get("transaction") if isinstance(data, dict) else None
        return dict(txn) if isinstance(txn, dict) else {}

    # -- collections ---------------------------------------------------------------------------
    def request_to_pay(self, request: MobileMoneyRequest, *, config: ProviderConfig) -> MobileMoneyAccepted:
        country, currency = self._country(config)
        if request.currency != currency:
            raise InvalidAmount(gettext_noop("Airtel %(country)s collects %(currency)s"),
                                params={"country": country, "currency": currency})
        amount = whole_units(request.amount_minor, request.currency)
        body = {"reference": (request.payee_note or request.reference)[:64],
                "subscriber": {"country": country, "currency": currency,
                               "msisdn": national_msisdn(request.phone, country)},
                "transaction": {"amount": amount, "country": country, "currency": currency, "id": request.reference}}
        # Airtel's enquiry answers a status without the amount; the payer approves exactly the amount pushed,
        # so the handle we poll with carries it (as Orange's does): "<id>:<minor>:<currency>".
        accepted = MobileMoneyAccepted(reference=request.reference,
                                       provider_reference=f"{request.reference}:{request.amount_minor}:{currency}")
        try:
            answer = self._call(config, "POST", "/merchant/v1/payments/", json_body=body)
        except ProviderFault as fault:
            if is_unclear(fault):
                return accepted  # the push may have gone out: enquire by our id
            raise
        block = self._status_block(answer)
        if block.get("success") is True or self._transaction(answer).get("status") == "SUCCESS":
            return accepted
        message, code = str(block.get("message", "")), str(block.get("response_code", ""))
        if "duplicate" in message.lower():
            return accepted  # this id was pushed before: the same payment
        if "amount" in message.lower():
            raise InvalidAmount(message, provider_code=code)
        if "msisdn" in message.lower() or "subscriber" in message.lower():
            raise InvalidRecipient(message, provider_code=code)
        raise ProviderFault(message or f"collection refused ({answer.status})", provider_code=code)

    def _verification(self, txn: Mapping[str, Any], reference: str, *, amount_minor: int | None,
                      currency: str) -> PaymentVerification:
        word = str(txn.get("status") or txn.get("status_code") or "").upper()
        return PaymentVerification(status=STATUSES.get(word, OutcomeStatus.PENDING),
                                   reference=str(txn.get("id") or reference), amount_minor=amount_minor,
                                   currency=currency, provider_id=str(txn.get("airtel_money_id") or ""),
                                   channel="airtel_money", provider_status=word, message=str(txn.get("message") or ""),
                                   raw=dict(txn))

    def payment_status(self, *, config: ProviderConfig, provider_reference: str) -> PaymentVerification:
        """The enquiry. Airtel's answer carries no amount: a success is of the amount pushed, which the
        handle ``<id>:<minor>:<currency>`` carries (an ``amount`` Airtel does send wins)."""
        txn_id, _, pushed = provider_reference.partition(":")
        pushed_minor, _, pushed_currency = pushed.partition(":")
        try:
            answer = self._call(config, "GET", f"/standard/v1/payments/{txn_id}")
        except ProviderError as fault:
            return PaymentVerification(OutcomeStatus.PENDING, txn_id, None, "",
                                       provider_status=fault.code, message=str(fault))
        txn = self._transaction(answer)
        if not txn or (self._status_block(answer).get("success") is False and not txn.get("status")):
            return PaymentVerification(OutcomeStatus.PENDING, txn_id, None, "", provider_status="not_found")
        currency = pushed_currency or self._country(config)[1]
        try:
            amount = airtel_minor(txn["amount"], currency) if txn.get("amount") is not None else (
                int(pushed_minor) if pushed_minor.isascii() and pushed_minor.isdigit() else None)
        except ProviderProtocolError as fault:  # an answer we cannot read is unclear: pending, requeried
            return PaymentVerification(OutcomeStatus.PENDING, txn_id, None, "", provider_status=fault.code,
                                       message=str(fault))
        return self._verification(txn, txn_id, amount_minor=amount, currency=currency)

    def _authenticated_callback(self, raw_body: bytes, config: ProviderConfig) -> tuple[dict[str, Any], bool]:
        """Parse (``wire.json_loads``), check the hash when the account has a callback key, then the amount:
        one that is there must be readable by the money rule (else the callback is malformed)."""
        try:
            body = json_loads(raw_body)
        except ValueError:
            raise ProviderProtocolError("callback body is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("transaction"), dict) \
                or not body["transaction"].get("id"):
            raise ProviderProtocolError("callback has no transaction id")
        key = config.credentials.get("callback_key", "")
        authenticated = bool(key)
        if key:
            sent = body.get("hash")
            if not isinstance(sent, str) or not sent or \
                    not hmac.compare_digest(callback_hash(body["transaction"], key).encode(), sent.encode()):
                raise SignatureError("callback hash does not match")
        if body["transaction"].get("amount") is not None:
            airtel_minor(body["transaction"]["amount"], self._country(config)[1])
        return body, authenticated

    def parse_callback(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        body, authenticated = self._authenticated_callback(raw_body, config)
        txn = body["transaction"]
        word = str(txn.get("status_code") or "").upper()
        return PaymentEvent(event_id=f"{txn['id']}:{word}:{txn.get('airtel_money_id', '')}",
                            event_type="collection.callback", status=STATUSES.get(word, OutcomeStatus.PENDING),
                            reference=str(txn["id"]), provider_id=str(txn.get("airtel_money_id") or ""),
                            authenticated=authenticated, raw=body)

    # -- disbursements -------------------------------------------------------------------------
    def wallet_holder(self, *, config: ProviderConfig, msisdn: str, country: str, currency: str) -> WalletHolder:
        number = national_msisdn(msisdn, country)
        answer = self._call(config, "GET", f"/standard/v1/users/{number}", country=country)
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        if self._status_block(answer).get("success") is not True or not isinstance(data, dict) or not data:
            raise InvalidAccount("no Airtel Money wallet for this number")
        name = " ".join(p for p in (str(data.get("first_name") or ""), str(data.get("last_name") or "")) if p)
        active = not data.get("is_barred") and str((data.get("registration") or {}).get("status", "")).upper() \
            in ("", "SUBS", "ACTIVE", "REGISTERED")
        if not active:
            raise InvalidAccount("this Airtel Money wallet cannot receive money")
        return WalletHolder(msisdn=msisdn, name=name, active=True, raw=dict(data))

    def balance(self, *, config: ProviderConfig) -> list[ProviderBalance]:
        """``GET /standard/v1/users/balance`` (BalanceEnquiry: one line, minor units)."""
        answer = self._call(config, "GET", "/standard/v1/users/balance")
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        if not isinstance(data, dict) or data.get("balance") is None:
            raise ProviderProtocolError("no balance in Airtel's answer")
        currency = str(data.get("currency") or self._country(config)[1])
        return [ProviderBalance(currency=currency, amount_minor=airtel_minor(data["balance"], currency),
                                raw=dict(data))]

    @staticmethod
    def _result(txn: Mapping[str, Any], reference: str, currency: str) -> TransferResult:
        word = str(txn.get("status") or txn.get("status_code") or "").upper()
        return TransferResult(status=STATUSES.get(word, OutcomeStatus.PENDING),
                              reference=str(txn.get("id") or reference),
                              provider_reference=str(txn.get("airtel_money_id") or txn.get("reference_id") or ""),
                              currency=currency, provider_status=word, message=str(txn.get("message") or ""),
                              raw=dict(txn))

    @staticmethod
    def payout_step_minor(currency: str) -> int:
        """Disbursements are whole units (no sub-unit amounts)."""
        return 10 ** currency_exponent(currency)

    def send_to_wallet(self, request: WalletTransferRequest, *, config: ProviderConfig) -> TransferResult:
        country, currency = self._country(config, request.country)
        if request.currency != currency:
            raise InvalidAmount(gettext_noop("Airtel %(country)s pays out %(currency)s"),
                                params={"country": country, "currency": currency})
        amount = whole_units(request.amount_minor, request.currency)
        body = {"payee": {"msisdn": national_msisdn(request.msisdn, country)},
                "reference": (request.narration or request.reference)[:64],
                "pin": encrypt_pin(config.credentials["pin"], config.credentials["public_key"]),
                "transaction": {"amount": amount, "id": request.reference}}
        pending = TransferResult(OutcomeStatus.PENDING, request.reference, provider_status="sent_unclear")
        try:
            answer = self._call(config, "POST", "/standard/v1/disbursements/", country=country, json_body=body)
        except ProviderFault as fault:
            if is_unclear(fault):
                return pending
            raise
        block, txn = self._status_block(answer), self._transaction(answer)
        if block.get("success") is True and txn:
            return self._result(txn, request.reference, currency)
        message, code = str(block.get("message", "")), str(block.get("response_code", ""))
        if "duplicate" in message.lower():
            return pending  # sent before with this id: enquire
        if "pin" in message.lower():
            raise ProviderAuthError(message, provider_code=code)  # our PIN or key is wrong: an operator fixes it
        if "balance" in message.lower() or "insufficient" in message.lower():
            raise ProviderLowBalance(message, provider_code=code)
        if "payee" in message.lower() or "msisdn" in message.lower():
            raise InvalidAccount(message, provider_code=code)
        raise ProviderFault(message or f"disbursement refused ({answer.status})", provider_code=code)

    def wallet_transfer_status(self, *, config: ProviderConfig, reference: str, provider_reference: str = "",
                               country: str = "", currency: str = "") -> TransferResult:
        try:
            answer = self._call(config, "GET", f"/standard/v1/disbursements/{reference}", country=country)
        except ProviderError as fault:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))
        txn = self._transaction(answer)
        if not txn or not (txn.get("status") or txn.get("status_code")):
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status="not_found")
        return self._result(txn, reference, self._country(config, country)[1])

    def parse_wallet_callback(self, headers: Mapping[str, str], raw_body: bytes, *,
                              config: ProviderConfig) -> TransferEvent:
        body, _authenticated = self._authenticated_callback(raw_body, config)
        txn = body["transaction"]
        word = str(txn.get("status_code") or "").upper()
        return TransferEvent(event_id=f"{txn['id']}:{word}:{txn.get('airtel_money_id', '')}",
                             event_type="disbursement.callback", status=STATUSES.get(word, OutcomeStatus.PENDING),
                             reference=str(txn["id"]), provider_reference=str(txn.get("airtel_money_id") or ""),
                             raw=body)

"""Reloadly connector (the 16 West African countries): OAuth, auto-detect, top-ups, utility bills.

Public protocol: https://docs.reloadly.com (Airtime API: /operators, /operators/auto-detect/phone/
{phone}/countries/{iso}, /topups, /topups/reports/transactions; Utility Payments API: /billers,
/pay, /transactions) and the official ``reloadly-airtime`` SDK on PyPI.

* Auth: OAuth2 client credentials (``client_id``/``client_secret``) against
  ``options["auth_url"]`` (default ``{base_url}/oauth/token``), one token per audience
  (airtime ``https://topups.reloadly.com``, utilities ``https://utilities.reloadly.com``),
  cached in ``options["token_cache"]`` (any dict-like the core shares) and refreshed once on 401.
  Utilities live at ``options["utilities_url"]`` (default: ``base_url``).
* ``request_id`` travels as ``customIdentifier`` (top-ups) / ``referenceId`` (bills): unique at
  the provider, so a resubmission answers ``DUPLICATED_…`` and the connector returns the original
  transaction's status instead.
* Status: SUCCESSFUL -> SUCCESS; FAILED/REFUNDED -> FAILED (REFUNDED after a success is a
  reversal); PENDING/PROCESSING, timeouts, 5xx, unknown answers -> PENDING.
* Errors: INVALID_PHONE_NUMBER / COULD_NOT_AUTO_DETECT_OPERATOR -> InvalidRecipient;
  INVALID_AMOUNT_FOR_OPERATOR -> InvalidAmount; OPERATOR_NOT_FOUND -> ProductUnavailable;
  INSUFFICIENT_BALANCE -> ProviderLowBalance.
* Amounts: we always send local amounts (``useLocalAmount: true``); the account is charged in
  its own currency (USD), which the result reports in ``fx`` with the operator's quoted rate.
* Data bundles are FIXED-denomination operators; their product code is ``"{operatorId}:{amount}"``.
  Operators map to our network keys by brand (``interfaces.numbering.network_for_brand``).
* Bills: billers are listed per country; Reloadly offers no customer lookup, so bill products
  are sold without verification (``verify_customer`` raises ProductUnavailable).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict

from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    BillPaymentRequest,
    BillPaymentResult,
    CallbackAck,
    CallbackUpdate,
    CustomerDetails,
    CustomerVerificationRequest,
    DataTopupRequest,
    FulfilmentResult,
    InvalidAmount,
    InvalidCustomer,
    InvalidRecipient,
    OutcomeStatus,
    ProductListing,
    ProductType,
    ProductUnavailable,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderProtocolError,
    ProviderUnavailable,
    SignatureError,
    UserFixableError,
    amount_text,
    currency_exponent,
    from_minor,
    minor_to_text,
    to_minor,
    to_minor_padded,
)
from provider_plugins.interfaces.aio import AsyncSubmit
from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.http import HttpAnswer, send
from provider_plugins.interfaces.numbering import network_for_brand
from provider_plugins.interfaces.wire import json_loads

from .protocol import (
    AIRTIME_ACCEPT,
    AUDIENCE,
    BILLER_TYPES,
    CURRENCIES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    UTILITIES_ACCEPT,
    UTILITIES_AUDIENCE,
    WEBHOOK_TOLERANCE_SECONDS,
    webhook_signature,
)

ACCEPT = AIRTIME_ACCEPT
SUCCESS_STATUSES = {"SUCCESSFUL"}
FAILED_STATUSES = {"FAILED", "REFUNDED"}


class _Outcome(TypedDict):
    """What every answer about a transaction says (FulfilmentResult / BillPaymentResult keywords)."""

    provider_reference: str
    provider_code: str
    raw: dict[str, Any]
    currency: str
    fx: dict[str, str]


def _obj(value: Any) -> dict[str, Any]:
    """A nested object of an answer, or {} when it is absent or not an object."""
    return value if isinstance(value, dict) else {}


class _ReloadlyClient(AsyncSubmit):
    """Token handling and error mapping shared by the airtime and the utilities connectors."""

    audience = AUDIENCE
    accept = AIRTIME_ACCEPT

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        cache = config.options.get("token_cache")
        self._tokens: Any = cache if cache is not None else {}

    @property
    def base_url(self) -> str:
        return self.config.base_url

    def _cache_key(self) -> str:
        return f"{self.config.base_url}|{self.config.credentials.get('client_id', '')}|{self.audience}"

    def _token(self, *, refresh: bool = False) -> str:
        cached = self._tokens.get(self._cache_key())
        if cached and not refresh and cached[1] > time.time() + 30:
            return cached[0]
        creds = self.config.credentials
        auth_url = self.config.options.get("auth_url") or self.config.base_url.rstrip("/") + "/oauth/token"
        answer = send(self.config, "POST", "", url=auth_url, write=False, json_body={
            "client_id": creds.get("client_id", ""), "client_secret": creds.get("client_secret", ""),
            "grant_type": "client_credentials", "audience": self.audience})
        body = answer.body if isinstance(answer.body, dict) else {}
        if not body.get("access_token"):
            raise ProviderProtocolError("the token endpoint answered without a token")
        self._tokens[self._cache_key()] = (body["access_token"], time.time() + int(body.get("expires_in", 0)))
        return body["access_token"]

    def _call(self, method: str, path: str, *, write: bool, json_body: Any = None,
              params: dict | None = None) -> HttpAnswer:
        url = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        for attempt in (0, 1):
            headers = {"Accept": self.accept, "Authorization": f"Bearer {self._token(refresh=attempt == 1)}"}
            answer = send(self.config, method, path, url=url, write=write, json_body=json_body, params=params,
                          headers=headers, auth_errors=False)
            if answer.status_code == 401 and attempt == 0:
                continue  # expired or revoked token: fetch a new one once
            if answer.status_code in (401, 403):
                raise ProviderAuthError("the aggregator refused our token", provider_code=_error_code(answer))
            return answer
        raise AssertionError("unreachable")

    def _get_json(self, path: str, params: dict | None = None) -> Any:
        answer = self._call("GET", path, write=False, params=params)
        if answer.status_code >= 400:
            self._raise_for_error(answer)
        if answer.body is None:
            raise ProviderProtocolError("the aggregator answered something that is not JSON")
        return answer.body

    @staticmethod
    def _raise_for_error(answer: HttpAnswer) -> None:
        code = _error_code(answer)
        message = str((answer.body or {}).get("message", "")) if isinstance(answer.body, dict) else ""
        if code in ("INVALID_PHONE_NUMBER", "COULD_NOT_AUTO_DETECT_OPERATOR"):
            raise InvalidRecipient(message or "invalid phone number", provider_code=code)
        if code == "INVALID_SUBSCRIBER_ACCOUNT_NUMBER":
            raise InvalidCustomer(message or "invalid account number", provider_code=code)
        if code in ("INVALID_AMOUNT_FOR_OPERATOR", "INVALID_AMOUNT"):
            raise InvalidAmount(message or "invalid amount", provider_code=code)
        if code in ("OPERATOR_NOT_FOUND", "BILLER_NOT_FOUND"):
            raise ProductUnavailable(message or "operator not found", provider_code=code)
        if code == "INSUFFICIENT_BALANCE":
            raise ProviderLowBalance("our aggregator balance is too low", provider_code=code)
        if answer.status_code == 404:
            raise ProductUnavailable(message or "not found", provider_code=code)
        raise UserFixableError(message or "the aggregator refused the request", provider_code=code)

    def account_balance(self) -> dict:
        """``GET /accounts/balance`` as Reloadly answers it: ``{balance, currencyCode, currencyName, updatedAt}``."""
        return self._get_json("accounts/balance")


class AggregatorConnector(_ReloadlyClient):
    """Airtime and data top-ups, operator discovery and the catalog (airtime, data and billers)."""

    # --- our balance at the aggregator -------------------------------------------------
    def balance(self, *, config: ProviderConfig | None = None) -> list[ProviderBalance]:
        """``GET /accounts/balance`` -> ``{"balance": 550.75, "currencyCode": "USD", "currencyName", "updatedAt"}``."""
        body = self.account_balance()
        if not isinstance(body, dict) or "balance" not in body or not body.get("currencyCode"):
            raise ProviderProtocolError("the aggregator answered a balance without balance/currencyCode")
        currency = str(body["currencyCode"]).upper()
        try:
            amount = _minor(body["balance"], currency)
        except ValueError:
            raise ProviderProtocolError(f"unreadable balance in {currency}") from None
        return [ProviderBalance(currency=currency, amount_minor=amount, raw=body)]

    # --- operators -------------------------------------------------------------------
    def detect_operator(self, phone: str, country: str) -> dict:
        digits = "".join(ch for ch in phone if ch.isdigit())
        return self._get_json(f"operators/auto-detect/phone/{digits}/countries/{country}",
                              {"suggestedAmountsMap": "false"})

    # --- top-ups ---------------------------------------------------------------------
    def airtime(self, request: AirtimeTopupRequest) -> FulfilmentResult:
        operator_id = int(request.operator_code) if request.operator_code.isdigit() else \
            int(self.detect_operator(request.recipient_phone, request.country)["operatorId"])
        return self._topup(request.request_id, operator_id, request.amount_minor, request.currency,
                           request.country, request.recipient_phone)

    def data(self, request: DataTopupRequest) -> FulfilmentResult:
        operator_id, _, amount = request.product_code.partition(":")
        if not operator_id.isdigit() or not amount:
            raise ProductUnavailable(f"not an aggregator bundle code: {request.product_code!r}")
        return self._topup(request.request_id, int(operator_id), to_minor(amount, request.currency),
                           request.currency, request.country, request.recipient_phone)

    def _topup(self, request_id: str, operator_id: int, amount_minor: int, currency: str, country: str,
               phone: str) -> FulfilmentResult:
        number = "".join(ch for ch in phone if ch.isdigit())
        answer = self._call("POST", "topups", write=True, json_body={
            "operatorId": operator_id, "amount": from_minor(amount_minor, currency), "useLocalAmount": True,
            "customIdentifier": request_id, "recipientPhone": {"countryCode": country, "number": number}})
        if answer.unclear:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason=answer.unclear_reason)
        if answer.status_code >= 400:
            if _error_code(answer) == "DUPLICATED_CUSTOM_IDENTIFIER":
                return self.requery(request_id)
            if answer.body is None:
                return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
            self._raise_for_error(answer)
        if not isinstance(answer.body, dict):
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
        return self._result(request_id, answer.body)

    def requery(self, request_id: str) -> FulfilmentResult:
        answer = self._call("GET", "topups/reports/transactions", write=True,
                            params={"customIdentifier": request_id})
        if answer.unclear or not isinstance(answer.body, dict) or answer.status_code >= 400:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING,
                                    reason=answer.unclear_reason or "unexpected_reply")
        content = answer.body.get("content") or []
        if not content:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unknown_request_id")
        return self._result(request_id, content[0])

    @staticmethod
    def _result(request_id: str, txn: dict) -> FulfilmentResult:
        status = str(txn.get("status", "")).upper()
        currency = str(txn.get("deliveredAmountCurrencyCode") or txn.get("requestedAmountCurrencyCode") or "")
        common = _Outcome(provider_reference=str(txn.get("transactionId", "")), provider_code=status, raw=txn,
                          currency=currency, fx=_charged(txn, currency))
        if status in SUCCESS_STATUSES:
            delivered = txn.get("deliveredAmount")
            return FulfilmentResult(request_id, OutcomeStatus.SUCCESS, delivered_amount_minor=_minor(
                delivered, currency) if delivered is not None and currency else None, **common)
        if status in FAILED_STATUSES:
            return FulfilmentResult(request_id, OutcomeStatus.FAILED, reason=f"provider_{status.lower()}", **common)
        return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason=status.lower() or "unknown", **common)

    # --- catalog ---------------------------------------------------------------------
    def list_products(self) -> list[ProductListing]:
        countries = self.config.options.get("countries") or sorted(CURRENCIES)
        listings: list[ProductListing] = []
        for country in countries:
            for op in self._get_json(f"operators/countries/{country}"):
                listings.extend(_operator_products(op, country))
        if self.config.options.get("bills", True):
            listings.extend(AggregatorBillsConnector(self.config).list_billers(countries))
        return listings


def _minor(value: Any, currency: str) -> int:
    """Reloadly's amounts are JSON doubles (``500.0`` for a whole XOF amount): the money rule, minus the zeros
    a double's formatter puts after the currency's digits (``500.5`` XOF, ``1e3``, ``NaN``, a float: refused)."""
    return to_minor_padded(value, currency)


def _basis_points(percent: Any) -> int:
    """A percentage the provider quotes (``3.5``, a commission or discount) in basis points (350), no float."""
    return round(Decimal(amount_text(percent or 0)) * 100)


def _charged(txn: dict, local_currency: str) -> dict[str, str]:
    """What the account paid, when its currency is not the delivered one (Reloadly: ``requestedAmount``)."""
    sender = str(txn.get("requestedAmountCurrencyCode") or "")
    amount = txn.get("requestedAmount")
    if not sender or sender == local_currency or amount is None:
        return {}
    discount = txn.get("discount") or 0
    paid = _minor(amount, sender) - (_minor(discount, sender) if txn.get("discountCurrencyCode") == sender
                                     else 0)
    return {"amount": from_minor(paid, sender), "currency": sender}


def _fx_of(op: dict, local_currency: str) -> dict[str, str]:
    fx = _obj(op.get("fx"))
    sender = str(op.get("senderCurrencyCode") or "")
    if not fx.get("rate") or not sender or sender == local_currency:
        return {}
    return {"rate": str(fx["rate"]), "currency": sender}


def _operator_products(op: dict, country: str) -> list[ProductListing]:
    currency = str(op.get("destinationCurrencyCode") or CURRENCIES.get(country, ""))
    rate = 10_000 - _basis_points(op.get("localDiscount") or op.get("commission"))
    operator_id = str(op.get("operatorId") or op.get("id"))
    brand = str(op.get("name", operator_id)).removesuffix(" Data").strip()
    network = network_for_brand(country, brand) or re.sub(r"[^a-z0-9]+", "-", brand.lower()).strip("-")
    fx = _fx_of(op, currency)
    if op.get("denominationType") == "RANGE" and not op.get("data"):
        low = op.get("localMinAmount") if op.get("localMinAmount") is not None else op.get("minAmount")
        high = op.get("localMaxAmount") if op.get("localMaxAmount") is not None else op.get("maxAmount")
        return [ProductListing(provider_product_code=operator_id, product_type=ProductType.AIRTIME,
                               name=f"{brand} Airtime", country=country, currency=currency, operator=network,
                               min_amount_minor=_minor(low, currency), max_amount_minor=_minor(high, currency),
                               cost_rate_bp=rate, fx=fx, extra={"brand": brand})]
    descriptions = op.get("localFixedAmountsDescriptions") or op.get("fixedAmountsDescriptions") or {}
    listings = []
    for amount in op.get("localFixedAmounts") or op.get("fixedAmounts") or []:
        face = _minor(amount, currency)
        two_decimals = minor_to_text(face * 10 ** (2 - currency_exponent(currency)), 2)  # "500.00": the keys
        label = descriptions.get(two_decimals, "") or descriptions.get(str(amount), "")
        if not label and not op.get("data"):
            label = f"Airtime {from_minor(face, currency)} {currency}"
        listings.append(ProductListing(
            provider_product_code=f"{operator_id}:{from_minor(face, currency)}",
            product_type=ProductType.DATA if op.get("data") else ProductType.AIRTIME,
            name=f"{brand} {label}".strip(), country=country, currency=currency, operator=network,
            extra={"brand": brand}, fx=fx,
            face_value_minor=face, cost_minor=face * rate // 10_000,
            data_size_mb=_size_mb(label), validity_days=_validity_days(label)))
    return listings


class AggregatorBillsConnector(_ReloadlyClient):
    """Utility Payments: billers by country, pay, status by ``referenceId``."""

    audience = UTILITIES_AUDIENCE
    accept = UTILITIES_ACCEPT

    @property
    def base_url(self) -> str:
        return self.config.options.get("utilities_url") or self.config.base_url

    def list_billers(self, countries: list[str]) -> list[ProductListing]:
        listings = []
        for country in countries:
            page = 1
            while True:
                body = self._get_json("billers", {"countryISOCode": country, "page": page, "size": 200})
                for biller in body.get("content") or []:
                    listing = _biller_listing(biller)
                    if listing is not None:
                        listings.append(listing)
                if body.get("last", True) or page >= int(body.get("totalPages") or 1):
                    break
                page += 1
        return listings

    def verify_customer(self, request: CustomerVerificationRequest) -> CustomerDetails:
        raise ProviderUnavailable("the Utility Payments API offers no customer lookup",
                                  code="verification_not_offered")

    def pay(self, request: BillPaymentRequest) -> BillPaymentResult:
        answer = self._call("POST", "pay", write=True, json_body={
            "subscriberAccountNumber": request.customer_number, "amount": from_minor(request.amount_minor,
                                                                                   request.currency),
            "billerId": int(request.biller_code) if request.biller_code.isdigit() else request.biller_code,
            "useLocalAmount": True, "referenceId": request.request_id})
        if answer.unclear:
            return BillPaymentResult(request.request_id, OutcomeStatus.PENDING, reason=answer.unclear_reason)
        if answer.status_code >= 400:
            if _error_code(answer) == "DUPLICATED_REFERENCE_ID":
                return self.requery(request.request_id)
            if answer.body is None:
                return BillPaymentResult(request.request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
            self._raise_for_error(answer)
        body = answer.body if isinstance(answer.body, dict) else {}
        status = str(body.get("status") or "").upper()
        if status in SUCCESS_STATUSES | FAILED_STATUSES:
            return self.requery(request.request_id)  # the status lookup carries the details (token)
        return BillPaymentResult(request.request_id, OutcomeStatus.PENDING,
                                 provider_reference=str(body.get("id", "")),
                                 reason=status.lower() or "unexpected_reply",
                                 provider_code=str(body.get("code", ""))[:20], raw=body)

    def requery(self, request_id: str) -> BillPaymentResult:
        answer = self._call("GET", "transactions", write=True, params={"referenceId": request_id})
        if answer.unclear or not isinstance(answer.body, dict) or answer.status_code >= 400:
            return BillPaymentResult(request_id, OutcomeStatus.PENDING,
                                     reason=answer.unclear_reason or "unexpected_reply")
        content = answer.body.get("content") or []
        txn = content[0].get("transaction") if content and isinstance(content[0], dict) else None
        if not isinstance(txn, dict):
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason="unknown_request_id")
        status = str(txn.get("status", "")).upper()
        details = _obj(txn.get("billDetails"))
        pin = _obj(details.get("pinDetails"))
        currency = str(txn.get("deliveryAmountCurrencyCode") or txn.get("amountCurrencyCode") or "")
        balance = _obj(txn.get("balanceInfo"))
        fx = {"amount": str(balance["cost"]), "currency": str(balance.get("currencyCode", ""))} \
            if balance.get("cost") is not None and balance.get("currencyCode") not in ("", None, currency) else {}
        common = _Outcome(provider_reference=str(txn.get("id", "")), provider_code=status, currency=currency,
                          raw=txn, fx=fx)
        if status in SUCCESS_STATUSES:
            delivered = txn.get("deliveryAmount")
            return BillPaymentResult(request_id, OutcomeStatus.SUCCESS, token=str(pin.get("token") or ""),
                                     units=str(pin.get("info1") or "")[:40],
                                     delivered_amount_minor=_minor(delivered, currency)
                                     if delivered is not None and currency else None, **common)
        if status in FAILED_STATUSES:
            return BillPaymentResult(request_id, OutcomeStatus.FAILED, reason=f"provider_{status.lower()}", **common)
        return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason=status.lower() or "unknown", **common)


_LABELS = {"electricity": "Meter number", "water": "Customer number", "cable_tv": "Smartcard number"}


def _biller_listing(biller: dict) -> ProductListing | None:
    product_type = BILLER_TYPES.get(str(biller.get("type", "")))
    currency = str(biller.get("localTransactionCurrencyCode") or "")
    country = str(biller.get("countryIsoCode") or "")
    if product_type is None or not currency or not biller.get("localAmountSupported", True):
        return None
    discount_bp = _basis_points(biller.get("localDiscountPercentage"))
    fx = _obj(biller.get("fx"))
    intl = str(biller.get("internationalTransactionCurrencyCode") or "")
    name = str(biller.get("name", ""))
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().split("(")[0]).strip("-")
    return ProductListing(
        provider_product_code=f"biller-{biller['id']}", product_type=ProductType(product_type), name=name,
        country=country, currency=currency, operator=slug[:60], biller_code=str(biller["id"]),
        min_amount_minor=_minor(biller.get("minLocalTransactionAmount"), currency),
        max_amount_minor=_minor(biller.get("maxLocalTransactionAmount"), currency),
        cost_rate_bp=10_000 - discount_bp, variation=str(biller.get("serviceType", "")).lower(),
        customer_number_label=_LABELS[product_type], requires_verification=False,
        fx={"rate": str(fx["rate"]), "currency": intl} if fx.get("rate") and intl and intl != currency else {},
        extra={"brand": name})


def _size_mb(label: str) -> int | None:
    match = re.search(r"(\d+(?:\.\d+)?)\s*(GB|MB|Go|Mo)", label, re.IGNORECASE)
    if not match:
        return None
    return round(Decimal(match.group(1)) * (1024 if match.group(2).upper() in ("GB", "GO") else 1))


def _validity_days(label: str) -> int | None:
    match = re.search(r"(\d+)\s*(day|days|jour|jours|dia|dias)\b", label, re.IGNORECASE)
    return int(match.group(1)) if match else None


def _error_code(answer: HttpAnswer) -> str:
    return str(answer.body.get("errorCode", "")) if isinstance(answer.body, dict) else ""


class AggregatorCallbacks:
    """Signed status webhooks: HMAC-SHA256 of ``body + ":" + timestamp`` with ``webhook_secret``.

    A timestamp older (or newer) than five minutes is refused, so a captured
    webhook cannot be replayed later.
    """

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackUpdate | None:
        lowered = {key.lower(): value for key, value in headers.items()}
        secret = self.config.credentials.get("webhook_secret", "")
        stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
        signature = lowered.get(SIGNATURE_HEADER.lower(), "")
        if not (secret and stamp.isdigit() and signature) or not hmac.compare_digest(
                webhook_signature(secret, body, stamp), signature):
            raise SignatureError("the aggregator webhook signature does not verify")
        now = self.config.options.get("now") or time.time()
        if abs(now - int(stamp)) > WEBHOOK_TOLERANCE_SECONDS:
            raise SignatureError("the aggregator webhook timestamp is outside the tolerance", code="stale_webhook")
        try:
            payload = json_loads(body)
        except ValueError:
            raise ProviderProtocolError("aggregator webhook body is not JSON") from None
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or not data.get("customIdentifier"):
            return None  # an event we do not act on (not one of our top-ups)
        result = AggregatorConnector._result(str(data["customIdentifier"]), data)
        return CallbackUpdate(request_id=result.request_id, status=result.status,
                              provider_reference=result.provider_reference,
                              recipient=str(data.get("recipientPhone", "")),
                              delivered_amount_minor=result.delivered_amount_minor, currency=result.currency,
                              reason=result.reason, provider_code=result.provider_code, raw=payload)

    def acknowledgement(self) -> CallbackAck:
        return CallbackAck(200, {})

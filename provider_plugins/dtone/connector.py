"""DT One DVS connector: product discovery, asynchronous top-ups, status polling, unsigned callbacks.

Public protocol: https://developers.dtone.com/reference/Overview (DVS API v1; statuses and callbacks in
``protocol``). ``base_url`` is the API root including ``/v1`` (``https://dvs-api.dtone.com/v1``).

* Auth: HTTP Basic with ``credentials["api_key"]`` / ``credentials["api_secret"]``.
* A top-up is ``POST /async/transactions`` with ``external_id`` = our request id and
  ``auto_confirm: true`` (one call, so a retry can never create a second transaction: DT One
  refuses a reused ``external_id`` with ``1007001`` and we read the original instead). Airtime is a
  RANGED_VALUE_RECHARGE product bought in ``DESTINATION_AMOUNT`` mode (the local amount the phone
  receives); bundles are FIXED_VALUE_RECHARGE products.
* Outcome by status *class*, as DT One advises: COMPLETED -> SUCCESS; REJECTED, DECLINED,
  CANCELLED -> FAILED; REVERSED -> FAILED (``provider_reversed``: after a success the core refunds);
  CREATED, CONFIRMED, SUBMITTED, timeouts, 5xx, unreadable answers -> PENDING.
* Errors: 1005003 -> InvalidRecipient; 1003002/1003003 -> InvalidAmount; 1003001/1005006 ->
  ProductUnavailable; 1006001 -> ProviderLowBalance; 1000429 -> ProviderUnavailable (not processed).
* The account is charged in its own currency (USD): ``prices.wholesale`` and ``rates.wholesale``
  travel back to the core in ``fx``.
* ``balance()``: ``GET /balances`` (every account, ``available`` in its ``unit``) as ``ProviderBalance``
  lines for the provider-balance check; ``balances()`` is the raw list.
* Answers and callbacks are read with ``interfaces.wire.json_loads`` (numbers as ``Decimal``) and every
  amount through the strict money rule, zeros past the currency's digits dropped (``to_minor_padded``: the
  reference types amounts as JSON numbers, so ``1000.0`` XOF is the same 1000); a fraction of a minor unit
  or anything else is refused rather than rounded. A refused amount never breaks a reading of DT One's own
  record: a completed transaction stays a success with no delivered amount, a product we cannot read is left
  out of the catalogue, and an answer whose nested objects are not objects is read as if they were absent.
  An unsigned callback carrying such an amount is refused (400, like every bad amount on a webhook): the
  order's requery reads the record instead.
* Callbacks are unsigned POSTs of the transaction object: the parser asks the core to confirm them
  with a status lookup (``requires_confirmation``) and names DT One's own transaction id.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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
    ProviderUnavailable,
    UserFixableError,
    from_minor,
    gettext_noop,
)
from provider_plugins.interfaces.aio import AsyncSubmit
from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.http import HttpAnswer, send
from provider_plugins.interfaces.money import AmountError, currency_exponent, to_minor_padded
from provider_plugins.interfaces.numbering import ALPHA3_TO_ALPHA2, COUNTRIES, network_for_brand
from provider_plugins.interfaces.wire import json_loads

from . import protocol as p


def _obj(value: Any) -> dict[str, Any]:
    """A nested object of an answer, or {} when it is absent or not an object."""
    return value if isinstance(value, dict) else {}


def _e164(phone: str) -> str:
    return "+" + "".join(ch for ch in phone if ch.isdigit())


def _error_code(answer: HttpAnswer) -> int:
    errors = answer.body.get("errors") if isinstance(answer.body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        try:
            return int(errors[0].get("code") or 0)
        except (TypeError, ValueError):
            return 0
    return 0


def _message(answer: HttpAnswer) -> str:
    errors = answer.body.get("errors") if isinstance(answer.body, dict) else None
    return str(errors[0].get("message", "")) if isinstance(errors, list) and errors and \
        isinstance(errors[0], dict) else ""


def status_class(txn: dict) -> tuple[str, str]:
    """(class message, status message) of a transaction object, upper-cased; ("", "") if absent."""
    status = _obj(txn.get("status"))
    klass = _obj(status.get("class"))
    return str(klass.get("message") or "").upper(), str(status.get("message") or "").upper()


def _amount_minor(amount: Any, currency: str) -> int | None:
    """A provider's amount in minor units, or None when the money rule refuses it (or it is absent)."""
    if amount is None or not currency:
        return None
    try:
        return to_minor_padded(amount, currency)
    except AmountError:
        return None


def transaction_result(request_id: str, txn: dict) -> FulfilmentResult:
    klass, status = status_class(txn)
    values = _obj(txn.get("adjusted_values")) or _obj(txn.get("requested_values"))
    destination = _obj(values.get("destination"))
    currency = str(destination.get("unit") or "")
    wholesale = _obj(_obj(txn.get("prices")).get("wholesale"))
    rates = _obj(txn.get("rates"))
    fx: dict[str, str] = {}
    if wholesale.get("amount") is not None and wholesale.get("unit") and wholesale.get("unit") != currency:
        fx = {"amount": str(wholesale["amount"]), "currency": str(wholesale["unit"])}
        if rates.get("wholesale"):
            fx["rate"] = str(rates["wholesale"])
    common: dict[str, Any] = {"provider_reference": str(txn.get("id") or ""), "provider_code": (status or klass)[:20],
              "currency": currency, "fx": fx, "raw": txn, "message": status}
    if klass == p.COMPLETED:
        return FulfilmentResult(request_id, OutcomeStatus.SUCCESS,
                                delivered_amount_minor=_amount_minor(destination.get("amount"), currency), **common)
    if klass in p.FAILED_CLASSES:
        return FulfilmentResult(request_id, OutcomeStatus.FAILED, reason=f"provider_{klass.lower()}", **common)
    return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason=klass.lower() or "unexpected_reply", **common)


class DTOneConnector(AsyncSubmit):
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def _send(self, method: str, path: str, *, write: bool, json_body: Any = None,
              params: dict | None = None) -> HttpAnswer:
        headers = {"Accept": "application/json", "Authorization": self._basic()}
        return send(self.config, method, path, write=write, json_body=json_body, params=params, headers=headers)

    def _basic(self) -> str:
        creds = self.config.credentials
        raw = f"{creds.get('api_key', '')}:{creds.get('api_secret', '')}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _raise_for_error(self, answer: HttpAnswer) -> None:
        code, message = _error_code(answer), _message(answer)
        if code == p.INVALID_CREDIT_PARTY_MOBILE:
            raise InvalidRecipient(message or "invalid mobile number", provider_code=str(code))
        if code in (p.AMOUNT_OUT_OF_RANGE, p.UNIT_INVALID):
            raise InvalidAmount(message or "amount out of range", provider_code=str(code))
        if code in (p.PRODUCT_NOT_AVAILABLE, p.OPERATOR_NOT_FOUND) or answer.status_code == 404:
            raise ProductUnavailable(message or "product not available", provider_code=str(code))
        if code == p.INSUFFICIENT_BALANCE:
            raise ProviderLowBalance("our DT One balance is too low", provider_code=str(code))
        if code == p.TOO_MANY_REQUESTS or answer.status_code == 429:
            raise ProviderUnavailable("DT One is rate limiting us", provider_code=str(code))
        raise UserFixableError(message or "DT One refused the request", provider_code=str(code))

    def _get_pages(self, path: str, params: dict) -> list[dict]:
        items: list[dict] = []
        page = 1
        while True:
            answer = self._send("GET", path, write=False, params={**params, "page": page, "per_page": 100})
            if answer.status_code >= 400:
                self._raise_for_error(answer)
            if not isinstance(answer.body, list):
                raise ProviderProtocolError("DT One answered something that is not a JSON list")
            items.extend(x for x in answer.body if isinstance(x, dict))
            # The pages count travels in X-Total-Pages; ``send`` keeps no headers, so stop on a short page.
            if len(answer.body) < 100:
                return items
            page += 1

    # --- discovery ----------------------------------------------------------------------
    def lookup_operators(self, phone: str) -> list[dict]:
        """``GET /lookup/mobile-number/{mobile_number}``: the operators the number belongs to."""
        return self._get_pages(f"lookup/mobile-number/{_e164(phone)}", {})

    def balances(self) -> list[dict]:
        """``GET /balances`` as DT One answers it: ``[{id, unit_type, unit, available, holding, credit_limit}]``."""
        return self._get_pages("balances", {})

    def balance(self, *, config: ProviderConfig | None = None) -> list[ProviderBalance]:
        """Our money at DT One, one line per currency account (``available``: what purchases can still draw)."""
        lines = []
        for account in self.balances():
            if account.get("unit_type") != "CURRENCY":
                continue
            currency = str(account.get("unit") or "").upper()
            try:
                amount = to_minor_padded(account.get("available"), currency)
            except ValueError:
                raise ProviderProtocolError(f"unreadable DT One balance in {currency or 'no currency'}") from None
            lines.append(ProviderBalance(currency=currency, amount_minor=amount, raw=account))
        if not lines:
            raise ProviderProtocolError("DT One answered no currency balance")
        return lines

    def list_products(self) -> list[ProductListing]:
        countries = self.config.options.get("countries") or sorted(COUNTRIES)
        listings: list[ProductListing] = []
        for country in countries:
            alpha3 = COUNTRIES[country].alpha3
            for product in self._get_pages("products", {"country_iso_code": alpha3}):
                try:
                    listing = _listing(product)
                except (AmountError, ArithmeticError, KeyError, TypeError, AttributeError):
                    listing = None  # one product we cannot read (an amount the money rule refuses...) is left out
                if listing is not None:
                    listings.append(listing)
        return listings

    # --- top-ups ------------------------------------------------------------------------
    def airtime(self, request: AirtimeTopupRequest) -> FulfilmentResult:
        product_id = request.operator_code
        if not product_id.isdigit():
            product_id = self._ranged_product_for(request.recipient_phone, request.country)
        return self._create(request.request_id, int(product_id), request.recipient_phone, destination={
            "unit_type": "CURRENCY", "unit": request.currency,
            "amount": _json_number(from_minor(request.amount_minor, request.currency))})

    def data(self, request: DataTopupRequest) -> FulfilmentResult:
        if not request.product_code.isdigit():
            raise ProductUnavailable(f"not a DT One product id: {request.product_code!r}")
        return self._create(request.request_id, int(request.product_code), request.recipient_phone)

    def _ranged_product_for(self, phone: str, country: str) -> str:
        operators = self.lookup_operators(phone)
        if not operators:
            raise InvalidRecipient(gettext_noop("DT One knows no operator for this number"))
        products = self._get_pages("products", {"operator_id": operators[0]["id"], "type": p.RANGED_VALUE_RECHARGE})
        if not products:
            raise ProductUnavailable("DT One sells no airtime for this operator")
        return str(products[0]["id"])

    def _create(self, request_id: str, product_id: int, phone: str,
                destination: dict | None = None) -> FulfilmentResult:
        body: dict[str, Any] = {"external_id": request_id, "product_id": product_id, "auto_confirm": True,
                                "credit_party_identifier": {"mobile_number": _e164(phone)}}
        if destination is not None:
            body.update(calculation_mode="DESTINATION_AMOUNT", destination=destination)
        if self.config.options.get("callback_url"):
            body["callback_url"] = self.config.options["callback_url"]
        answer = self._send("POST", "async/transactions", write=True, json_body=body)
        if answer.unclear:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason=answer.unclear_reason)
        if answer.status_code >= 400:
            if _error_code(answer) == p.EXTERNAL_ID_USED:
                return self.requery(request_id)
            if answer.body is None:
                return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
            self._raise_for_error(answer)
        if not isinstance(answer.body, dict) or answer.body.get("external_id") != request_id:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
        return transaction_result(request_id, answer.body)

    def requery(self, request_id: str) -> FulfilmentResult:
        answer = self._send("GET", "transactions", write=True, params={"external_id": request_id})
        if answer.unclear or answer.body is None:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING,
                                    reason=answer.unclear_reason or "unexpected_reply")
        if answer.status_code == 404 or (isinstance(answer.body, list) and not answer.body):
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unknown_request_id")
        if answer.status_code >= 400 or not isinstance(answer.body, list) or not isinstance(answer.body[0], dict):
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
        txn = next((t for t in answer.body if isinstance(t, dict) and t.get("external_id") == request_id), None)
        if txn is None:
            return FulfilmentResult(request_id, OutcomeStatus.PENDING, reason="unknown_request_id")
        return transaction_result(request_id, txn)


def _listing(product: dict) -> ProductListing | None:
    operator = product.get("operator") or {}
    country = ALPHA3_TO_ALPHA2.get(str((operator.get("country") or {}).get("iso_code", "")).upper(), "")
    destination = product.get("destination") or {}
    currency = str(destination.get("unit") or "")
    if not country or destination.get("unit_type") != "CURRENCY" or not currency:
        return None
    if product.get("required_credit_party_identifier_fields") not in ([["mobile_number"]], None):
        return None  # products that need more than a phone number are not sold here yet
    brand = str(operator.get("name") or "")
    network = network_for_brand(country, brand)
    rates = product.get("rates") or {}
    try:
        base, wholesale = Decimal(str(rates["base"])), Decimal(str(rates["wholesale"]))
    except (KeyError, ArithmeticError):
        return None
    source_unit = str((product.get("source") or {}).get("unit") or "")
    fx = {"rate": str(rates["wholesale"]), "currency": source_unit} if source_unit and source_unit != currency else {}
    common: dict[str, Any] = {"provider_product_code": str(product["id"]), "country": country, "currency": currency,
              "operator": network, "fx": fx, "extra": {"brand": brand}}
    kind = product.get("type")
    if kind == p.RANGED_VALUE_RECHARGE:
        bounds = destination.get("amount") or {}
        # Cost of one unit of local value, in local money at the base rate: base / wholesale (rounded up).
        rate_bp = math.ceil(base * 10_000 / wholesale)
        return ProductListing(product_type=ProductType.AIRTIME, name=str(product.get("name") or f"{brand} Airtime"),
                              min_amount_minor=to_minor_padded(bounds.get("min"), currency),
                              max_amount_minor=to_minor_padded(bounds.get("max"), currency), cost_rate_bp=rate_bp,
                              **common)
    if kind == p.FIXED_VALUE_RECHARGE:
        face = to_minor_padded(destination.get("amount"), currency)
        price = ((product.get("prices") or {}).get("wholesale") or {}).get("amount")
        if price is None:
            return None
        cost = math.ceil(Decimal(str(price)) * base * (10 ** _exponent(currency)))
        data = next((b for b in product.get("benefits") or [] if isinstance(b, dict) and b.get("type") == "DATA"),
                    None)
        size_mb = None
        if data is not None:
            amount = Decimal(str((data.get("amount") or {}).get("total_excluding_tax") or 0))
            size_mb = int(amount * 1024) if str(data.get("unit")).upper() == "GB" else int(amount)
        validity = product.get("validity") or {}
        days = int(validity["quantity"]) * {"DAY": 1, "WEEK": 7, "MONTH": 30}.get(str(validity.get("unit")), 0) \
            if validity.get("quantity") else None
        return ProductListing(product_type=ProductType.DATA if data is not None else ProductType.AIRTIME,
                              name=str(product.get("name") or brand), face_value_minor=face, cost_minor=cost,
                              data_size_mb=size_mb, validity_days=days or None, **common)
    return None


def _json_number(text: str) -> int | float:
    """A decimal string (``"500"``, ``"1250.50"``) as the JSON number DT One expects. A whole amount is an
    int; otherwise the JSON encoder writes a float's shortest form, which for at most two decimals is exactly
    the text (the float lives only inside the encoder: nothing is computed with it)."""
    whole, _, fraction = text.partition(".")
    return int(whole) if not fraction.strip("0") else float(text)


def _exponent(currency: str) -> int:
    return currency_exponent(currency)


class DTOneCallbacks:
    """DT One POSTs the transaction object, unsigned: nothing in it is trusted until a status lookup
    (by our ``external_id``) confirms it, and only for the transaction DT One itself numbered ``id``."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackUpdate | None:
        try:
            payload = json_loads(body)
        except ValueError:
            raise ProviderProtocolError("DT One callback body is not JSON") from None
        if not isinstance(payload, dict) or not payload.get("external_id") or not payload.get("id"):
            raise ProviderProtocolError("DT One callback without external_id/id")
        # A callback is refused outright for an amount the money rule refuses (400, as before): unlike a status
        # lookup's answer, nothing is lost by refusing it (the order's requery reads DT One's own record).
        destination = _obj((_obj(payload.get("adjusted_values")) or _obj(payload.get("requested_values")))
                           .get("destination"))
        if destination.get("amount") is not None and destination.get("unit"):
            to_minor_padded(destination["amount"], str(destination["unit"]))  # AmountError: refused
        result = transaction_result(str(payload["external_id"]), payload)
        party = _obj(payload.get("credit_party_identifier"))
        return CallbackUpdate(request_id=result.request_id, status=result.status,
                              provider_reference=result.provider_reference,
                              recipient=str(party.get("mobile_number") or ""),
                              delivered_amount_minor=result.delivered_amount_minor, currency=result.currency,
                              reason=result.reason, provider_code=result.provider_code, requires_confirmation=True,
                              raw=payload)

    def acknowledgement(self) -> CallbackAck:
        return CallbackAck(200, {})

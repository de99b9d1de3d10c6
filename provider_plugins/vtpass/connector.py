"""VTPass (Nigeria): airtime, data, electricity, cable TV, exam PINs and motor insurance over its REST API.

Public protocol: https://www.vtpass.com/documentation/ (buying services, variation codes, merchant-verify,
requery, response codes; education: WAEC result checker ``waec``/``waecdirect`` answering ``cards``,
WAEC registration ``waec-registration`` answering ``tokens``, JAMB ``jamb`` (profile ID verified with
merchant-verify) answering ``Pin``; insurance: third-party motor ``ui-insure`` with the vehicle fields,
answering ``certUrl``).

Stateless translator: every method builds one HTTP exchange (two for a
duplicate answer, which is confirmed with a requery) and maps the answer to
the contract. Response-code mapping (see docs/providers.md for the table):

* ``000`` -> look at ``content.transactions.status``: delivered = SUCCESS,
  failed/reversed = FAILED, anything else (initiated, pending) = PENDING.
* ``099`` processing, ``015`` unknown request id, ``044`` resolved, unknown
  codes, non-JSON bodies, timeouts, 5xx -> PENDING (requery).
* ``016`` failed, ``091`` not processed, ``019`` likely duplicate (refused,
  not charged) -> FAILED.
* ``014`` request id already used -> requery and return the original outcome.
* ``018`` low wallet balance -> :class:`ProviderLowBalance` (nothing charged).
* ``010``/``012`` -> :class:`ProductUnavailable`; ``013``/``017`` ->
  :class:`InvalidAmount`; ``011`` -> :class:`UserFixableError`;
  ``021``-``024``/``087``/HTTP 401 -> :class:`ProviderAuthError`;
  ``030`` -> :class:`ProviderUnavailable`.

Credentials (``config.credentials``): ``api_key`` + ``secret_key`` +
``public_key`` (API-key auth) or ``username`` + ``password`` (basic auth).
Options: ``commission_bp`` {serviceID: basis points} to derive cost prices.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
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
    InvalidAmount,
    InvalidCustomer,
    OutcomeStatus,
    ProductListing,
    ProductType,
    ProductUnavailable,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderProtocolError,
    ProviderUnavailable,
    UserFixableError,
    from_minor,
    to_minor,
)
from provider_plugins.interfaces.aio import AsyncTransport, send_async
from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.http import HttpAnswer, send
from provider_plugins.interfaces.wire import json_loads

from . import protocol as p

_AUTH_CODES = {p.ACCOUNT_LOCKED, p.ACCOUNT_SUSPENDED, p.API_ACCESS_DISABLED, p.ACCOUNT_INACTIVE,
               p.INVALID_CREDENTIALS}


class _Where(TypedDict):
    """Where every VTPass listing is sold (ProductListing keywords)."""

    country: str
    currency: str
    operator: str


class _OpenRange(TypedDict):
    """An open-amount listing's range and cost rate (ProductListing keywords)."""

    min_amount_minor: int | None
    max_amount_minor: int | None
    cost_rate_bp: int


def _obj(value: Any) -> dict[str, Any]:
    """A nested object of an answer, or {} when it is absent or not an object."""
    return value if isinstance(value, dict) else {}


class VTPassConnector:
    """Top-up, bill payment and catalog for VTPass. One instance per call is fine."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    # --- auth ------------------------------------------------------------------------
    def _headers(self, method: str) -> dict[str, str]:
        creds = self.config.credentials
        headers = {"Accept": "application/json"}
        if creds.get("api_key"):
            headers["api-key"] = creds["api_key"]
            if method == "GET":
                headers["public-key"] = creds.get("public_key", "")
            else:
                headers["secret-key"] = creds.get("secret_key", "")
        elif creds.get("username"):
            token = base64.b64encode(f"{creds['username']}:{creds.get('password', '')}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return headers

    def _get(self, path: str, params: dict) -> dict:
        answer = send(self.config, "GET", path, write=False, params=params, headers=self._headers("GET"))
        if not isinstance(answer.body, dict):
            raise ProviderProtocolError("VTPass answered something that is not JSON")
        return answer.body

    def _post(self, path: str, payload: dict, *, write: bool) -> HttpAnswer:
        return send(self.config, "POST", path, write=write, json_body=payload, headers=self._headers("POST"))

    # --- our wallet at VTPass --------------------------------------------------------
    def balance(self, *, config: ProviderConfig | None = None) -> list[ProviderBalance]:
        """``GET /api/balance`` -> ``{"code": 1, "contents": {"balance": 1000.5}}`` (naira, as a number)."""
        body = self._get("/api/balance", {})
        contents = _obj(body.get("contents"))
        if "balance" not in contents:
            raise ProviderProtocolError("VTPass answered a balance without contents.balance")
        return [ProviderBalance(currency="NGN", amount_minor=to_minor(contents["balance"], "NGN"), raw=contents)]

    # --- top-up ----------------------------------------------------------------------
    def airtime(self, request: AirtimeTopupRequest) -> BillPaymentResult:
        return self._pay(request.request_id, _airtime_payload(request))

    def data(self, request: DataTopupRequest) -> BillPaymentResult:
        return self._pay(request.request_id, _data_payload(request))

    # --- bills -----------------------------------------------------------------------
    def verify_customer(self, request: CustomerVerificationRequest) -> CustomerDetails:
        payload: dict[str, Any] = {"billersCode": request.customer_number, "serviceID": request.biller_code}
        if request.variation:
            payload["type"] = request.variation
        answer = self._post("api/merchant-verify", payload, write=False)
        body = answer.body
        if not isinstance(body, dict):
            raise ProviderProtocolError("VTPass answered something that is not JSON")
        code = str(body.get("code", ""))
        content = body.get("content") or {}
        if code in (p.PROCESSED, p.BILLER_CONFIRMED) and isinstance(content, dict):
            if content.get("WrongBillersCode") or content.get("error"):
                raise InvalidCustomer(str(content.get("error") or "The customer number was not found."),
                                      provider_code=code)
            minimum = content.get("Min_Purchase_Amount") or content.get("Minimum_Amount")
            return CustomerDetails(
                customer_number=str(content.get("Meter_Number") or content.get("Customer_Number")
                                    or request.customer_number),
                name=str(content.get("Customer_Name", "")).strip(),
                address=str(content.get("Address", "") or "").strip(),
                variation=str(content.get("Meter_Type") or content.get("Customer_Type") or request.variation),
                minimum_amount_minor=to_minor(minimum, p.CURRENCY) if minimum not in (None, "") else None,
                extra={k: v for k, v in content.items() if k in ("Current_Bouquet", "Renewal_Amount", "Due_Date",
                                                                  "Status", "Customer_Arrears")},
            )
        self._raise_for_code(code, body)
        if code == p.BILLER_UNREACHABLE:
            raise ProviderUnavailable("the biller cannot be reached", provider_code=code)
        raise ProviderProtocolError(f"unexpected merchant-verify code {code!r}", provider_code=code)

    def pay(self, request: BillPaymentRequest) -> BillPaymentResult:
        return self._pay(request.request_id, _bill_payload(request))

    # --- the one purchase/requery path -----------------------------------------------
    def _pay(self, request_id: str, payload: dict) -> BillPaymentResult:
        answer = self._post("api/pay", {"request_id": request_id, **payload}, write=True)
        paid = self._paid(request_id, answer)
        # Already submitted (our retry, or the first answer was lost): the original outcome counts.
        return self.requery(request_id) if paid is None else paid

    def requery(self, request_id: str) -> BillPaymentResult:
        return self._requeried(request_id, self._post("api/requery", {"request_id": request_id}, write=True))

    async def submit_async(self, request: AirtimeTopupRequest | DataTopupRequest | BillPaymentRequest, *,
                           transport: AsyncTransport) -> BillPaymentResult:
        """``airtime``/``data``/``pay`` awaitable, natively (``send_async``: the same exchanges and mapping)."""
        if isinstance(request, AirtimeTopupRequest):
            payload = _airtime_payload(request)
        elif isinstance(request, DataTopupRequest):
            payload = _data_payload(request)
        elif isinstance(request, BillPaymentRequest):
            payload = _bill_payload(request)
        else:
            raise TypeError(f"submit_async cannot send a {type(request).__name__}")
        request_id = request.request_id
        answer = await send_async(self.config, transport, "POST", "api/pay", write=True,
                                  json_body={"request_id": request_id, **payload}, headers=self._headers("POST"))
        paid = self._paid(request_id, answer)
        if paid is not None:
            return paid
        return self._requeried(request_id, await send_async(
            self.config, transport, "POST", "api/requery", write=True, json_body={"request_id": request_id},
            headers=self._headers("POST")))

    def _paid(self, request_id: str, answer: HttpAnswer) -> BillPaymentResult | None:
        """The answer to ``api/pay``; None: a duplicate request id, to be requeried."""
        if answer.unclear:
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason=answer.unclear_reason)
        body = answer.body
        if not isinstance(body, dict):
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
        if str(body.get("code")) == p.DUPLICATE_REQUEST_ID:
            return None
        return self._result(request_id, body)

    def _requeried(self, request_id: str, answer: HttpAnswer) -> BillPaymentResult:
        if answer.unclear:
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason=answer.unclear_reason)
        if not isinstance(answer.body, dict):
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_reply")
        return self._result(request_id, answer.body)

    def _raise_for_code(self, code: str, body: dict) -> None:
        description = str(body.get("response_description", ""))
        if code in (p.VARIATION_NOT_FOUND, p.PRODUCT_NOT_FOUND):
            raise ProductUnavailable(description or "product unavailable", provider_code=code)
        if code in (p.BELOW_MINIMUM, p.ABOVE_MAXIMUM):
            raise InvalidAmount(description or "amount out of range", provider_code=code)
        if code == p.INVALID_ARGUMENTS:
            raise UserFixableError(description or "invalid arguments", provider_code=code)
        if code == p.LOW_BALANCE:
            raise ProviderLowBalance("our VTPass wallet balance is too low", provider_code=code)
        if code in _AUTH_CODES:
            raise ProviderAuthError(description or "VTPass refused our account", provider_code=code)

    def _result(self, request_id: str, body: dict) -> BillPaymentResult:
        code = str(body.get("code", ""))
        self._raise_for_code(code, body)
        content = _obj(body.get("content"))
        txn = _obj(content.get("transactions"))
        common: dict[str, Any] = {
            "provider_reference": str(txn.get("transactionId") or body.get("transactionId") or ""),
            "provider_code": code,
            "message": str(body.get("response_description", "")),
            "raw": body,
        }
        if code == p.PROCESSED:
            inner = str(txn.get("status", "")).lower()
            if inner == p.DELIVERED:
                amount = body.get("amount", txn.get("amount"))
                token, units = _token_and_units(body)
                receipt = _pins_and_certificate(body)
                if receipt:
                    token, units = _receipt_token(receipt), ""
                return BillPaymentResult(
                    request_id, OutcomeStatus.SUCCESS, currency=p.CURRENCY,
                    delivered_amount_minor=to_minor(amount, p.CURRENCY) if amount not in (None, "") else None,
                    token=token, units=units, receipt=receipt, **common)
            if inner in (p.FAILED_STATUS, p.REVERSED):
                return BillPaymentResult(request_id, OutcomeStatus.FAILED, reason=f"provider_{inner}", **common)
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason=inner or "processing", **common)
        if code in (p.FAILED, p.NOT_PROCESSED):
            return BillPaymentResult(request_id, OutcomeStatus.FAILED, reason="provider_failed", **common)
        if code == p.LIKELY_DUPLICATE:
            return BillPaymentResult(request_id, OutcomeStatus.FAILED, reason="likely_duplicate", **common)
        if code == p.PROCESSING:
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason="processing", **common)
        if code == p.UNKNOWN_REQUEST_ID:
            # Not seen (yet) by VTPass. Could be a submit still in flight: the core decides after a grace period.
            return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason="unknown_request_id", **common)
        if code == p.BILLER_UNREACHABLE:
            raise ProviderUnavailable("the biller cannot be reached", provider_code=code)
        return BillPaymentResult(request_id, OutcomeStatus.PENDING, reason="unexpected_code", **common)

    # --- catalog ---------------------------------------------------------------------
    def list_products(self) -> list[ProductListing]:
        commission: Mapping[str, int] = self.config.options.get("commission_bp", {})
        products: list[ProductListing] = []
        for product_type, identifier in p.IDENTIFIERS.items():
            body = self._get("api/services", {"identifier": identifier})
            for service in body.get("content") or []:
                products.extend(self._service_products(ProductType(product_type), service, commission))
        return products

    def _service_products(self, product_type: ProductType, service: dict,
                          commission: Mapping[str, int]) -> list[ProductListing]:
        service_id = str(service["serviceID"])
        rate = 10_000 - int(commission.get(service_id, commission.get("*", 0)))
        minimum = service.get("minimium_amount", service.get("minimum_amount"))
        maximum = service.get("maximum_amount")
        open_range = _OpenRange(
            min_amount_minor=to_minor(minimum, p.CURRENCY) if minimum not in (None, "") else None,
            max_amount_minor=to_minor(maximum, p.CURRENCY) if maximum not in (None, "") else None,
            cost_rate_bp=rate,
        )
        base = _Where(country="NG", currency=p.CURRENCY, operator=service_id.split("-")[0]
                      if product_type in (ProductType.AIRTIME, ProductType.DATA) else service_id)
        if product_type == ProductType.AIRTIME:
            return [ProductListing(provider_product_code=service_id, product_type=product_type,
                                   name=str(service.get("name", service_id)), **base, **open_range)]
        if product_type == ProductType.ELECTRICITY:
            return [
                ProductListing(provider_product_code=f"{service_id}:{meter}", product_type=product_type,
                               name=f"{service.get('name', service_id)} ({meter})", biller_code=service_id,
                               customer_number_label="Meter number", requires_verification=True, variation=meter,
                               **base, **open_range)
                for meter in ("prepaid", "postpaid")
            ]
        variations = self._get("api/service-variations", {"serviceID": service_id})
        content = variations.get("content") or {}
        listings = []
        for variation in content.get("variations") or content.get("varations") or []:
            face = to_minor(variation["variation_amount"], p.CURRENCY)
            name = str(variation.get("name", variation["variation_code"]))
            listings.append(ProductListing(
                provider_product_code=str(variation["variation_code"]), product_type=product_type, name=name,
                face_value_minor=face, cost_minor=face * rate // 10_000,
                data_size_mb=p.parse_data_size_mb(name) if product_type == ProductType.DATA else None,
                validity_days=p.parse_validity_days(name) if product_type == ProductType.DATA else 30,
                biller_code=service_id, customer_number_label=_NUMBER_LABELS.get(service_id, _NUMBER_LABELS.get(
                    str(product_type), "")),
                requires_verification=product_type == ProductType.CABLE_TV or service_id == p.JAMB,
                variation=str(variation["variation_code"]) if product_type in _VARIATION_TYPES else "",
                **base))
        return listings


def _airtime_payload(request: AirtimeTopupRequest) -> dict[str, Any]:
    if not request.operator_code:
        raise UserFixableError("VTPass needs the network (serviceID) for airtime", code="missing_operator")
    return {
        "serviceID": request.operator_code,
        "amount": from_minor(request.amount_minor, p.CURRENCY),
        "phone": p.national_phone(request.recipient_phone),
    }


def _data_payload(request: DataTopupRequest) -> dict[str, Any]:
    service_id = request.operator_code or request.product_code.split("-")[0] + "-data"
    phone = p.national_phone(request.recipient_phone)
    return {
        "serviceID": service_id,
        "billersCode": phone,
        "variation_code": request.product_code,
        "amount": from_minor(request.amount_minor, p.CURRENCY),
        "phone": phone,
    }


def _bill_payload(request: BillPaymentRequest) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "serviceID": request.biller_code,
        "billersCode": request.customer_number,
        "variation_code": request.variation,
        "amount": from_minor(request.amount_minor, p.CURRENCY),
        "phone": p.national_phone(request.phone) if request.phone else "",
    }
    if request.biller_code in ("dstv", "gotv", "startimes", "showmax"):
        payload["subscription_type"] = "change"
    if request.biller_code in (p.WAEC_RESULT_CHECKER, p.WAEC_REGISTRATION):
        payload.pop("billersCode")  # the PIN goes to the phone; one card per purchase
        payload["quantity"] = 1
    if request.biller_code == p.THIRD_PARTY_MOTOR:
        missing = [name for name in p.INSURANCE_FIELDS if name != "Plate_Number"
                   and not str(request.details.get(name) or "").strip()]
        if missing:
            raise UserFixableError(f"vehicle details missing: {', '.join(missing)}", code="missing_details")
        payload.update({name: str(request.details.get(name, "")) for name in p.INSURANCE_FIELDS})
        payload["Plate_Number"] = request.customer_number
    return payload


_NUMBER_LABELS = {"cable_tv": "Smartcard number", p.JAMB: "JAMB profile ID",
                  p.THIRD_PARTY_MOTOR: "Vehicle plate number"}
_VARIATION_TYPES = (ProductType.EDUCATION, ProductType.INSURANCE)


def _pins_and_certificate(body: dict) -> dict:
    """Exam PINs (``cards``, ``tokens``, ``Pin``) and an insurance certificate (``certUrl``), for the receipt."""
    receipt: dict[str, Any] = {}
    pins = [{"serial": str(card.get("Serial", "")), "pin": str(card.get("Pin", ""))}
            for card in body.get("cards") or [] if isinstance(card, dict)]
    pins += [{"serial": "", "pin": str(token)} for token in body.get("tokens") or []]
    if body.get("Pin"):
        pins.append({"serial": "", "pin": str(body["Pin"])})
    if pins:
        receipt["pins"] = pins
    if body.get("certUrl"):
        purchased = str(body.get("purchased_code") or "")
        number = purchased.split(":", 1)[-1].strip() if ":" in purchased else purchased.strip()
        receipt["certificate"] = {"number": number, "url": str(body["certUrl"])}
    return receipt


def _receipt_token(receipt: dict) -> str:
    if receipt.get("pins"):
        return receipt["pins"][0]["pin"][:100]
    return str(receipt.get("certificate", {}).get("number", ""))[:100]


def _token_and_units(body: dict) -> tuple[str, str]:
    token = str(body.get("mainToken") or body.get("token") or "")
    purchased = str(body.get("purchased_code") or "")
    if not token and purchased:
        token = purchased.split(":", 1)[-1].strip() if ":" in purchased else purchased.strip()
    units = body.get("units") or body.get("mainTokenUnits") or ""
    if units and not str(units).lower().endswith("kwh"):
        units = f"{units} kWh"
    return token, str(units)


class VTPassCallbacks:
    """``{type: "transaction-update", data: <requery-shaped>}``; VTPass does not sign callbacks.

    An unsigned update is authentic only once a requery agrees, so every update
    comes back with ``requires_confirmation=True``.
    """

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackUpdate | None:
        try:
            payload = json_loads(body or b"null")
        except ValueError:
            raise ProviderProtocolError("callback body is not JSON") from None
        if not isinstance(payload, dict) or "type" not in payload:
            raise ProviderProtocolError("callback has no type")
        if payload["type"] != "transaction-update":
            return None  # e.g. variations-update: the catalog sync picks those up on its schedule
        data = payload.get("data")
        if not isinstance(data, dict) or not data.get("requestId"):
            raise ProviderProtocolError("transaction-update without data.requestId")
        result = VTPassConnector(self.config)._result(str(data["requestId"]), data)
        txn = (data.get("content") or {}).get("transactions") or {}
        return CallbackUpdate(
            request_id=result.request_id, status=result.status, provider_reference=result.provider_reference,
            recipient=str(txn.get("unique_element", "")), delivered_amount_minor=result.delivered_amount_minor,
            currency=result.currency, token=result.token, units=result.units, reason=result.reason,
            provider_code=result.provider_code, requires_confirmation=True, raw=payload)

    def acknowledgement(self) -> CallbackAck:
        return CallbackAck(200, {"response": "success"})

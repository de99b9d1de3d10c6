"""A Reloadly look-alike serving the 16 West African countries: airtime, data and utility bills.

Wire protocol (Reloadly's Airtime API and Utility Payments API, docs.reloadly.com; field names as in
the official ``reloadly-airtime`` Python SDK's DTOs):

* ``POST /oauth/token`` ``{client_id, client_secret, grant_type: "client_credentials", audience}`` ->
  ``{access_token, scope, expires_in, token_type: "Bearer"}``. A token is good for the audience it
  was issued for: ``https://topups.reloadly.com`` (airtime) or ``https://utilities.reloadly.com``.
* Airtime: ``GET /countries``, ``GET /operators/countries/{iso}``, ``GET /operators/{id}``,
  ``GET /operators/auto-detect/phone/{phone}/countries/{iso}``, ``GET /accounts/balance``,
  ``POST /topups`` ``{operatorId, amount, useLocalAmount, customIdentifier, recipientPhone:
  {countryCode, number}}``, ``GET /topups/{transactionId}/status``,
  ``GET /topups/reports/transactions?customIdentifier=``. Transactions SUCCESSFUL / PENDING /
  PROCESSING / FAILED / REFUNDED. The account is kept in USD; ``fx.rate`` converts to local money,
  ``requestedAmount`` is what the account paid, ``deliveredAmount`` what the phone received.
* Utilities: ``GET /billers?countryISOCode=&type=&serviceType=&page=&size=``, ``POST /pay``
  ``{subscriberAccountNumber, amount, billerId, useLocalAmount, referenceId}`` -> ``{id, status:
  "PROCESSING", referenceId, code, message, submittedAt, finalStatusAvailabilityAt}``,
  ``GET /transactions?referenceId=``, ``GET /transactions/{id}``; prepaid electricity answers a
  token in ``billDetails.pinDetails``.

Errors: ``{timeStamp, message, path, errorCode, infoLink, details}`` with 4xx.
``customIdentifier``/``referenceId`` are unique: reuse answers 400 ``DUPLICATED_CUSTOM_IDENTIFIER`` /
``DUPLICATED_REFERENCE_ID``. An expired token answers 401 ``TOKEN_EXPIRED``.
``refund(identifier)`` plays a refund after success (status REFUNDED, balance credited back).
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from provider_plugins.interfaces.money import currency_exponent
from provider_plugins.interfaces.numbering import COUNTRIES, detect_network, national_number
from provider_plugins.simkit.simulator import FaultMode, Request, Response, SimulatorServer

from .catalogue import ACCOUNT_CURRENCY, FX_RATES, build_billers, build_operators
from .protocol import AUDIENCE, SIGNATURE_HEADER, TIMESTAMP_HEADER, UTILITIES_AUDIENCE, webhook_signature

DEFAULT_CREDENTIALS = {"client_id": "sim-aggregator-client", "client_secret": "sim-aggregator-secret",
                       "webhook_secret": "sim-aggregator-webhook-secret"}
CENTS = Decimal("0.01")
FINAL = ("SUCCESSFUL", "FAILED", "REFUNDED")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _money(value: Decimal) -> float:
    return float(value.quantize(CENTS, rounding=ROUND_HALF_UP))


@dataclass
class Topup:
    transaction_id: int
    custom_identifier: str
    operator: dict
    country: str
    number: str
    amount: float  # local amount delivered (or to deliver)
    requested_usd: Decimal
    discount_usd: Decimal
    status: str
    polls_left: int
    date: str
    fault: FaultMode = FaultMode.NONE


@dataclass
class BillPayment:
    id: int
    reference_id: str
    biller: dict
    account_number: str
    amount: Decimal  # local
    cost_usd: Decimal
    status: str
    polls_left: int
    submitted_at: str
    token: str = ""


class AggregatorSimulator(SimulatorServer):
    name = "aggregator"

    def __init__(self, *, credentials: dict[str, str] | None = None, token_ttl_seconds: int = 3600,
                 balance: float = 1_000_000.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.credentials = dict(credentials or DEFAULT_CREDENTIALS)
        self.token_ttl_seconds = token_ttl_seconds
        self.balance = balance  # USD, the account currency
        self.operators = build_operators()
        self.billers = build_billers()
        self.tokens: dict[str, tuple[float, str]] = {}
        self.token_requests = 0
        self.topups: dict[int, Topup] = {}
        self.by_identifier: dict[str, Topup] = {}
        self.payments: dict[int, BillPayment] = {}
        self.by_reference: dict[str, BillPayment] = {}
        self._ids = itertools.count(1000)
        self._state_lock = threading.RLock()

    # --- test and demo controls ------------------------------------------------------------
    def expire_tokens(self) -> None:
        with self._state_lock:
            self.tokens = {token: (0.0, audience) for token, (_, audience) in self.tokens.items()}

    def resolve_pending(self, custom_identifier: str, status: str = "SUCCESSFUL") -> None:
        with self._state_lock:
            self._finish(self.by_identifier[custom_identifier], status)

    def refund(self, custom_identifier: str) -> None:
        """A refund after success (the operator reversed the credit): REFUNDED, balance back."""
        with self._state_lock:
            topup = self.by_identifier[custom_identifier]
            if topup.status == "SUCCESSFUL":
                topup.status = "REFUNDED"
                self.balance += float(topup.requested_usd - topup.discount_usd)

    def build_callback(self, custom_identifier: str, *, timestamp: int | None = None,
                       bad_signature: bool | None = None) -> tuple[bytes, dict[str, str]]:
        """The signed status webhook the aggregator posts when a transaction becomes final."""
        topup = self.by_identifier[custom_identifier]
        body = json.dumps({"id": f"evt_{topup.transaction_id}_{topup.status.lower()}",
                           "type": "airtime_transaction.status", "data": self._txn_json(topup)}).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        if bad_signature is None:
            bad_signature = topup.fault == FaultMode.BAD_SIGNATURE
        secret = "not-the-secret" if bad_signature else self.credentials["webhook_secret"]
        return body, {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                      SIGNATURE_HEADER: webhook_signature(secret, body, stamp)}

    def remove_operator(self, operator_id: int) -> None:
        self.operators = [op for op in self.operators if op["operatorId"] != operator_id]

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _error(status: int, code: str, message: str, path: str) -> Response:
        return Response(status, {"timeStamp": datetime.now(UTC).isoformat(), "message": message, "path": path,
                                 "errorCode": code, "infoLink": None, "details": []})

    @staticmethod
    def _rate(country: str) -> Decimal:
        return FX_RATES[COUNTRIES[country].currency]

    def _operator_json(self, op: dict) -> dict:
        country = op["country"]
        currency = COUNTRIES[country].currency
        rate = self._rate(country)
        body = {"id": op["operatorId"], "operatorId": op["operatorId"], "name": op["name"], "bundle": op["bundle"],
                "data": op["data"], "pin": False, "supportsLocalAmounts": True,
                "supportsGeographicalRechargePlans": False, "denominationType": op["denominationType"],
                "senderCurrencyCode": ACCOUNT_CURRENCY, "senderCurrencySymbol": "$",
                "destinationCurrencyCode": currency, "destinationCurrencySymbol": currency,
                "commission": op["commission"], "internationalDiscount": op["commission"],
                "localDiscount": op["commission"], "mostPopularAmount": None, "mostPopularLocalAmount": None,
                "minAmount": None, "maxAmount": None, "localMinAmount": None, "localMaxAmount": None,
                "country": {"isoName": country, "name": COUNTRIES[country].name},
                "fx": {"rate": float(rate), "currencyCode": currency}, "logoUrls": [],
                "fixedAmounts": [], "fixedAmountsDescriptions": {}, "localFixedAmounts": [],
                "localFixedAmountsDescriptions": {}, "suggestedAmounts": [], "suggestedAmountsMap": {},
                "geographicalRechargePlans": [], "promotions": []}
        if op["denominationType"] == "RANGE":
            body.update({"localMinAmount": op["localMinAmount"], "localMaxAmount": op["localMaxAmount"],
                         "minAmount": _money(Decimal(str(op["localMinAmount"])) / rate),
                         "maxAmount": _money(Decimal(str(op["localMaxAmount"])) / rate)})
        else:
            local = op["localFixedAmounts"]
            body.update({"localFixedAmounts": local,
                         "localFixedAmountsDescriptions": op["localFixedAmountsDescriptions"],
                         "fixedAmounts": [_money(Decimal(str(x)) / rate) for x in local],
                         "fixedAmountsDescriptions": {
                             f"{_money(Decimal(str(x)) / rate):.2f}": op["localFixedAmountsDescriptions"].get(
                                 f"{float(x):.2f}", "") for x in local}})
        return body

    def _detect(self, phone: str, country: str) -> dict | None:
        network = detect_network(phone, country)
        return next((op for op in self.operators if op["country"] == country and op["network"] == network
                     and not op["data"]), None) if network else None

    def _txn_json(self, topup: Topup) -> dict:
        currency = COUNTRIES[topup.country].currency
        delivered = topup.amount if topup.status in ("SUCCESSFUL", "REFUNDED") else 0
        return {"transactionId": topup.transaction_id, "status": topup.status,
                "operatorTransactionId": f"OP{topup.transaction_id}" if topup.status == "SUCCESSFUL" else None,
                "customIdentifier": topup.custom_identifier, "recipientPhone": topup.number,
                "recipientEmail": None, "senderPhone": None, "countryCode": topup.country,
                "operatorId": topup.operator["operatorId"], "operatorName": topup.operator["name"],
                "discount": _money(topup.discount_usd), "discountCurrencyCode": ACCOUNT_CURRENCY,
                "requestedAmount": _money(topup.requested_usd), "requestedAmountCurrencyCode": ACCOUNT_CURRENCY,
                "deliveredAmount": delivered, "deliveredAmountCurrencyCode": currency,
                "transactionDate": topup.date, "pinDetail": None,
                "balanceInfo": {"oldBalance": round(self.balance + float(topup.requested_usd - topup.discount_usd), 2),
                                "newBalance": round(self.balance, 2), "currencyCode": ACCOUNT_CURRENCY,
                                "currencyName": "US Dollar", "updatedAt": topup.date}}

    def _finish(self, topup: Topup, status: str) -> None:
        if topup.status in FINAL:
            return
        topup.status = status
        if status == "SUCCESSFUL":
            exponent = currency_exponent(COUNTRIES[topup.country].currency)
            self.record_delivery(request_id=topup.custom_identifier, recipient=topup.number,
                                 amount_minor=int(Decimal(str(topup.amount)).scaleb(exponent)),
                                 product=str(topup.operator["operatorId"]))
        else:
            self.balance += float(topup.requested_usd - topup.discount_usd)

    def _authorised(self, request: Request, audience: str) -> Response | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._state_lock:
            known = self.tokens.get(token)
        if known is None or known[1] != audience:
            return self._error(401, "INVALID_TOKEN", "Full authentication is required to access this resource",
                               request.path)
        if known[0] < time.time():
            return self._error(401, "TOKEN_EXPIRED", "The provided token has expired", request.path)
        return None

    # --- routing ---------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/oauth/token":
            return self._token(request)
        parts = request.path.strip("/").split("/")
        utilities = parts[0] in ("billers", "pay", "transactions") or \
            request.headers.get("accept", "").startswith("application/com.reloadly.utilities")
        refused = self._authorised(request, UTILITIES_AUDIENCE if utilities else AUDIENCE)
        if refused is not None:
            return refused
        if utilities:
            return self._utilities(request, parts)
        if request.method == "GET" and request.path == "/countries":
            return Response(200, [self._country_json(c) for c in COUNTRIES])
        if request.method == "GET" and parts[:2] == ["operators", "countries"] and len(parts) == 3:
            return Response(200, [self._operator_json(op) for op in self.operators if op["country"] == parts[2]])
        if request.method == "GET" and parts[:3] == ["operators", "auto-detect", "phone"] and len(parts) == 6:
            op = self._detect(parts[3], parts[5]) if parts[5] in COUNTRIES else None
            if op is None:
                return self._error(404, "COULD_NOT_AUTO_DETECT_OPERATOR",
                                   "Could not auto detect operator for given phone number", request.path)
            return Response(200, self._operator_json(op))
        if request.method == "GET" and (parts == ["operators", "commissions"] or (
                len(parts) == 3 and parts[0] == "operators" and parts[2] == "commissions")):
            wanted = [o for o in self.operators if len(parts) == 2 or str(o["operatorId"]) == parts[1]]
            if not wanted:
                return self._error(404, "OPERATOR_NOT_FOUND", "Operator not found", request.path)
            items = [self._commission_json(o) for o in wanted]
            return Response(200, items[0] if len(parts) == 3 else self._paged(items))
        if request.method == "GET" and parts[0] == "promotions":
            return Response(200, self._paged([]))  # no running promotions in West Africa today
        if request.method == "GET" and len(parts) == 2 and parts[0] == "operators" and parts[1].isdigit():
            op = next((o for o in self.operators if o["operatorId"] == int(parts[1])), None)
            if op is None:
                return self._error(404, "OPERATOR_NOT_FOUND", "Operator not found", request.path)
            return Response(200, self._operator_json(op))
        if request.method == "GET" and request.path == "/accounts/balance":
            return Response(200, self._balance_json())
        if request.method == "POST" and request.path == "/topups":
            return self._topup(request)
        # The official Python SDK (reloadly-airtime 1.1.2) asks for the singular ".../transaction".
        if request.method == "GET" and request.path in ("/topups/reports/transaction", "/topups/reports/transactions") \
                and not request.query.get("customIdentifier"):
            with self._state_lock:
                items = [self._txn_json(t) for t in sorted(self.topups.values(), key=lambda t: -t.transaction_id)]
            return Response(200, self._paged(items))
        if request.method == "GET" and len(parts) == 4 and parts[:2] == ["topups", "reports"] \
                and parts[2] in ("transaction", "transactions"):
            with self._state_lock:
                topup = self.topups.get(int(parts[3])) if parts[3].isdigit() else None
                if topup is None:
                    return self._error(404, "TRANSACTION_NOT_FOUND", "Transaction not found", request.path)
                return Response(200, self._txn_json(topup))
        if request.method == "GET" and request.path == "/topups/reports/transactions":
            identifier = request.query.get("customIdentifier", "")
            with self._state_lock:
                topup = self.by_identifier.get(identifier)
                if topup is not None:
                    self._poll(topup)
                content = [self._txn_json(topup)] if topup else []
            return Response(200, {"content": content, "totalElements": len(content), "totalPages": 1,
                                  "number": 0, "size": 20, "first": True, "last": True,
                                  "numberOfElements": len(content), "empty": not content})
        if request.method == "GET" and len(parts) == 3 and parts[0] == "topups" and parts[2] == "status":
            with self._state_lock:
                topup = self.topups.get(int(parts[1])) if parts[1].isdigit() else None
                if topup is None:
                    return self._error(404, "TRANSACTION_NOT_FOUND", "Transaction not found", request.path)
                self._poll(topup)
                return Response(200, {"code": None, "message": None, "status": topup.status,
                                      "transaction": self._txn_json(topup)})
        return self._error(404, "NOT_FOUND", "Not found", request.path)

    @staticmethod
    def _country_json(code: str) -> dict:
        c = COUNTRIES[code]
        return {"isoName": code, "name": c.name, "currencyCode": c.currency, "currencyName": c.currency,
                "currencySymbol": c.currency, "flag": f"https://s3.amazonaws.com/rld-flags/{code.lower()}.svg",
                "callingCodes": [f"+{c.calling_code}"]}

    @staticmethod
    def _paged(items: list) -> dict:
        return {"content": items, "totalElements": len(items), "totalPages": 1, "number": 0, "size": max(len(items), 1),
                "first": True, "last": True, "numberOfElements": len(items), "empty": not items}

    def _commission_json(self, op: dict) -> dict:
        return {"operator": {"operatorId": op["operatorId"], "name": op["name"],
                             "countryCode": op["country"], "data": op["data"], "bundle": op["bundle"]},
                "percentage": op["commission"], "internationalPercentage": op["commission"],
                "localPercentage": op["commission"], "updatedAt": _now()}

    def _balance_json(self) -> dict:
        return {"balance": round(self.balance, 2), "currencyCode": ACCOUNT_CURRENCY, "currencyName": "US Dollar",
                "updatedAt": _now()}

    def _poll(self, topup: Topup) -> None:
        if topup.status == "PENDING":
            topup.polls_left -= 1
            if topup.polls_left < 0:
                self._finish(topup, "SUCCESSFUL")

    def _token(self, request: Request) -> Response:
        payload = request.json() or {}
        self.token_requests += 1
        if payload.get("grant_type") != "client_credentials" or \
                payload.get("client_id") != self.credentials["client_id"] or \
                payload.get("client_secret") != self.credentials["client_secret"]:
            return Response(401, {"timeStamp": datetime.now(UTC).isoformat(), "message": "Access Denied",
                                  "path": "/oauth/token", "errorCode": "INVALID_CREDENTIALS"})
        audience = payload.get("audience") or AUDIENCE
        if audience not in (AUDIENCE, UTILITIES_AUDIENCE):
            return Response(400, {"timeStamp": datetime.now(UTC).isoformat(), "message": "Invalid audience",
                                  "path": "/oauth/token", "errorCode": "INVALID_AUDIENCE"})
        token = secrets.token_urlsafe(24)
        with self._state_lock:
            self.tokens[token] = (time.time() + self.token_ttl_seconds, audience)
        return Response(200, {"access_token": token, "scope": "developer", "expires_in": self.token_ttl_seconds,
                              "token_type": "Bearer"})

    def _topup(self, request: Request) -> Response:
        payload = request.json()
        if not isinstance(payload, dict):
            return self._error(400, "INVALID_REQUEST", "Malformed request body", request.path)
        identifier = str(payload.get("customIdentifier") or "")
        phone = payload.get("recipientPhone") or {}
        country, number = str(phone.get("countryCode", "")), str(phone.get("number", ""))
        op = next((o for o in self.operators if o["operatorId"] == _int(payload.get("operatorId"))), None)
        if op is None:
            return self._error(404, "OPERATOR_NOT_FOUND", "Operator not found", request.path)
        if op["country"] != country or not number or detect_network(number, country) != op["network"]:
            return self._error(400, "INVALID_PHONE_NUMBER", "Invalid phone number for the operator", request.path)
        fault = self.take_fault(request, number)
        if fault == FaultMode.SERVER_ERROR:
            return self._error(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable", request.path)
        rate = self._rate(country)
        try:
            amount = Decimal(str(payload.get("amount")))
        except ArithmeticError:
            return self._error(400, "INVALID_AMOUNT_FOR_OPERATOR", "Invalid amount", request.path)
        if not amount.is_finite() or amount <= 0:
            return self._error(400, "INVALID_AMOUNT_FOR_OPERATOR", "Invalid amount", request.path)
        local = amount if payload.get("useLocalAmount") else (amount * rate).quantize(Decimal(1))
        if op["denominationType"] == "RANGE":
            valid = Decimal(str(op["localMinAmount"])) <= local <= Decimal(str(op["localMaxAmount"]))
        else:
            valid = local in [Decimal(str(x)) for x in op["localFixedAmounts"]]
        if not valid:
            return self._error(400, "INVALID_AMOUNT_FOR_OPERATOR", "The amount is not valid for this operator",
                               request.path)
        requested = (local / rate).quantize(CENTS, rounding=ROUND_HALF_UP)
        discount = (requested * Decimal(str(op["commission"])) / 100).quantize(CENTS, rounding=ROUND_HALF_UP)
        with self._state_lock:
            if identifier and identifier in self.by_identifier:
                return self._error(400, "DUPLICATED_CUSTOM_IDENTIFIER",
                                   "A transaction with this customIdentifier already exists", request.path)
            if self.balance < float(requested - discount):
                return self._error(400, "INSUFFICIENT_BALANCE", "Insufficient balance to process the transaction",
                                   request.path)
            self.balance -= float(requested - discount)
            topup = Topup(next(self._ids), identifier, op, country, national_number(number, country),
                          float(local) if local != local.to_integral_value() else int(local), requested, discount,
                          "PROCESSING", self.pending_requeries, _now(), fault)
            topup.number = f"{COUNTRIES[country].calling_code}{topup.number}"
            self.topups[topup.transaction_id] = topup
            if identifier:
                self.by_identifier[identifier] = topup
            if fault == FaultMode.FAILURE:
                self._finish(topup, "FAILED")
            elif fault == FaultMode.PENDING_THEN_SUCCESS:
                topup.status = "PENDING"
            else:
                self._finish(topup, "SUCCESSFUL")
            body = self._txn_json(topup)
        if fault == FaultMode.DUPLICATE_REPLY:
            return self._error(400, "DUPLICATED_CUSTOM_IDENTIFIER",
                               "A transaction with this customIdentifier already exists", request.path)
        return self.apply_transport_fault(fault, Response(200, body))

    # --- Utility Payments ----------------------------------------------------------------------
    def _utilities(self, request: Request, parts: list[str]) -> Response:
        if request.method == "GET" and parts == ["billers"]:
            return self._list_billers(request)
        if request.method == "GET" and request.path == "/accounts/balance":
            return Response(200, self._balance_json())
        if request.method == "POST" and parts == ["pay"]:
            return self._pay(request)
        if request.method == "GET" and parts == ["transactions"]:
            reference = request.query.get("referenceId", "")
            with self._state_lock:
                payment = self.by_reference.get(reference)
                found = [self._payment_json(self._poll_payment(payment))] if payment else []
            return Response(200, {"content": found, "totalElements": len(found), "totalPages": 1, "number": 0,
                                  "size": 20, "first": True, "last": True, "numberOfElements": len(found),
                                  "empty": not found})
        if request.method == "GET" and len(parts) == 2 and parts[0] == "transactions" and parts[1].isdigit():
            with self._state_lock:
                payment = self.payments.get(int(parts[1]))
                if payment is None:
                    return self._error(404, "TRANSACTION_NOT_FOUND", "Transaction not found", request.path)
                return Response(200, self._payment_json(self._poll_payment(payment)))
        return self._error(404, "NOT_FOUND", "Not found", request.path)

    def _list_billers(self, request: Request) -> Response:
        query = request.query
        found = [b for b in self.billers
                 if (not query.get("countryISOCode") or b["countryIsoCode"] == query["countryISOCode"].upper())
                 and (not query.get("type") or b["type"] == query["type"])
                 and (not query.get("serviceType") or b["serviceType"] == query["serviceType"])
                 and (not query.get("id") or str(b["id"]) == query["id"])]
        page, size = max(_int(query.get("page")) or 1, 1), min(max(_int(query.get("size")) or 200, 1), 200)
        chunk = found[(page - 1) * size: page * size]
        pages = max((len(found) + size - 1) // size, 1)
        return Response(200, {"content": [{k: v for k, v in b.items() if not k.startswith("_")} for b in chunk],
                              "totalElements": len(found), "totalPages": pages, "number": page - 1, "size": size,
                              "first": page == 1, "last": page >= pages, "numberOfElements": len(chunk),
                              "empty": not chunk})

    def _pay(self, request: Request) -> Response:
        payload = request.json()
        if not isinstance(payload, dict):
            return self._error(400, "INVALID_REQUEST", "Malformed request body", request.path)
        biller = next((b for b in self.billers if b["id"] == _int(payload.get("billerId"))), None)
        if biller is None:
            return self._error(404, "BILLER_NOT_FOUND", "Biller not found", request.path)
        account = str(payload.get("subscriberAccountNumber") or "")
        if not account.isalnum() or len(account) < 6:
            return self._error(400, "INVALID_SUBSCRIBER_ACCOUNT_NUMBER", "Invalid subscriber account number",
                               request.path)
        fault = self.take_fault(request, account)
        if fault == FaultMode.SERVER_ERROR:
            return self._error(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable", request.path)
        rate = Decimal(str(biller["fx"]["rate"]))
        try:
            amount = Decimal(str(payload.get("amount")))
        except ArithmeticError:
            amount = Decimal(0)
        local = amount if payload.get("useLocalAmount") else (amount * rate).quantize(Decimal(1))
        if not (Decimal(str(biller["minLocalTransactionAmount"])) <= local
                <= Decimal(str(biller["maxLocalTransactionAmount"]))):
            return self._error(400, "INVALID_AMOUNT", "The amount is outside the biller's range", request.path)
        reference = str(payload.get("referenceId") or "")
        cost = (local / rate * (1 - Decimal(str(biller["localDiscountPercentage"])) / 100)).quantize(
            CENTS, rounding=ROUND_HALF_UP)
        with self._state_lock:
            if reference and reference in self.by_reference:
                return self._error(400, "DUPLICATED_REFERENCE_ID", "A payment with this referenceId already exists",
                                   request.path)
            if self.balance < float(cost):
                return self._error(400, "INSUFFICIENT_BALANCE", "Insufficient balance", request.path)
            self.balance -= float(cost)
            payment = BillPayment(next(self._ids), reference, biller, account, local, cost, "PROCESSING",
                                  self.pending_requeries if fault == FaultMode.PENDING_THEN_SUCCESS else 0, _now())
            self.payments[payment.id] = payment
            if reference:
                self.by_reference[reference] = payment
            if fault == FaultMode.FAILURE:
                self._finish_payment(payment, "FAILED")
            body = {"id": payment.id, "status": "PROCESSING", "referenceId": reference,
                    "code": "PAYMENT_PROCESSING_IN_PROGRESS",
                    "message": "The payment is being processed, status will be updated when biller processes "
                               "the payment.",
                    "submittedAt": payment.submitted_at,
                    "finalStatusAvailabilityAt": (datetime.now(UTC) + timedelta(days=1)).strftime(
                        "%Y-%m-%d %H:%M:%S")}
        if fault == FaultMode.DUPLICATE_REPLY:
            return self._error(400, "DUPLICATED_REFERENCE_ID", "A payment with this referenceId already exists",
                               request.path)
        return self.apply_transport_fault(fault, Response(200, body))

    def _poll_payment(self, payment: BillPayment) -> BillPayment:
        if payment.status == "PROCESSING":
            payment.polls_left -= 1
            if payment.polls_left < 0:
                self._finish_payment(payment, "SUCCESSFUL")
        return payment

    def _finish_payment(self, payment: BillPayment, status: str) -> None:
        if payment.status in FINAL:
            return
        payment.status = status
        if status == "SUCCESSFUL":
            if payment.biller["_prepaid_token"]:
                digits = "".join(str(secrets.randbelow(10)) for _ in range(20))
                payment.token = "-".join(digits[i:i + 4] for i in range(0, 20, 4))
            exponent = currency_exponent(payment.biller["localTransactionCurrencyCode"])
            self.record_delivery(request_id=payment.reference_id, recipient=payment.account_number,
                                 amount_minor=int(payment.amount.scaleb(exponent)), product=str(payment.biller["id"]))
        else:
            self.balance += float(payment.cost_usd)

    def _payment_json(self, payment: BillPayment) -> dict:
        currency = payment.biller["localTransactionCurrencyCode"]
        codes = {"SUCCESSFUL": ("PAYMENT_PROCESSED_SUCCESSFULLY", "The payment was processed successfully"),
                 "FAILED": ("PAYMENT_FAILED", "The biller could not process the payment"),
                 "PROCESSING": ("PAYMENT_PROCESSING_IN_PROGRESS", "The payment is being processed")}
        code, message = codes.get(payment.status, ("PAYMENT_REFUNDED", "The payment was refunded"))
        details: dict[str, Any] = {
            "type": payment.biller["type"], "billerId": payment.biller["id"], "billerName": payment.biller["name"],
            "billerCountryCode": payment.biller["countryIsoCode"], "serviceType": payment.biller["serviceType"],
            "completedAt": _now() if payment.status == "SUCCESSFUL" else None,
            "subscriberDetails": {"accountNumber": payment.account_number}}
        if payment.token:
            units = (payment.amount / Decimal(100)).quantize(Decimal("0.1"))
            details["pinDetails"] = {"token": payment.token, "info1": f"{units} kWh", "info2": "", "info3": ""}
        return {"code": code, "message": message, "transaction": {
            "id": payment.id, "status": payment.status, "referenceId": payment.reference_id,
            "amount": _money(payment.amount) if currency not in ("XOF", "GNF") else int(payment.amount),
            "amountCurrencyCode": currency,
            "deliveryAmount": _money(payment.amount) if currency not in ("XOF", "GNF") else int(payment.amount),
            "deliveryAmountCurrencyCode": currency, "fee": 0, "feeCurrencyCode": ACCOUNT_CURRENCY,
            "discount": 0, "discountCurrencyCode": ACCOUNT_CURRENCY, "submittedAt": payment.submitted_at,
            "balanceInfo": {"oldBalance": round(self.balance + float(payment.cost_usd), 2),
                            "newBalance": round(self.balance, 2), "cost": _money(payment.cost_usd),
                            "currencyCode": ACCOUNT_CURRENCY, "currencyName": "US Dollar", "updatedAt": _now()},
            "billDetails": details}}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

"""A Reloadly-style top-up aggregator serving Ghana, Senegal and Côte d'Ivoire.

Wire protocol (same shapes as Reloadly's Airtime API):

* ``POST /oauth/token`` ``{client_id, client_secret, grant_type: "client_credentials", audience}``
  -> ``{access_token, scope, expires_in, token_type: "Bearer"}``.
* ``GET /operators/countries/{iso}`` -> operators (``denominationType`` RANGE or
  FIXED, ``minAmount``/``maxAmount`` or ``localFixedAmounts`` with descriptions,
  ``data``/``bundle`` flags, ``commission`` percent).
* ``GET /operators/auto-detect/phone/{phone}/countries/{iso}`` -> the operator.
* ``POST /topups`` ``{operatorId, amount, useLocalAmount, customIdentifier,
  recipientPhone: {countryCode, number}}`` -> a transaction with ``status``
  SUCCESSFUL / PENDING / FAILED / REFUNDED.
* ``GET /topups/reports/transactions?customIdentifier=...`` and
  ``GET /topups/{transactionId}/status`` for status lookups.

Errors: ``{timeStamp, message, path, errorCode, infoLink, details}`` with 4xx.
``customIdentifier`` is unique: reuse answers 400 ``DUPLICATED_CUSTOM_IDENTIFIER``.
Tokens expire (``token_ttl_seconds``): an expired token answers 401 ``TOKEN_EXPIRED``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from provider_plugins.interfaces.money import currency_exponent
from provider_plugins.interfaces.simulator import FaultMode, Request, Response, SimulatorServer

from .protocol import CURRENCIES, DIAL_CODES, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature

DEFAULT_CREDENTIALS = {"client_id": "sim-aggregator-client", "client_secret": "sim-aggregator-secret",
                       "webhook_secret": "sim-aggregator-webhook-secret"}

OPERATORS: list[dict[str, Any]] = [
    {"operatorId": 150, "name": "MTN Ghana", "country": "GH", "prefixes": ["24", "54", "55", "59"],
     "denominationType": "RANGE", "minAmount": 1, "maxAmount": 500, "data": False, "bundle": False,
     "commission": 4.0},
    {"operatorId": 151, "name": "MTN Ghana Data", "country": "GH", "prefixes": [], "denominationType": "FIXED",
     "localFixedAmounts": [5, 10, 20], "data": True, "bundle": True, "commission": 5.0,
     "localFixedAmountsDescriptions": {"5.00": "1GB 7 days", "10.00": "2.5GB 30 days", "20.00": "6GB 30 days"}},
    {"operatorId": 152, "name": "Telecel Ghana", "country": "GH", "prefixes": ["20", "50"],
     "denominationType": "RANGE", "minAmount": 1, "maxAmount": 300, "data": False, "bundle": False,
     "commission": 3.5},
    {"operatorId": 300, "name": "Orange Senegal", "country": "SN", "prefixes": ["77", "78"],
     "denominationType": "RANGE", "minAmount": 100, "maxAmount": 50000, "data": False, "bundle": False,
     "commission": 3.0},
    {"operatorId": 301, "name": "Free Senegal", "country": "SN", "prefixes": ["76"], "denominationType": "RANGE",
     "minAmount": 100, "maxAmount": 50000, "data": False, "bundle": False, "commission": 3.0},
    {"operatorId": 302, "name": "Orange Senegal Internet", "country": "SN", "prefixes": [],
     "denominationType": "FIXED", "localFixedAmounts": [500, 1000, 2500], "data": True, "bundle": True,
     "commission": 4.0, "localFixedAmountsDescriptions": {"500.00": "300MB 1 jour", "1000.00": "1GB 7 jours",
                                                           "2500.00": "5GB 30 jours"}},
    {"operatorId": 400, "name": "Orange Cote d'Ivoire", "country": "CI", "prefixes": ["07"],
     "denominationType": "RANGE", "minAmount": 100, "maxAmount": 50000, "data": False, "bundle": False,
     "commission": 3.0},
    {"operatorId": 401, "name": "MTN Cote d'Ivoire", "country": "CI", "prefixes": ["05"],
     "denominationType": "RANGE", "minAmount": 100, "maxAmount": 50000, "data": False, "bundle": False,
     "commission": 3.0},
]


@dataclass
class Topup:
    transaction_id: int
    custom_identifier: str
    operator: dict
    country: str
    number: str
    amount: float
    status: str
    polls_left: int
    date: str
    fault: FaultMode = FaultMode.NONE


CURRENCY_NAMES = {"USD": "US Dollar", "NGN": "Nigerian Naira", "GHS": "Ghanaian Cedi", "XOF": "CFA Franc BCEAO"}


class AggregatorSimulator(SimulatorServer):
    name = "aggregator"

    def __init__(self, *, credentials: dict[str, str] | None = None, token_ttl_seconds: int = 3600,
                 balance: float = 1_000_000.0, balance_currency: str = "USD", **kwargs) -> None:
        super().__init__(**kwargs)
        self.balance_currency = balance_currency
        self.credentials = dict(credentials or DEFAULT_CREDENTIALS)
        self.token_ttl_seconds = token_ttl_seconds
        self.balance = balance
        self.operators = [dict(op) for op in OPERATORS]
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.topups: dict[int, Topup] = {}
        self.by_identifier: dict[str, Topup] = {}
        self._ids = itertools.count(1000)
        self._state_lock = threading.RLock()

    def expire_tokens(self) -> None:
        with self._state_lock:
            self.tokens = {token: 0.0 for token in self.tokens}

    def resolve_pending(self, custom_identifier: str, status: str = "SUCCESSFUL") -> None:
        with self._state_lock:
            self._finish(self.by_identifier[custom_identifier], status)

    def build_callback(self, custom_identifier: str, *, timestamp: int | None = None,
                       bad_signature: bool | None = None) -> tuple[bytes, dict[str, str]]:
        """The signed status webhook the aggregator posts when a transaction becomes final."""
        topup = self.by_identifier[custom_identifier]
        body = json.dumps({"id": f"evt_{topup.transaction_id}", "type": "airtime_transaction.status",
                           "data": self._txn_json(topup)}).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        if bad_signature is None:
            bad_signature = topup.fault == FaultMode.BAD_SIGNATURE
        secret = "not-the-secret" if bad_signature else self.credentials["webhook_secret"]
        return body, {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                      SIGNATURE_HEADER: webhook_signature(secret, body, stamp)}

    def remove_operator(self, operator_id: int) -> None:
        self.operators = [op for op in self.operators if op["operatorId"] != operator_id]

    # --- helpers ---------------------------------------------------------------------
    @staticmethod
    def _error(status: int, code: str, message: str, path: str) -> Response:
        return Response(status, {"timeStamp": datetime.now(UTC).isoformat(), "message": message, "path": path,
                                 "errorCode": code, "infoLink": None, "details": []})

    def _operator_json(self, op: dict) -> dict:
        currency = CURRENCIES[op["country"]]
        body = {k: v for k, v in op.items() if k not in ("prefixes", "country")}
        body.update({"id": op["operatorId"], "country": {"isoName": op["country"], "name": op["country"]},
                     "destinationCurrencyCode": currency, "senderCurrencyCode": currency,
                     "fx": {"rate": 1, "currencyCode": currency}, "supportsLocalAmounts": True})
        return body

    def _detect(self, phone: str, country: str) -> dict | None:
        digits = "".join(ch for ch in phone if ch.isdigit())
        dial = DIAL_CODES.get(country, "")
        national = digits[len(dial):] if dial and digits.startswith(dial) else digits.lstrip("0")
        for op in self.operators:
            if op["country"] == country and any(national.startswith(pfx.lstrip("0")) if country != "CI"
                                                else national.startswith(pfx) for pfx in op["prefixes"]):
                return op
        return None

    def _txn_json(self, topup: Topup) -> dict:
        currency = CURRENCIES[topup.country]
        return {"transactionId": topup.transaction_id, "status": topup.status,
                "operatorTransactionId": f"OP{topup.transaction_id}" if topup.status == "SUCCESSFUL" else None,
                "customIdentifier": topup.custom_identifier, "recipientPhone": topup.number,
                "countryCode": topup.country, "operatorId": topup.operator["operatorId"],
                "operatorName": topup.operator["name"], "discount": 0, "discountCurrencyCode": currency,
                "requestedAmount": topup.amount, "requestedAmountCurrencyCode": currency,
                "deliveredAmount": topup.amount if topup.status == "SUCCESSFUL" else 0,
                "deliveredAmountCurrencyCode": currency, "transactionDate": topup.date,
                "balanceInfo": {"currencyCode": currency, "newBalance": round(self.balance, 2)}}

    def _finish(self, topup: Topup, status: str) -> None:
        if topup.status in ("SUCCESSFUL", "FAILED", "REFUNDED"):
            return
        topup.status = status
        if status == "SUCCESSFUL":
            exponent = currency_exponent(CURRENCIES[topup.country])
            self.record_delivery(request_id=topup.custom_identifier, recipient=topup.number,
                                 amount_minor=round(topup.amount * 10 ** exponent),
                                 product=str(topup.operator["operatorId"]))
        else:
            self.balance += topup.amount

    # --- routing ---------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/oauth/token":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        with self._state_lock:
            expires = self.tokens.get(token)
        if expires is None:
            return self._error(401, "INVALID_TOKEN", "Full authentication is required", request.path)
        if expires < time.time():
            return self._error(401, "TOKEN_EXPIRED", "The provided token has expired", request.path)
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and parts[:2] == ["operators", "countries"] and len(parts) == 3:
            return Response(200, [self._operator_json(op) for op in self.operators if op["country"] == parts[2]])
        if request.method == "GET" and parts[:3] == ["operators", "auto-detect", "phone"] and len(parts) == 6:
            op = self._detect(parts[3], parts[5])
            if op is None:
                return self._error(404, "COULD_NOT_AUTO_DETECT_OPERATOR",
                                   "Could not auto detect operator for given phone number", request.path)
            return Response(200, self._operator_json(op))
        if request.method == "GET" and request.path == "/accounts/balance":
            with self._state_lock:  # Reloadly: GET /accounts/balance
                return Response(200, {"balance": round(self.balance, 2), "currencyCode": self.balance_currency,
                                      "currencyName": CURRENCY_NAMES.get(self.balance_currency, self.balance_currency),
                                      "updatedAt": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())})
        if request.method == "POST" and request.path == "/topups":
            return self._topup(request)
        if request.method == "GET" and request.path == "/topups/reports/transactions":
            identifier = request.query.get("customIdentifier", "")
            with self._state_lock:
                topup = self.by_identifier.get(identifier)
                if topup is not None:
                    self._poll(topup)
                content = [self._txn_json(topup)] if topup else []
            return Response(200, {"content": content, "totalElements": len(content), "number": 0, "size": 20})
        if request.method == "GET" and len(parts) == 3 and parts[0] == "topups" and parts[2] == "status":
            with self._state_lock:
                topup = self.topups.get(int(parts[1])) if parts[1].isdigit() else None
                if topup is None:
                    return self._error(404, "TRANSACTION_NOT_FOUND", "Transaction not found", request.path)
                self._poll(topup)
                return Response(200, {"code": None, "message": None, "status": topup.status,
                                      "transaction": self._txn_json(topup)})
        return self._error(404, "NOT_FOUND", "Not found", request.path)

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
        token = secrets.token_urlsafe(24)
        with self._state_lock:
            self.tokens[token] = time.time() + self.token_ttl_seconds
        return Response(200, {"access_token": token, "scope": "developer", "expires_in": self.token_ttl_seconds,
                              "token_type": "Bearer"})

    def _topup(self, request: Request) -> Response:
        payload = request.json() or {}
        identifier = str(payload.get("customIdentifier") or "")
        phone = payload.get("recipientPhone") or {}
        country, number = str(phone.get("countryCode", "")), str(phone.get("number", ""))
        op = next((o for o in self.operators if o["operatorId"] == payload.get("operatorId")), None)
        if op is None:
            return self._error(404, "OPERATOR_NOT_FOUND", "Operator not found", request.path)
        if op["country"] != country or not number or (op["prefixes"] and self._detect(number, country) is not op):
            return self._error(400, "INVALID_PHONE_NUMBER", "Invalid phone number for the operator", request.path)
        fault = self.take_fault(request, number)
        if fault == FaultMode.SERVER_ERROR:
            return self._error(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable", request.path)
        try:
            amount = float(payload.get("amount"))
        except (TypeError, ValueError):
            return self._error(400, "INVALID_AMOUNT_FOR_OPERATOR", "Invalid amount", request.path)
        if op["denominationType"] == "RANGE":
            valid = op["minAmount"] <= amount <= op["maxAmount"]
        else:
            valid = amount in [float(x) for x in op["localFixedAmounts"]]
        if not valid:
            return self._error(400, "INVALID_AMOUNT_FOR_OPERATOR", "The amount is not valid for this operator",
                               request.path)
        with self._state_lock:
            if identifier and identifier in self.by_identifier:
                return self._error(400, "DUPLICATED_CUSTOM_IDENTIFIER",
                                   "A transaction with this customIdentifier already exists", request.path)
            cost = amount * (1 - op["commission"] / 100)
            if self.balance < cost:
                return self._error(400, "INSUFFICIENT_BALANCE", "Insufficient balance to process the transaction",
                                   request.path)
            self.balance -= amount
            topup = Topup(next(self._ids), identifier, op, country, number, amount, "PROCESSING",
                          self.pending_requeries, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), fault)
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

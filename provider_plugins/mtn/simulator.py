"""MTN direct simulator: products, transactions keyed by our ``tx_id``, signed webhooks."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass

import requests

from provider_plugins.interfaces.money import from_minor, to_minor
from provider_plugins.interfaces.simulator import FaultMode, Request, Response, SimulatorServer

from .protocol import CURRENCY, SIGNATURE_HEADER, sign

DEFAULT_CREDENTIALS = {"api_key": "sim-mtn-api-key", "webhook_secret": "sim-mtn-webhook-secret"}

PRODUCTS = [
    {"code": "MTN-AIRTIME", "type": "airtime", "name": "MTN Airtime", "min_amount": "50.00",
     "max_amount": "50000.00", "currency": CURRENCY, "discount_percent": "3.0"},
    {"code": "MTN-DATA-1GB-1D", "type": "data", "name": "MTN 1GB Daily", "price": "350.00", "data_mb": 1024,
     "validity_days": 1, "currency": CURRENCY, "discount_percent": "4.0"},
    {"code": "MTN-DATA-2GB-30D", "type": "data", "name": "MTN 2GB Monthly", "price": "1500.00", "data_mb": 2048,
     "validity_days": 30, "currency": CURRENCY, "discount_percent": "4.0"},
    {"code": "MTN-DATA-10GB-30D", "type": "data", "name": "MTN 10GB Monthly", "price": "4500.00",
     "data_mb": 10240, "validity_days": 30, "currency": CURRENCY, "discount_percent": "4.0"},
]


@dataclass
class Txn:
    tx_id: str
    reference: str
    msisdn: str
    product_code: str
    amount_minor: int
    status: str
    reason: str = ""
    polls_left: int = 0
    fault: FaultMode = FaultMode.NONE


class MTNSimulator(SimulatorServer):
    name = "mtn"

    def __init__(self, *, credentials: dict[str, str] | None = None, float_minor: int = 10_000_000_00,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.credentials = dict(credentials or DEFAULT_CREDENTIALS)
        self.float_minor = float_minor
        self.products = [dict(product) for product in PRODUCTS]
        self.transactions: dict[str, Txn] = {}
        self._refs = itertools.count(500000)
        self._state_lock = threading.RLock()

    def resolve_pending(self, tx_id: str, status: str = "SUCCESSFUL") -> None:
        with self._state_lock:
            self._finish(self.transactions[tx_id], status)

    def build_callback(self, tx_id: str, *, bad_signature: bool | None = None) -> tuple[bytes, dict[str, str]]:
        txn = self.transactions[tx_id]
        body = json.dumps({"tx_id": txn.tx_id, "status": txn.status, "recipient": txn.msisdn}).encode()
        if bad_signature is None:
            bad_signature = txn.fault == FaultMode.BAD_SIGNATURE
        secret = "not-the-secret" if bad_signature else self.credentials["webhook_secret"]
        return body, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}

    def send_callback(self, url: str, tx_id: str) -> requests.Response:
        body, headers = self.build_callback(tx_id)
        return requests.post(url, data=body, headers=headers, timeout=5)

    def _txn_json(self, txn: Txn) -> dict:
        return {"tx_id": txn.tx_id, "reference": txn.reference, "status": txn.status, "reason": txn.reason,
                "recipient": txn.msisdn, "product_code": txn.product_code,
                "amount": from_minor(txn.amount_minor, CURRENCY), "currency": CURRENCY}

    def _finish(self, txn: Txn, status: str, reason: str = "") -> None:
        if txn.status in ("SUCCESSFUL", "FAILED"):
            return
        txn.status, txn.reason = status, reason
        if status == "SUCCESSFUL":
            self.record_delivery(request_id=txn.tx_id, recipient=txn.msisdn, amount_minor=txn.amount_minor,
                                 product=txn.product_code)
        else:
            self.float_minor += txn.amount_minor

    def route(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != self.credentials["api_key"]:
            return Response(401, {"error": "UNAUTHORIZED", "message": "invalid API key"})
        if request.method == "GET" and request.path == "/v1/products":
            return Response(200, {"products": self.products})
        if request.method == "POST" and request.path == "/v1/transactions":
            return self._create(request)
        if request.method == "GET" and request.path.startswith("/v1/transactions/"):
            tx_id = request.path.rsplit("/", 1)[-1]
            with self._state_lock:
                txn = self.transactions.get(tx_id)
                if txn is None:
                    return Response(404, {"error": "NOT_FOUND", "message": "unknown tx_id"})
                if txn.status == "PENDING":
                    txn.polls_left -= 1
                    if txn.polls_left < 0:
                        self._finish(txn, "SUCCESSFUL")
                return Response(200, self._txn_json(txn))
        return Response(404, {"error": "NOT_FOUND"})

    def _create(self, request: Request) -> Response:
        payload = request.json() or {}
        tx_id, msisdn = str(payload.get("tx_id") or ""), str(payload.get("msisdn") or "")
        product = next((prod for prod in self.products if prod["code"] == payload.get("product_code")), None)
        if product is None:
            return Response(422, {"error": "UNKNOWN_PRODUCT", "message": "unknown product_code"})
        digits = "".join(ch for ch in msisdn if ch.isdigit())
        if not tx_id or not (digits.startswith("234") and len(digits) == 13):
            return Response(422, {"error": "INVALID_MSISDN", "message": "msisdn must be 234XXXXXXXXXX"})
        fault = self.take_fault(request, msisdn)
        if fault == FaultMode.SERVER_ERROR:
            return Response(502, "<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})
        try:
            amount_minor = to_minor(payload.get("amount"), CURRENCY)
        except ValueError:
            return Response(422, {"error": "INVALID_AMOUNT", "message": "amount is not a number"})
        if product["type"] == "airtime":
            valid = to_minor(product["min_amount"], CURRENCY) <= amount_minor <= to_minor(product["max_amount"],
                                                                                          CURRENCY)
        else:
            valid = amount_minor == to_minor(product["price"], CURRENCY)
        if not valid:
            return Response(422, {"error": "INVALID_AMOUNT", "message": "amount not allowed for this product"})
        with self._state_lock:
            existing = self.transactions.get(tx_id)
            if existing is not None:
                return Response(409, {"error": "DUPLICATE_TX_ID", "transaction": self._txn_json(existing)})
            if self.float_minor < amount_minor:
                return Response(402, {"error": "INSUFFICIENT_FLOAT", "message": "merchant float too low"})
            self.float_minor -= amount_minor
            txn = Txn(tx_id, f"MTN{next(self._refs)}", digits, product["code"], amount_minor, "PENDING",
                      polls_left=self.pending_requeries, fault=fault)
            self.transactions[tx_id] = txn
            if fault == FaultMode.FAILURE:
                self._finish(txn, "FAILED", "SUBSCRIBER_BARRED")
            elif fault != FaultMode.PENDING_THEN_SUCCESS:
                self._finish(txn, "SUCCESSFUL")
            body = self._txn_json(txn)
        if fault == FaultMode.DUPLICATE_REPLY:
            return Response(409, {"error": "DUPLICATE_TX_ID", "transaction": body})
        return self.apply_transport_fault(fault, Response(201, body))

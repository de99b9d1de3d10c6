"""A VTPass look-alike: same paths, headers, codes and sandbox numbers.

Endpoints: ``GET /api/service-categories``, ``GET /api/services``,
``GET /api/service-variations``, ``GET /api/balance``, ``POST /api/merchant-verify``,
``POST /api/pay``, ``POST /api/requery``, shaped as the public documentation shows them:
https://www.vtpass.com/documentation/available-services/ (categories),
https://www.vtpass.com/documentation/service-ids/ (services: ``convinience_fee``,
``product_type``, ``image``), https://www.vtpass.com/documentation/mtn-data/ (variations),
https://www.vtpass.com/documentation/mtn-airtime-vtu-api/ (pay, requery, sandbox numbers).
Idempotent on ``request_id`` (a reuse answers ``014``), refuses the same
service + customer + amount within ``duplicate_window_seconds`` (``019``),
keeps a wallet balance (``018``), and validates the request-id format.

Magic numbers: the VTPass sandbox ones (``08011111111`` success,
``201000000000`` pending-then-success, ``500000000000`` unexpected reply,
``400000000000`` no response, ``300000000000`` timeout; meters
``1111111111111``/``1010101010101``; smartcard ``1212121212``) plus the
generic suffixes of :mod:`provider_plugins.simkit.simulator`. With
``strict_sandbox=True`` any other phone number fails, as on the real sandbox.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from provider_plugins.interfaces.money import from_minor, to_minor
from provider_plugins.simkit.simulator import FaultMode, Request, Response, SimulatorServer

from . import protocol as p

DEFAULT_CREDENTIALS = {"api_key": "sim-vtpass-api-key", "secret_key": "SK_sim_secret", "public_key": "PK_sim_public",
                       "username": "sandbox@nexustop.test", "password": "sim-password"}

SERVICES: dict[str, list[dict[str, Any]]] = {
    "airtime": [
        {"serviceID": "mtn", "name": "MTN Airtime VTU", "minimium_amount": "50", "maximum_amount": "50000"},
        {"serviceID": "glo", "name": "GLO Airtime VTU", "minimium_amount": "50", "maximum_amount": "50000"},
        {"serviceID": "airtel", "name": "Airtel Airtime VTU", "minimium_amount": "50", "maximum_amount": "50000"},
        {"serviceID": "etisalat", "name": "9mobile Airtime VTU", "minimium_amount": "50",
         "maximum_amount": "50000"},
    ],
    "data": [
        {"serviceID": "mtn-data", "name": "MTN Data", "minimium_amount": "50", "maximum_amount": "100000"},
        {"serviceID": "glo-data", "name": "GLO Data", "minimium_amount": "50", "maximum_amount": "100000"},
        {"serviceID": "airtel-data", "name": "Airtel Data", "minimium_amount": "50", "maximum_amount": "100000"},
    ],
    "electricity-bill": [
        {"serviceID": "ikeja-electric", "name": "Ikeja Electric Payment - IKEDC", "minimium_amount": "500",
         "maximum_amount": "500000"},
        {"serviceID": "eko-electric", "name": "Eko Electric Payment - EKEDC", "minimium_amount": "500",
         "maximum_amount": "500000"},
    ],
    "tv-subscription": [
        {"serviceID": "dstv", "name": "DSTV Subscription", "minimium_amount": "1", "maximum_amount": "1000000"},
        {"serviceID": "gotv", "name": "Gotv Payment", "minimium_amount": "1", "maximum_amount": "1000000"},
    ],
    "education": [
        {"serviceID": "waec", "name": "WAEC Result Checker PIN", "minimium_amount": "1", "maximum_amount": "100000"},
        {"serviceID": "waec-registration", "name": "WAEC Registration PIN", "minimium_amount": "1",
         "maximum_amount": "100000"},
        {"serviceID": "jamb", "name": "JAMB PIN VENDING (UTME & Direct Entry)", "minimium_amount": "1",
         "maximum_amount": "100000"},
    ],
    "insurance": [
        {"serviceID": "ui-insure", "name": "Third Party Motor Insurance - Universal Insurance",
         "minimium_amount": "1", "maximum_amount": "100000"},
    ],
}

# ``GET /api/service-categories``: VTPass's names for the categories this simulator sells in.
CATEGORY_NAMES = {"airtime": "Airtime Recharge", "data": "Data Services", "tv-subscription": "TV Subscription",
                  "electricity-bill": "Electricity Bill", "education": "Education", "insurance": "Insurance"}

VARIATIONS: dict[str, list[dict[str, str]]] = {
    "mtn-data": [
        {"variation_code": "mtn-10mb-100", "name": "N100 100MB - 24 hrs", "variation_amount": "100.00"},
        {"variation_code": "mtn-50mb-200", "name": "N200 200MB - 2 days", "variation_amount": "200.00"},
        {"variation_code": "mtn-100mb-1000", "name": "N1000 1.5GB - 30 days", "variation_amount": "1000.00"},
        {"variation_code": "mtn-3gb-2500", "name": "N2500 6GB - 30 days", "variation_amount": "2500.00"},
    ],
    "glo-data": [
        {"variation_code": "glo100", "name": "Glo Data N100 - 105MB - 2 days", "variation_amount": "100.00"},
        {"variation_code": "glo1000", "name": "Glo Data N1000 - 2.5GB - 30 days", "variation_amount": "1000.00"},
    ],
    "airtel-data": [
        {"variation_code": "airt-100", "name": "Airtel 75MB 1 day - 100 Naira", "variation_amount": "99.00"},
        {"variation_code": "airt-1000", "name": "Airtel 1.5GB 30 days - 1000 Naira",
         "variation_amount": "999.00"},
    ],
    "dstv": [
        {"variation_code": "dstv-padi", "name": "DStv Padi N4,400", "variation_amount": "4400.00"},
        {"variation_code": "dstv-yanga", "name": "DStv Yanga N6,000", "variation_amount": "6000.00"},
        {"variation_code": "dstv-confam", "name": "Dstv Confam N11,000", "variation_amount": "11000.00"},
    ],
    "gotv": [
        {"variation_code": "gotv-smallie", "name": "GOtv Smallie N1,900", "variation_amount": "1900.00"},
        {"variation_code": "gotv-jolli", "name": "GOtv Jolli N5,800", "variation_amount": "5800.00"},
    ],
    "waec": [{"variation_code": "waecdirect", "name": "WASSCE/GCE Result Checker PIN", "variation_amount": "3900.00"}],
    "waec-registration": [{"variation_code": "waec-registraion", "name": "WASSCE for Private Candidates",
                           "variation_amount": "18000.00"}],
    "jamb": [{"variation_code": "utme-mock", "name": "UTME PIN (with mock)", "variation_amount": "8700.00"},
             {"variation_code": "utme-no-mock", "name": "UTME PIN (without mock)", "variation_amount": "7200.00"}],
    "ui-insure": [{"variation_code": "1", "name": "Private", "variation_amount": "3000.00"},
                  {"variation_code": "2", "name": "Commercial", "variation_amount": "5000.00"},
                  {"variation_code": "3", "name": "Tricycles", "variation_amount": "1500.00"},
                  {"variation_code": "4", "name": "Motorcycle", "variation_amount": "3000.00"}],
}

# Categories whose services are bought by ``variation_code`` (the price is the variation's).
VARIATION_PRICED = frozenset({"data", "tv-subscription", "education", "insurance"})

SANDBOX_PHONES = {
    p.SANDBOX_PENDING_PHONE: FaultMode.PENDING_THEN_SUCCESS,
    p.SANDBOX_UNEXPECTED_PHONE: FaultMode.GARBAGE,
    p.SANDBOX_NO_RESPONSE_PHONE: FaultMode.NO_RESPONSE,
    p.SANDBOX_TIMEOUT_PHONE: FaultMode.TIMEOUT,
}


@dataclass
class Transaction:
    request_id: str
    service_id: str
    customer: str
    amount_minor: int
    variation: str
    product_name: str
    kind: str
    status: str
    transaction_id: str
    created: datetime
    phone: str = ""
    polls_left: int = 0
    token: str = ""
    units: str = ""
    fault: FaultMode = FaultMode.NONE
    extra: dict = field(default_factory=dict)


class VTPassSimulator(SimulatorServer):
    name = "vtpass"

    def __init__(self, *, credentials: dict[str, str] | None = None, balance_minor: int = 10_000_000_00,
                 duplicate_window_seconds: float = 30.0, strict_sandbox: bool = False,
                 check_request_id_date: bool = True, pending_answer_code: str = p.PROCESSED, **kwargs) -> None:
        super().__init__(**kwargs)
        self.credentials = dict(credentials or DEFAULT_CREDENTIALS)
        self.balance_minor = balance_minor
        self.duplicate_window_seconds = duplicate_window_seconds
        self.strict_sandbox = strict_sandbox
        self.check_request_id_date = check_request_id_date
        self.pending_answer_code = pending_answer_code  # "000" (inner status pending) or "099" (processing)
        self.transactions: dict[str, Transaction] = {}
        self.services = json.loads(json.dumps(SERVICES))
        self.variations = json.loads(json.dumps(VARIATIONS))
        self._recent: dict[tuple[str, str, int], float] = {}
        self._ids = itertools.count(int(time.time() * 1000))
        self._state_lock = threading.RLock()

    # --- state helpers for tests -----------------------------------------------------
    def withdraw_variation(self, service_id: str, variation_code: str) -> None:
        self.variations[service_id] = [v for v in self.variations[service_id] if v["variation_code"] != variation_code]

    def set_variation_amount(self, service_id: str, variation_code: str, amount: str) -> None:
        for variation in self.variations[service_id]:
            if variation["variation_code"] == variation_code:
                variation["variation_amount"] = amount

    def resolve_pending(self, request_id: str, status: str = p.DELIVERED) -> None:
        with self._state_lock:
            self._finish(self.transactions[request_id], status)

    def build_callback(self, request_id: str) -> tuple[bytes, dict[str, str]]:
        """The unsigned ``transaction-update`` VTPass posts to the merchant's callback URL."""
        payload = {"type": "transaction-update", "data": self._txn_body(self.transactions[request_id])}
        return json.dumps(payload).encode(), {"Content-Type": "application/json"}

    def send_callback(self, url: str, request_id: str) -> requests.Response:
        body, headers = self.build_callback(request_id)
        return requests.post(url, data=body, headers=headers, timeout=5)

    def recipient_fault(self, recipient: str) -> FaultMode:
        if recipient in SANDBOX_PHONES:
            return SANDBOX_PHONES[recipient]
        return super().recipient_fault(recipient)

    # --- routing ---------------------------------------------------------------------
    def _authenticated(self, request: Request) -> bool:
        headers = request.headers
        if headers.get("api-key"):
            if headers["api-key"] != self.credentials.get("api_key"):
                return False
            if request.method == "GET":
                return headers.get("public-key") == self.credentials.get("public_key")
            return headers.get("secret-key") == self.credentials.get("secret_key")
        auth = headers.get("authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
            return user == self.credentials.get("username") and password == self.credentials.get("password")
        return False

    def route(self, request: Request) -> Response:
        if not self._authenticated(request):
            return Response(401, {"code": p.INVALID_CREDENTIALS, "response_description": "INVALID CREDENTIALS"})
        handlers = {
            ("GET", "/api/service-categories"): self._categories,
            ("GET", "/api/services"): self._services,
            ("GET", "/api/service-variations"): self._variations,
            ("POST", "/api/merchant-verify"): self._verify,
            ("POST", "/api/pay"): self._pay,
            ("POST", "/api/requery"): self._requery,
            ("GET", "/api/balance"): self._balance,
        }
        handler = handlers.get((request.method, request.path))
        if handler is None:
            return Response(404, {"code": "404", "response_description": "NOT FOUND"})
        return handler(request)

    def _balance(self, request: Request) -> Response:
        """``GET /api/balance`` (api-key + public-key): ``{"code": 1, "contents": {"balance": <naira>}}``."""
        with self._state_lock:
            naira = from_minor(self.balance_minor, "NGN")
        return Response(200, {"code": 1, "contents": {"balance": float(naira)}})

    @staticmethod
    def _code(code: str, **extra) -> Response:
        return Response(200, {"code": code, "response_description": p.DESCRIPTIONS.get(code, code), **extra})

    def _categories(self, request: Request) -> Response:
        return Response(200, {"response_description": "000", "content": [
            {"identifier": identifier, "name": CATEGORY_NAMES.get(identifier, identifier)}
            for identifier in self.services]})

    def _services(self, request: Request) -> Response:
        """Each service as documented: priced by variation (``fix``) or by amount (``flexible``), with its image."""
        identifier = request.query.get("identifier", "")
        product_type = "fix" if identifier in VARIATION_PRICED else "flexible"
        content = [{**service, "convinience_fee": "0 %", "product_type": product_type,
                    "image": f"https://sandbox.vtpass.com/resources/products/200X200/{service['serviceID']}.jpg"}
                   for service in self.services.get(identifier, [])]
        return Response(200, {"response_description": "000", "content": content})

    def _variations(self, request: Request) -> Response:
        service_id = request.query.get("serviceID", "")
        if service_id not in self.variations:
            return self._code(p.PRODUCT_NOT_FOUND)
        service: dict[str, Any] = next(
            (s for group in self.services.values() for s in group if s["serviceID"] == service_id), {})
        variations = [{**v, "fixedPrice": "Yes"} for v in self.variations[service_id]]
        return Response(200, {"response_description": "000", "content": {
            "ServiceName": service.get("name", service_id), "serviceID": service_id, "convinience_fee": "0 %",
            "variations": variations}})

    def _service(self, service_id: str) -> tuple[str, dict] | None:
        for identifier, group in self.services.items():
            for service in group:
                if service["serviceID"] == service_id:
                    return identifier, service
        return None

    def _verify(self, request: Request) -> Response:
        payload = request.json() or {}
        number, service_id = str(payload.get("billersCode", "")), str(payload.get("serviceID", ""))
        found = self._service(service_id)
        if not number or found is None:
            return self._code(p.INVALID_ARGUMENTS if not number else p.PRODUCT_NOT_FOUND)
        identifier, _ = found
        fault = self.take_fault(request, number)
        if fault == FaultMode.SERVER_ERROR:
            return Response(503, "<html>503 Service Unavailable</html>")
        if service_id == p.JAMB:
            if (number != p.SANDBOX_JAMB_PROFILE and self.strict_sandbox) or number.endswith("0000"):
                return self._code(p.PROCESSED, content={"error": "Invalid Profile ID", "WrongBillersCode": True})
            return self.apply_transport_fault(fault, self._code(p.PROCESSED, content={
                "Customer_Name": "ADEBAYO CHIOMA TEST", "WrongBillersCode": False}))
        if identifier == "electricity-bill":
            meter_type = str(payload.get("type", "prepaid")).lower()
            expected = p.SANDBOX_PREPAID_METER if meter_type == "prepaid" else p.SANDBOX_POSTPAID_METER
            if (number != expected and self.strict_sandbox) or number.endswith("0000"):
                return self._code(p.PROCESSED, content={
                    "error": f"This meter is not correct or is not a valid {service_id} {meter_type} meter. "
                             "Please check and try again", "WrongBillersCode": True})
            return self.apply_transport_fault(fault, self._code(p.PROCESSED, content={
                "Customer_Name": "TESTMETER1", "Address": "ABULE - EGBA BU ABULE", "Meter_Number": number,
                "Customer_Arrears": "", "Minimum_Amount": "500", "Min_Purchase_Amount": 500, "Can_Vend": "yes",
                "Meter_Type": meter_type.upper(), "WrongBillersCode": False}))
        if (number != p.SANDBOX_SMARTCARD and self.strict_sandbox) or number.endswith("0000"):
            return self._code(p.PROCESSED, content={"error": "Invalid Smartcard Number", "WrongBillersCode": True})
        return self.apply_transport_fault(fault, self._code(p.PROCESSED, content={
            "Customer_Name": "TEST SUBSCRIBER", "Status": "ACTIVE", "Due_Date": "2026-12-31T00:00:00",
            "Customer_Number": number, "Customer_Type": service_id.upper(), "Current_Bouquet": "DStv Padi",
            "Renewal_Amount": 4400, "WrongBillersCode": False}))

    def _pay(self, request: Request) -> Response:
        payload = request.json() or {}
        request_id = str(payload.get("request_id", ""))
        service_id = str(payload.get("serviceID", ""))
        customer = str(payload.get("billersCode") or payload.get("phone") or "")
        found = self._service(service_id)
        if not request_id or not service_id or not customer or (payload.get("amount") in (None, "") and \
                not payload.get("variation_code")):
            return self._code(p.INVALID_ARGUMENTS)
        problem = p.request_id_problem(request_id) if self.check_request_id_date else \
            ("" if len(request_id) >= 12 and request_id[:12].isdigit() else "bad request id")
        if problem:
            return self._code(p.INVALID_ARGUMENTS, content={"errors": [problem]})
        if found is None:
            return self._code(p.PRODUCT_NOT_FOUND)
        identifier, service = found
        fault = self.take_fault(request, customer)
        if fault == FaultMode.SERVER_ERROR:
            return Response(500, "<html><body><h1>500 Internal Server Error</h1></body></html>",
                            {"Content-Type": "text/html"})
        variation_code = str(payload.get("variation_code", ""))
        product_name = service["name"]
        if identifier == "insurance" and any(not str(payload.get(name) or "").strip()
                                             for name in p.INSURANCE_FIELDS):
            return self._code(p.INVALID_ARGUMENTS, content={"errors": ["vehicle details are required"]})
        if identifier in VARIATION_PRICED:
            variation = next((v for v in self.variations.get(service_id, [])
                              if v["variation_code"] == variation_code), None)
            if variation is None:
                return self._code(p.VARIATION_NOT_FOUND)
            amount_minor = to_minor(variation["variation_amount"], p.CURRENCY)
            product_name = variation["name"]
        else:
            try:
                amount_minor = to_minor(payload.get("amount"), p.CURRENCY)
            except ValueError:
                return self._code(p.INVALID_ARGUMENTS)
            if amount_minor < to_minor(service["minimium_amount"], p.CURRENCY):
                return self._code(p.BELOW_MINIMUM)
            if amount_minor > to_minor(service["maximum_amount"], p.CURRENCY):
                return self._code(p.ABOVE_MAXIMUM)
        with self._state_lock:
            if request_id in self.transactions:
                return self._code(p.DUPLICATE_REQUEST_ID)
            if self.balance_minor < amount_minor:
                return self._code(p.LOW_BALANCE)
            key = (service_id, customer, amount_minor)
            now = time.monotonic()
            if self.duplicate_window_seconds and now - self._recent.get(key, -1e9) < self.duplicate_window_seconds:
                return self._code(p.LIKELY_DUPLICATE)
            self._recent[key] = now
            if self.strict_sandbox and identifier in ("airtime", "data") and fault == FaultMode.NONE \
                    and customer != p.SANDBOX_SUCCESS_PHONE:
                fault = FaultMode.FAILURE
            txn = Transaction(request_id=request_id, service_id=service_id, customer=customer,
                              amount_minor=amount_minor, variation=variation_code, product_name=product_name,
                              kind=identifier, status=p.INITIATED, transaction_id=str(next(self._ids)),
                              created=datetime.now(p.LAGOS), phone=str(payload.get("phone", "")), fault=fault)
            self.transactions[request_id] = txn
            self.balance_minor -= amount_minor  # debited on acceptance, refunded on failure
            if fault == FaultMode.FAILURE:
                self._finish(txn, p.FAILED_STATUS)
            elif fault == FaultMode.PENDING_THEN_SUCCESS:
                txn.status, txn.polls_left = p.PENDING, self.pending_requeries
            else:
                self._finish(txn, p.DELIVERED)
            body = self._txn_body(txn)
            if txn.status == p.PENDING and self.pending_answer_code == p.PROCESSING:
                body.update(code=p.PROCESSING, response_description=p.DESCRIPTIONS[p.PROCESSING])
        if fault == FaultMode.DUPLICATE_REPLY:
            return self._code(p.DUPLICATE_REQUEST_ID)
        return self.apply_transport_fault(fault, Response(200, body))

    def _finish(self, txn: Transaction, status: str) -> None:
        if txn.status in (p.DELIVERED, p.FAILED_STATUS, p.REVERSED):
            return
        txn.status = status
        if status == p.DELIVERED:
            if txn.kind == "electricity-bill" and txn.variation == "prepaid":
                txn.token = "-".join(f"{random.randint(0, 9999):04d}" for _ in range(5))
                txn.units = f"{txn.amount_minor / 100 / 68.2:.1f}"
            elif txn.service_id == p.WAEC_RESULT_CHECKER:
                txn.extra["cards"] = [{"Serial": f"WRN{random.randint(10**8, 10**9 - 1)}",
                                       "Pin": f"{random.randint(10**11, 10**12 - 1)}"}]
            elif txn.service_id == p.WAEC_REGISTRATION:
                txn.extra["tokens"] = [f"{random.randint(10**11, 10**12 - 1)}"]
            elif txn.service_id == p.JAMB:
                txn.extra["Pin"] = f"{random.randint(10**14, 10**15 - 1)}"
            elif txn.kind == "insurance":
                number = f"UI/{datetime.now(p.LAGOS):%Y}/{random.randint(10**6, 10**7 - 1)}"
                txn.extra.update(certificate=number,
                                 certUrl=f"https://vtpass.com/documents/certificates/{number.replace('/', '-')}.pdf")
            self.record_delivery(request_id=txn.request_id, recipient=txn.customer, amount_minor=txn.amount_minor,
                                 product=txn.variation or txn.service_id)
        else:
            self.balance_minor += txn.amount_minor

    def _txn_body(self, txn: Transaction) -> dict:
        code = {p.DELIVERED: p.PROCESSED, p.FAILED_STATUS: p.FAILED}.get(txn.status, p.PROCESSED)
        description = {p.DELIVERED: "TRANSACTION SUCCESSFUL", p.FAILED_STATUS: "TRANSACTION FAILED"}.get(
            txn.status, "TRANSACTION PROCESSING")
        amount = from_minor(txn.amount_minor, p.CURRENCY)
        body: dict[str, Any] = {
            "code": code,
            "content": {"transactions": {
                "status": txn.status, "product_name": txn.product_name, "unique_element": txn.customer,
                "unit_price": amount, "quantity": 1, "service_verification": None, "channel": "api",
                "commission": 0, "total_amount": amount, "discount": None, "type": txn.kind,
                "email": "sandbox@nexustop.test", "phone": txn.phone, "name": None, "convinience_fee": 0,
                "amount": amount, "platform": "api", "method": "api", "transactionId": txn.transaction_id}},
            "response_description": description,
            "requestId": txn.request_id,
            "amount": amount,
            "transaction_date": txn.created.isoformat(),
            "purchased_code": f"Token : {txn.token}" if txn.token else "",
        }
        if txn.token:
            body.update({"mainToken": txn.token, "mainTokenDescription": "Normal Sale",
                         "mainTokenUnits": txn.units, "units": f"{txn.units} kWh"})
        if txn.extra.get("cards"):
            body["cards"] = txn.extra["cards"]
            body["purchased_code"] = ", ".join(f"Serial No:{c['Serial']}, pin: {c['Pin']}" for c in txn.extra["cards"])
        if txn.extra.get("tokens"):
            body["tokens"] = txn.extra["tokens"]
            body["purchased_code"] = "Token : " + ", ".join(txn.extra["tokens"])
        if txn.extra.get("Pin"):
            body["Pin"] = txn.extra["Pin"]
            body["purchased_code"] = f"Pin : {txn.extra['Pin']}"
        if txn.extra.get("certUrl"):
            body["certUrl"] = txn.extra["certUrl"]
            body["purchased_code"] = f"Certificate No: {txn.extra['certificate']}"
        return body

    def _requery(self, request: Request) -> Response:
        request_id = str((request.json() or {}).get("request_id", ""))
        with self._state_lock:
            txn = self.transactions.get(request_id)
            if txn is None:
                return self._code(p.UNKNOWN_REQUEST_ID)
            if txn.status == p.PENDING:
                txn.polls_left -= 1
                if txn.polls_left < 0:
                    self._finish(txn, p.DELIVERED)
            body = self._txn_body(txn)
        return Response(200, body)

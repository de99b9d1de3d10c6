"""A local Paystack: the same endpoints, JSON envelopes and webhook signature as api.paystack.co.

Objects are shaped like Paystack's API reference (https://paystack.com/docs/api/) and the
official response samples (github.com/PaystackOSS/doc-code-snippets, ``src/api/*/response.json``),
so a community SDK (``pypaystack2``) parses them unmodified (tests/gateways/test_paystack_sdk.py).

Endpoints: ``POST /transaction/initialize``, ``GET /transaction/verify/:reference``,
``GET /transaction/:id``, ``GET /transaction?customer=``, ``GET /bank``, ``GET /bank/resolve``,
``POST /transferrecipient``, ``GET /transferrecipient/:code``, ``POST /transfer``,
``GET /transfer/verify/:reference``, ``GET /balance``, ``POST /customer``,
``GET|PUT /customer/:email_or_code``, and the dedicated virtual accounts
(``POST /dedicated_account``, ``POST /dedicated_account/assign``, ``GET /dedicated_account``,
``GET /dedicated_account/:id``, ``DELETE /dedicated_account/:id``,
``GET /dedicated_account/available_providers``, ``GET /dedicated_account/requery``).
The hosted checkout is ``GET /checkout/:access_code`` (a page with Pay / Decline buttons);
tests can call :meth:`PaystackSimulator.complete` instead. A bank transfer into a dedicated
account is :meth:`PaystackSimulator.bank_transfer` (or ``POST /_simulator/bank_transfer``, or the
page ``GET /_simulator/bank``): a ``dedicated_nuban`` transaction and its ``charge.success``.
Webhooks (``charge.success``, ``transfer.success|failed|reversed``,
``dedicatedaccount.assign.success|failed``) are POSTed to ``webhook_url`` with
``x-paystack-signature`` = hex HMAC-SHA512 of the raw body keyed with the secret key.

Name enquiry: any 10-digit account number resolves (to ``accounts`` entries or a
generated name) except numbers starting with ``99``. Transfers below ``min_transfer``
kobo are refused; ``balance`` is the merchant balance transfers draw from.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from provider_plugins.interfaces.common import ProviderError
from provider_plugins.interfaces.payments import major_to_minor, minor_to_major
from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer

BANKS = {
    "NG": [("044", "Access Bank"), ("058", "Guaranty Trust Bank"), ("057", "Zenith Bank"),
           ("033", "United Bank For Africa"), ("011", "First Bank of Nigeria"), ("50211", "Kuda Bank"),
           ("035", "Wema Bank")],
    "GH": [("280100", "Access Bank Ghana"), ("030100", "Absa Bank Ghana"), ("040100", "Ecobank Ghana")],
}
COUNTRY_NAMES = {"nigeria": "NG", "ghana": "GH"}
FULL_COUNTRY = {"NG": "Nigeria", "GH": "Ghana"}
CURRENCIES = {"NG": "NGN", "GH": "GHS"}
# Dedicated account providers (GET /dedicated_account/available_providers); test mode also has "test-bank".
DVA_PROVIDERS = [
    {"provider_slug": "access-bank", "bank_id": 1, "bank_name": "Access Bank", "id": 6},
    {"provider_slug": "wema-bank", "bank_id": 20, "bank_name": "Wema Bank", "id": 5},
    {"provider_slug": "titan-paystack", "bank_id": 68, "bank_name": "Paystack-Titan", "id": 7},
    {"provider_slug": "test-bank", "bank_id": 20, "bank_name": "Test Bank", "id": 8},
]
INTEGRATION_ID = 100_043


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _fail(status: int, message: str) -> SimResponse:
    return SimResponse(status, {"status": False, "message": message})


def _ok(message: str, data: Any, status: int = 200, meta: dict[str, Any] | None = None) -> SimResponse:
    body: dict[str, Any] = {"status": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return SimResponse(status, body)


def _meta(total: int, per_page: int = 50, page: int = 1) -> dict[str, Any]:
    return {"total": total, "skipped": 0, "perPage": per_page, "page": page,
            "pageCount": max(1, -(-total // per_page))}


class PaystackSimulator(SimulatorServer):
    name = "paystack"
    unfaulted_prefixes = ("/_simulator/", "/checkout/")

    def __init__(self, *, secret_key: str = "sk_test_simulator", webhook_url: str = "",  # noqa: S107 - test key
                 min_amount: int = 100, min_transfer: int = 10_000, balance: int = 10**12,
                 transfer_delay: float = 0.05, **kwargs: Any) -> None:
        self.secret_key = secret_key
        self.min_amount = min_amount
        self.min_transfer = min_transfer
        self.balance = balance
        self.transfer_delay = transfer_delay
        self.reversal_delay: float | None = None  # success -> reversed (default: transfer_delay)
        self.transactions: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        self.recipients: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}  # customer_code -> customer
        self.dedicated_accounts: dict[int, dict[str, Any]] = {}  # id -> dedicated account
        self.accounts: dict[tuple[str, str], str] = {("058", "0123456789"): "ADA OBI LOVELACE"}
        self._ids = itertools.count(4_000_000_001)
        self._nubans = itertools.count(9_930_000_001)
        super().__init__(webhook_url=webhook_url, **kwargs)

    def routes(self) -> None:
        self.route("POST", r"/transaction/initialize/?", self.initialize)
        self.route("GET", r"/transaction/verify/([^/]+)", self.verify)
        self.route("GET", r"/transaction/(\d+)/?", self.fetch)
        self.route("GET", r"/transaction/?", self.list_transactions)
        self.route("GET", r"/checkout/([^/]+)", self.checkout_page)
        self.route("POST", r"/checkout/([^/]+)/pay", self.checkout_pay)
        self.route("POST", r"/_simulator/complete/([^/]+)", self.control_complete)
        self.route("POST", r"/_simulator/bank_transfer", self.control_bank_transfer)
        self.route("GET", r"/_simulator/bank", self.bank_page)
        self.route("POST", r"/_simulator/bank", self.bank_page_send)
        self.route("GET", r"/bank/?", self.list_banks)
        self.route("GET", r"/bank/resolve/?", self.resolve)
        self.route("POST", r"/transferrecipient/?", self.create_recipient)
        self.route("GET", r"/transferrecipient/([^/]+)/?", self.fetch_recipient)
        self.route("POST", r"/transfer/?", self.create_transfer)
        self.route("GET", r"/transfer/verify/([^/]+)", self.verify_transfer)
        self.route("GET", r"/balance/?", self.get_balance)
        self.route("POST", r"/customer/?", self.create_customer)
        self.route("GET", r"/customer/([^/]+)/?", self.fetch_customer)
        self.route("PUT", r"/customer/([^/]+)/?", self.update_customer)
        self.route("GET", r"/dedicated_account/available_providers/?", self.dva_providers)
        self.route("GET", r"/dedicated_account/requery/?", self.dva_requery)
        self.route("POST", r"/dedicated_account/assign/?", self.dva_assign)
        self.route("POST", r"/dedicated_account/?", self.dva_create)
        self.route("GET", r"/dedicated_account/?", self.dva_list)
        self.route("GET", r"/dedicated_account/(\d+)/?", self.dva_fetch)
        self.route("DELETE", r"/dedicated_account/(\d+)/?", self.dva_deactivate)

    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        key = (self.secret_key + "-wrong" if bad else self.secret_key).encode()
        return {"x-paystack-signature": hmac.new(key, body, hashlib.sha512).hexdigest()}

    def _authorized(self, request: SimRequest) -> bool:
        return hmac.compare_digest(request.header("Authorization"), f"Bearer {self.secret_key}")

    # -- customers ---------------------------------------------------------------
    def _customer_for(self, email: str, **fields: Any) -> dict[str, Any]:
        """The customer with this email (created on first use, like Paystack does on initialize). Lock held."""
        email = email.strip().lower()
        for customer in self.customers.values():
            if customer["email"] == email:
                for key, value in fields.items():
                    if value:
                        customer[key] = value
                return customer
        code = "CUS_" + secrets.token_hex(8)[:15]
        customer = {"id": next(self._ids), "integration": INTEGRATION_ID, "domain": "test", "first_name": None,
                    "last_name": None, "email": email, "customer_code": code, "phone": None, "metadata": None,
                    "risk_action": "default", "international_format_phone": None, "identified": False,
                    "identifications": None, "createdAt": _now(), "updatedAt": _now()}
        customer.update({key: value for key, value in fields.items() if value})
        self.customers[code] = customer
        return customer

    @staticmethod
    def _customer_public(customer: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "first_name", "last_name", "email", "customer_code", "phone", "metadata", "risk_action",
                "international_format_phone")
        return {key: customer.get(key) for key in keys}

    def _find_customer(self, email_or_code: str) -> dict[str, Any] | None:
        if email_or_code in self.customers:
            return self.customers[email_or_code]
        wanted = email_or_code.strip().lower()
        return next((c for c in self.customers.values() if c["email"] == wanted or str(c["id"]) == wanted), None)

    def create_customer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        payload = request.json() or {}
        email = str(payload.get("email") or "")
        if "@" not in email:
            return _fail(400, "Invalid Email Address Passed")
        with self.lock:
            customer = self._customer_for(email, first_name=payload.get("first_name"),
                                          last_name=payload.get("last_name"), phone=payload.get("phone"),
                                          metadata=payload.get("metadata"))
            data = {**customer, "updatedAt": _now()}
        return _ok("Customer created", data)

    def fetch_customer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        with self.lock:
            customer = self._find_customer(request.groups[0])
            if customer is None:
                return _fail(404, "Customer not found")
            data = dict(customer)
            data["dedicated_accounts"] = [self._dva_public(dva) for dva in self.dedicated_accounts.values()
                                          if dva["customer_code"] == customer["customer_code"]]
            data["transactions"] = []
            data["subscriptions"] = []
            data["authorizations"] = []
        return _ok("Customer retrieved", data)

    def update_customer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        payload = request.json() or {}
        with self.lock:
            customer = self._find_customer(request.groups[0])
            if customer is None:
                return _fail(404, "Customer not found")
            for key in ("first_name", "last_name", "phone", "metadata"):
                if payload.get(key):
                    customer[key] = payload[key]
            customer["updatedAt"] = _now()
            data = dict(customer)
        return _ok("Customer updated", data)

    # -- transactions ------------------------------------------------------------
    def initialize(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        payload = request.json() or {}
        email = str(payload.get("email") or "")
        if "@" not in email:
            return _fail(400, "Invalid Email Address Passed")
        try:
            amount = int(payload.get("amount", ""))
        except (TypeError, ValueError):
            return _fail(400, "Invalid Amount Sent")
        if amount < self.min_amount:
            return _fail(400, "Invalid Amount Sent")
        currency = payload.get("currency") or "NGN"
        if currency not in ("NGN", "GHS", "USD", "ZAR", "KES", "XOF"):
            return _fail(400, "Currency not supported by merchant")
        reference = payload.get("reference") or secrets.token_hex(8)
        with self.lock:
            if reference in self.transactions:
                return _fail(400, "Duplicate Transaction Reference")
            access_code = secrets.token_hex(8)
            customer = self._customer_for(email)
            self.transactions[reference] = self._new_transaction(
                reference=reference, amount=amount, currency=currency, customer=customer, channel="card",
                status="abandoned", gateway_response="The transaction was not completed",
                metadata=payload.get("metadata") or "", access_code=access_code,
                callback_url=payload.get("callback_url") or "")
            self.plans[reference] = self.outcome_plan(reference, request)
        return _ok("Authorization URL created", {
            "authorization_url": f"{self.url}/checkout/{access_code}", "access_code": access_code,
            "reference": reference})

    def _new_transaction(self, *, reference: str, amount: int, currency: str, customer: dict[str, Any],
                         channel: str, status: str, gateway_response: str, metadata: Any = "",
                         access_code: str = "", callback_url: str = "") -> dict[str, Any]:
        now = _now()
        return {
            "id": next(self._ids), "domain": "test", "status": status, "reference": reference,
            "receipt_number": None, "amount": amount, "message": None, "gateway_response": gateway_response,
            "paid_at": None, "created_at": now, "channel": channel, "currency": currency,
            "ip_address": "197.210.54.33", "metadata": metadata, "log": None, "fees": None, "fees_split": None,
            "authorization": {}, "customer_code": customer["customer_code"], "plan": None, "split": {},
            "order_id": None, "requested_amount": amount, "pos_transaction_data": None, "source": None,
            "fees_breakdown": None, "connect": None, "transaction_date": now, "plan_object": {}, "subaccount": {},
            "access_code": access_code, "callback_url": callback_url,
        }

    def _paid(self, txn: dict[str, Any], *, authorization: dict[str, Any] | None = None) -> None:
        """Mark a transaction paid: paid_at, fees (1.5 % capped at NGN 2,000), the log and the authorization."""
        txn.update(status="success", gateway_response="Successful", paid_at=_now())
        txn["fees"] = min(txn["amount"] * 15 // 1000, 200_000)
        start = int(time.time())
        channel = txn["channel"]
        txn["log"] = {"start_time": start - 4, "time_spent": 4, "attempts": 1, "errors": 0, "success": True,
                      "mobile": False, "input": [], "history": [
                          {"type": "action", "message": f"Attempted to pay with {channel}", "time": 3},
                          {"type": "success", "message": f"Successfully paid with {channel}", "time": 4}]}
        txn["authorization"] = authorization or {
            "authorization_code": "AUTH_" + secrets.token_hex(5), "bin": "408408", "last4": "4081",
            "exp_month": "12", "exp_year": "2030", "channel": "card", "card_type": "visa ", "bank": "TEST BANK",
            "country_code": "NG", "brand": "visa", "reusable": True, "signature": "SIG_" + secrets.token_hex(10),
            "account_name": None}

    def _public(self, txn: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in txn.items() if k not in ("access_code", "callback_url", "customer_code")}
        customer = self.customers.get(txn["customer_code"])
        data["customer"] = self._customer_public(customer) if customer else {}
        data["paidAt"] = data["paid_at"]
        data["createdAt"] = data["created_at"]
        return data

    def verify(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        reference = request.groups[0]
        with self.lock:
            txn = self.transactions.get(reference)
            if txn is None:
                return _fail(400, "Transaction reference not found")
            became_final = self._tick(reference)
            data = self._public(txn)
        if became_final:
            self._notify_charge(reference)
        return _ok("Verification successful", data)

    def fetch(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        with self.lock:
            for txn in self.transactions.values():
                if str(txn["id"]) == request.groups[0]:
                    return _ok("Transaction retrieved", self._public(txn))
        return _fail(404, "Transaction not found")

    def list_transactions(self, request: SimRequest) -> SimResponse:
        """``GET /transaction?customer=<id>&status=success&perPage=&page=`` (newest first)."""
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        query = request.query
        try:
            per_page, page = int(query.get("perPage", 50)), int(query.get("page", 1))
        except ValueError:
            return _fail(400, "Invalid pagination")
        with self.lock:
            rows = list(self.transactions.values())
            if query.get("customer"):
                customer = self._find_customer(query["customer"])
                rows = [t for t in rows if customer and t["customer_code"] == customer["customer_code"]]
            if query.get("status"):
                rows = [t for t in rows if t["status"] == query["status"]]
            rows.sort(key=lambda t: t["id"], reverse=True)
            data = [self._public(t) for t in rows[(page - 1) * per_page:page * per_page]]
        return _ok("Transactions retrieved", data, meta=_meta(len(rows), per_page, page))

    def _tick(self, reference: str) -> bool:
        """One status query on a pending_then_success payment; True when it just succeeded."""
        txn = self.transactions[reference]
        if txn["status"] != "ongoing":
            return False
        self.polls_left[reference] -= 1
        if self.polls_left[reference] > 0:
            return False
        self._paid(txn)
        return True

    def complete(self, reference: str, *, approve: bool = True) -> dict[str, Any]:
        """The customer pays (or declines) on the hosted page. Charges a reference once."""
        with self.lock:
            txn = self.transactions[reference]
            if txn["status"] != "abandoned":
                return dict(txn)  # already paid/declined: a second attempt changes nothing
            plan = self.plans[reference] = self.plan_for(reference, self.plans.get(reference))
            mode = plan.mode if plan else None
            if not approve or mode is FaultMode.FAILURE:
                txn.update(status="failed", gateway_response="Declined")
            elif mode is FaultMode.PENDING_THEN_SUCCESS:
                txn.update(status="ongoing", gateway_response="Transaction ongoing")
                self.polls_left[reference] = plan.polls if plan else 2
            else:
                self._paid(txn)
            snapshot = dict(txn)
        if snapshot["status"] == "success":
            self._notify_charge(reference)
        return snapshot

    def _notify_charge(self, reference: str) -> None:
        with self.lock:
            data = self._public(self.transactions[reference])
            plan = self.plans.get(reference)
        self.deliver({"event": "charge.success", "data": data}, plan=plan)

    def checkout_page(self, request: SimRequest) -> SimResponse:
        txn = self._by_access_code(request.groups[0])
        if txn is None:
            return SimResponse(404, "<h1>Transaction not found</h1>")
        amount = f"{txn['currency']} {minor_to_major(txn['amount'], txn['currency'])}"
        code = html.escape(request.groups[0])
        return SimResponse(200, f"""<!doctype html><html><head><title>Paystack simulator checkout</title></head>
<body><h1>Pay {html.escape(amount)}</h1><p>Reference: {html.escape(txn['reference'])}</p>
<p>Status: {html.escape(txn['status'])}</p>
<form method="post" action="/checkout/{code}/pay"><button name="action" value="pay">Pay</button>
<button name="action" value="decline">Decline</button></form></body></html>""")

    def checkout_pay(self, request: SimRequest) -> SimResponse:
        txn = self._by_access_code(request.groups[0])
        if txn is None:
            return SimResponse(404, "<h1>Transaction not found</h1>")
        self.complete(txn["reference"], approve=request.form().get("action", "pay") == "pay")
        target = txn["callback_url"]
        if target:
            sep = "&" if "?" in target else "?"
            location = f"{target}{sep}trxref={txn['reference']}&reference={txn['reference']}"
            return SimResponse(302, "", {"Location": location})
        return SimResponse(200, f"<h1>Payment {html.escape(txn['status'])}</h1>")

    def control_complete(self, request: SimRequest) -> SimResponse:
        payload = request.json() or {}
        if request.groups[0] not in self.transactions:
            return _fail(404, "Transaction not found")
        return _ok("completed", self.complete(request.groups[0], approve=payload.get("approve", True)))

    def _by_access_code(self, code: str) -> dict[str, Any] | None:
        with self.lock:
            return next((t for t in self.transactions.values() if t["access_code"] == code), None)

    # -- dedicated virtual accounts ----------------------------------------------
    def _dva_public(self, dva: dict[str, Any], *, with_customer: bool = True) -> dict[str, Any]:
        data = {k: v for k, v in dva.items() if k != "customer_code"}
        if with_customer:
            customer = self.customers.get(dva["customer_code"])
            data["customer"] = self._customer_public(customer) if customer else None
        return data

    def _open_dva(self, customer: dict[str, Any], preferred_bank: str) -> dict[str, Any] | str:
        """The customer's active account (one per customer and bank, like Paystack), or an error message."""
        provider = next((p for p in DVA_PROVIDERS if p["provider_slug"] == (preferred_bank or "wema-bank")), None)
        if provider is None:
            return "Invalid preferred bank"
        if not (customer.get("first_name") and customer.get("last_name") and customer.get("phone")):
            return "Customer first name, last name and phone are required"
        for dva in self.dedicated_accounts.values():
            if dva["customer_code"] == customer["customer_code"] and dva["bank"]["slug"] == provider[
                    "provider_slug"] and dva["active"]:
                return dva
        now = _now()
        dva = {
            "bank": {"name": provider["bank_name"], "id": provider["bank_id"], "slug": provider["provider_slug"]},
            "account_name": f"NEXUSTOP/{customer['first_name']} {customer['last_name']}".upper()[:60],
            "account_number": str(next(self._nubans)), "assigned": True, "currency": "NGN", "metadata": {},
            "active": True, "id": next(self._ids), "created_at": now, "updated_at": now,
            "assignment": {"integration": INTEGRATION_ID, "assignee_id": customer["id"],
                           "assignee_type": "Customer", "expired": False,
                           "account_type": "PAY-WITH-TRANSFER-RECURRING", "assigned_at": now, "expired_at": None},
            "split_config": {}, "customer_code": customer["customer_code"],
        }
        self.dedicated_accounts[dva["id"]] = dva
        return dva

    def dva_create(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        payload = request.json() or {}
        with self.lock:
            customer = self._find_customer(str(payload.get("customer") or ""))
            if customer is None:
                return _fail(400, "Customer not found")
            for key in ("first_name", "last_name", "phone"):
                if payload.get(key):
                    customer[key] = payload[key]
            dva = self._open_dva(customer, str(payload.get("preferred_bank") or ""))
            if isinstance(dva, str):
                return _fail(400, dva)
            data = self._dva_public(dva)
        return _ok("NUBAN successfully created", data)

    def dva_assign(self, request: SimRequest) -> SimResponse:
        """Create the customer and assign an account; the result comes as ``dedicatedaccount.assign.*`` webhook."""
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        payload = request.json() or {}
        email = str(payload.get("email") or "")
        if "@" not in email:
            return _fail(400, "Invalid Email Address Passed")
        with self.lock:
            customer = self._customer_for(email, first_name=payload.get("first_name"),
                                          last_name=payload.get("last_name"), phone=payload.get("phone"))
            dva = self._open_dva(customer, str(payload.get("preferred_bank") or ""))
            customer_data = self._customer_public(customer)
            plan = self.outcome_plan(customer["customer_code"], request)
            if isinstance(dva, str) or (plan and plan.mode is FaultMode.FAILURE):
                event = {"event": "dedicatedaccount.assign.failed",
                         "data": {"customer": customer_data, "dedicated_account": None,
                                  "identification": {"status": "failed"}}}
            else:
                event = {"event": "dedicatedaccount.assign.success",
                         "data": {"customer": customer_data,
                                  "dedicated_account": self._dva_public(dva, with_customer=False),
                                  "identification": {"status": "success"}}}
        threading.Thread(target=self._deliver_later, args=(event, plan), daemon=True).start()
        return _ok("Assign dedicated account in progress", None)

    def _deliver_later(self, event: dict[str, Any], plan: Fault | None) -> None:
        time.sleep(self.transfer_delay)
        self.deliver(event, plan=plan)

    def dva_list(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        query = request.query
        with self.lock:
            rows = list(self.dedicated_accounts.values())
            if query.get("active") in ("true", "false"):
                rows = [d for d in rows if d["active"] == (query["active"] == "true")]
            if query.get("currency"):
                rows = [d for d in rows if d["currency"] == query["currency"]]
            if query.get("customer"):
                customer = self._find_customer(query["customer"])
                rows = [d for d in rows if customer and d["customer_code"] == customer["customer_code"]]
            if query.get("provider_slug"):
                rows = [d for d in rows if d["bank"]["slug"] == query["provider_slug"]]
            if query.get("account_number"):
                rows = [d for d in rows if d["account_number"] == query["account_number"]]
            data = [self._dva_public(d) for d in rows]
        return _ok("Managed accounts successfully retrieved", data, meta=_meta(len(data)))

    def dva_fetch(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        with self.lock:
            dva = self.dedicated_accounts.get(int(request.groups[0]))
            if dva is None:
                return _fail(404, "Dedicated account not found")
            return _ok("Managed account successfully retrieved", self._dva_public(dva))

    def dva_deactivate(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        with self.lock:
            dva = self.dedicated_accounts.get(int(request.groups[0]))
            if dva is None:
                return _fail(404, "Dedicated account not found")
            dva.update(active=False, assigned=False, updated_at=_now())
            dva["assignment"] = {**dva["assignment"], "expired": True, "expired_at": _now()}
            return _ok("Managed Account Successfully Unassigned", self._dva_public(dva))

    def dva_providers(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        return _ok("Dedicated account providers retrieved", [dict(p) for p in DVA_PROVIDERS])

    def dva_requery(self, request: SimRequest) -> SimResponse:
        """Paystack re-checks the account with the bank and sends the webhooks again: here, of every success."""
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        number = request.query.get("account_number", "")
        with self.lock:
            dva = next((d for d in self.dedicated_accounts.values() if d["account_number"] == number), None)
            if dva is None:
                return _fail(400, "Dedicated account not found")
            references = [ref for ref, txn in self.transactions.items()
                          if txn["channel"] == "dedicated_nuban" and txn["status"] == "success"
                          and (txn["authorization"] or {}).get("receiver_bank_account_number") == number]
        for reference in references:
            self._notify_charge(reference)
        return SimResponse(200, {"status": True, "message": "We are checking the status of your transfer. "
                                                           "We will send you a notification once it is confirmed"})

    def bank_transfer(self, *, account_number: str, amount: int, sender_name: str = "ADA SENDER",
                      sender_bank: str = "First City Monument Bank", notify: bool = True) -> dict[str, Any]:
        """Someone sends ``amount`` kobo to a dedicated account: a ``dedicated_nuban`` transaction, then
        ``charge.success`` (under the run's outcome fault: ``duplicate_webhook``, ``bad_signature``)."""
        with self.lock:
            dva = next((d for d in self.dedicated_accounts.values() if d["account_number"] == account_number), None)
            if dva is None or not dva["active"]:
                raise KeyError(f"no active dedicated account {account_number}")
            customer = self.customers[dva["customer_code"]]
            reference = f"T{next(self._ids)}{secrets.token_hex(3)}"
            txn = self._new_transaction(reference=reference, amount=amount, currency=dva["currency"],
                                        customer=customer, channel="dedicated_nuban", status="success",
                                        gateway_response="Approved", metadata={"receiver_account_number":
                                                                               account_number})
            self._paid(txn, authorization={
                "authorization_code": "AUTH_" + secrets.token_hex(5), "bin": "XXXXXX", "last4": "XXXX",
                "exp_month": "01", "exp_year": "2030", "channel": "dedicated_nuban", "card_type": "transfer",
                "bank": sender_bank, "country_code": "NG", "brand": "Managed Account", "reusable": False,
                "signature": None, "account_name": None, "sender_bank": sender_bank,
                "sender_bank_account_number": "XXXXXX" + secrets.choice("0123456789") * 4,
                "sender_country": "NG", "sender_name": sender_name,
                "narration": f"NIP: {sender_name} -{account_number}",
                "receiver_bank_account_number": account_number, "receiver_bank": dva["bank"]["name"]})
            self.transactions[reference] = txn
            self.plans[reference] = self.outcome_plan(reference)
            snapshot = self._public(txn)
        if notify:
            self._notify_charge(reference)
        return snapshot

    def control_bank_transfer(self, request: SimRequest) -> SimResponse:
        payload = request.json() or {}
        try:
            txn = self.bank_transfer(account_number=str(payload.get("account_number", "")),
                                     amount=int(payload.get("amount", 0)),
                                     sender_name=str(payload.get("sender_name") or "ADA SENDER"))
        except (KeyError, TypeError, ValueError) as exc:
            return _fail(400, str(exc))
        return _ok("transfer received", txn)

    def bank_page(self, request: SimRequest) -> SimResponse:
        """A person's bank app, for the demo: send naira to a dedicated account number."""
        return SimResponse(200, """<!doctype html><html><head><title>Bank transfer (Paystack simulator)</title>
</head><body><h1>Send a bank transfer</h1><p>To a dedicated (virtual) account number.</p>
<form method="post" action="/_simulator/bank"><label>Account number <input name="account_number"></label>
<label>Amount (NGN) <input name="amount" value="1000"></label><button>Send</button></form></body></html>""")

    def bank_page_send(self, request: SimRequest) -> SimResponse:
        form = request.form()
        try:
            kobo = major_to_minor(form.get("amount", "0").strip(), "NGN")
            txn = self.bank_transfer(account_number=form.get("account_number", "").strip(), amount=kobo)
        except (KeyError, ValueError, ProviderError):
            return SimResponse(400, "<h1>No such account</h1>")
        return SimResponse(200, f"<h1>Sent</h1><p>Reference {html.escape(txn['reference'])}</p>")

    # -- banks, recipients, transfers, balance -----------------------------------
    def _bank_objects(self, country: str) -> list[dict[str, Any]]:
        return [{"name": name, "slug": name.lower().replace(" ", "-"), "code": code, "longcode": "",
                 "gateway": None, "pay_with_bank": False, "supports_transfer": True, "active": True,
                 "is_deleted": False, "country": FULL_COUNTRY.get(country, ""), "currency": CURRENCIES.get(country, ""),
                 "type": "nuban" if country == "NG" else "ghipss", "id": i,
                 "createdAt": "2020-12-07T16:19:09.000Z", "updatedAt": "2020-12-07T16:19:19.000Z"}
                for i, (code, name) in enumerate(BANKS.get(country, []), start=1)]

    def list_banks(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        country = COUNTRY_NAMES.get(request.query.get("country", "nigeria").lower(), "")
        if request.query.get("currency"):
            country = next((c for c, cur in CURRENCIES.items() if cur == request.query["currency"]), "")
        banks = self._bank_objects(country)
        try:
            per_page = int(request.query.get("perPage", 50))
        except ValueError:
            per_page = 50
        return _ok("Banks retrieved", banks[:per_page], meta={"next": None, "previous": None, "perPage": per_page})

    def _bank_name(self, bank_code: str) -> str:
        return next((name for banks in BANKS.values() for code, name in banks if code == bank_code), "")

    def _account_name(self, bank_code: str, account_number: str) -> str | None:
        if not self._bank_name(bank_code) or len(account_number) != 10 or not account_number.isdigit():
            return None
        if account_number.startswith("99"):
            return None
        return self.accounts.get((bank_code, account_number), f"ACCOUNT HOLDER {account_number[-4:]}")

    def resolve(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        number, bank = request.query.get("account_number", ""), request.query.get("bank_code", "")
        name = self._account_name(bank, number)
        if name is None:
            return _fail(422, "Could not resolve account name. Check parameters or try again.")
        return _ok("Account number resolved", {"account_number": number, "account_name": name, "bank_id": 9})

    def create_recipient(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        payload = request.json() or {}
        number, bank = str(payload.get("account_number", "")), str(payload.get("bank_code", ""))
        name = self._account_name(bank, number)
        if name is None:
            return _fail(422, "Cannot resolve account")
        with self.lock:
            existing = next((r for r in self.recipients.values()
                             if r["details"]["account_number"] == number and r["details"]["bank_code"] == bank), None)
            if existing:  # like Paystack: same account -> the existing recipient
                return _ok("Transfer recipient created successfully", existing, 201)
            code = "RCP_" + secrets.token_hex(8)[:15]
            now = _now()
            recipient = {"active": True, "createdAt": now, "currency": payload.get("currency", "NGN"),
                         "description": payload.get("description") or None, "domain": "test", "email": None,
                         "id": next(self._ids), "integration": INTEGRATION_ID,
                         "metadata": payload.get("metadata") or None, "name": payload.get("name") or name,
                         "recipient_code": code, "type": payload.get("type", "nuban"), "updatedAt": now,
                         "is_deleted": False, "details": {"authorization_code": None, "account_number": number,
                                                          "account_name": name, "bank_code": bank,
                                                          "bank_name": self._bank_name(bank)}}
            self.recipients[code] = recipient
        return _ok("Transfer recipient created successfully", recipient, 201)

    def fetch_recipient(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        with self.lock:
            wanted = request.groups[0]
            recipient = self.recipients.get(wanted) or next(
                (r for r in self.recipients.values() if str(r["id"]) == wanted), None)
            if recipient is None:
                return _fail(404, "Recipient not found")
            return _ok("Recipient retrieved", dict(recipient))

    def get_balance(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        with self.lock:
            return _ok("Balances retrieved", [{"currency": "NGN", "balance": self.balance}])

    def create_transfer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        payload = request.json() or {}
        reference = str(payload.get("reference") or secrets.token_hex(8))
        try:
            amount = int(payload.get("amount", ""))
        except (TypeError, ValueError):
            return _fail(400, "Invalid amount")
        with self.lock:
            if reference in self.transfers:
                return _fail(400, "Duplicate Transfer Reference")
            recipient = self.recipients.get(str(payload.get("recipient", "")))
            if recipient is None:
                return _fail(400, "Recipient specified is invalid")
            if amount < self.min_transfer:
                return _fail(400, "Amount must be at least 100 NGN")
            if amount > self.balance:
                return _fail(400, "Your balance is not enough to fulfil this request")
            self.balance -= amount
            now = _now()
            transfer = {"integration": INTEGRATION_ID, "domain": "test", "amount": amount,
                        "currency": payload.get("currency", recipient["currency"]), "source": "balance",
                        "source_details": None, "failures": None, "titan_code": None, "transferred_at": None,
                        "reason": payload.get("reason", ""), "reference": reference, "request": next(self._ids),
                        "status": "pending", "transfer_code": "TRF_" + secrets.token_hex(8)[:15],
                        "id": next(self._ids), "recipient": recipient, "createdAt": now, "updatedAt": now,
                        "session": {"provider": None, "id": None}, "fee_charged": 0, "fees_breakdown": None,
                        "gateway_response": None}
            self.transfers[reference] = transfer
            plan = self.outcome_plan(reference, request)
            self.plans[reference] = plan
            if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
                self.polls_left[reference] = plan.polls
            answer = {k: v for k, v in transfer.items() if k != "recipient"} | {"recipient": recipient["id"]}
        if not (plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS):
            threading.Thread(target=self._settle_transfer, args=(reference,), daemon=True).start()
        return _ok("Transfer has been queued", answer)

    def _settle_transfer(self, reference: str) -> None:
        time.sleep(self.transfer_delay)
        with self.lock:
            transfer = self.transfers[reference]
            plan = self.plans.get(reference)
            mode = plan.mode if plan else None
            if mode is FaultMode.FAILURE:
                transfer.update(status="failed", failures="Beneficiary account could not be credited")
                self.balance += transfer["amount"]
                events = ["transfer.failed"]
            elif mode is FaultMode.REVERSED:
                transfer.update(status="success", transferred_at=_now())
                events = ["transfer.success", "transfer.reversed"]
            else:
                transfer.update(status="success", transferred_at=_now())
                events = ["transfer.success"]
            transfer["updatedAt"] = _now()
        for event in events:
            if event == "transfer.reversed":
                time.sleep(self.transfer_delay if self.reversal_delay is None else self.reversal_delay)
                with self.lock:
                    transfer.update(status="reversed", updatedAt=_now())
                    self.balance += transfer["amount"]
            with self.lock:
                data = dict(transfer)
            self.deliver({"event": event, "data": data}, plan=plan)

    def verify_transfer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        reference = request.groups[0]
        settle = False
        with self.lock:
            transfer = self.transfers.get(reference)
            if transfer is None:
                return _fail(404, "Transfer not found")
            if reference in self.polls_left and transfer["status"] == "pending":
                self.polls_left[reference] -= 1
                settle = self.polls_left[reference] <= 0
                if settle:
                    self.plans[reference] = None
                    del self.polls_left[reference]
            data = dict(transfer)
        if settle:
            self._settle_transfer(reference)
            with self.lock:
                data = dict(self.transfers[reference])
        return _ok("Transfer retrieved", data)

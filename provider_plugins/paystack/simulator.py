"""A local Paystack: the same endpoints, JSON envelopes and webhook signature as api.paystack.co.

Endpoints: ``POST /transaction/initialize``, ``GET /transaction/verify/:reference``,
``GET /transaction/:id``, ``GET /bank``, ``GET /bank/resolve``, ``POST /transferrecipient``,
``POST /transfer``, ``GET /transfer/verify/:reference``. The hosted checkout is
``GET /checkout/:access_code`` (a page with Pay / Decline buttons); tests can call
:meth:`PaystackSimulator.complete` instead. Webhooks (``charge.success``,
``transfer.success|failed|reversed``) are POSTed to ``webhook_url`` with
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

from provider_plugins.interfaces.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer
from provider_plugins.interfaces.payments import minor_to_major

BANKS = {
    "NG": [("044", "Access Bank"), ("058", "Guaranty Trust Bank"), ("057", "Zenith Bank"),
           ("033", "United Bank For Africa"), ("011", "First Bank of Nigeria"), ("50211", "Kuda Bank")],
    "GH": [("280100", "Access Bank Ghana"), ("030100", "Absa Bank Ghana"), ("040100", "Ecobank Ghana")],
}
COUNTRY_NAMES = {"nigeria": "NG", "ghana": "GH"}
CURRENCIES = {"NG": "NGN", "GH": "GHS"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _fail(status: int, message: str) -> SimResponse:
    return SimResponse(status, {"status": False, "message": message})


def _ok(message: str, data: Any, status: int = 200) -> SimResponse:
    return SimResponse(status, {"status": True, "message": message, "data": data})


class PaystackSimulator(SimulatorServer):
    name = "paystack"

    def __init__(self, *, secret_key: str = "sk_test_simulator", webhook_url: str = "",  # noqa: S107 - test key
                 min_amount: int = 100, min_transfer: int = 10_000, balance: int = 10**12,
                 transfer_delay: float = 0.05, **kwargs: Any) -> None:
        self.secret_key = secret_key
        self.min_amount = min_amount
        self.min_transfer = min_transfer
        self.balance = balance
        self.transfer_delay = transfer_delay
        self.transactions: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        self.recipients: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.accounts: dict[tuple[str, str], str] = {("058", "0123456789"): "ADA OBI LOVELACE"}
        self._ids = itertools.count(4_000_000_001)
        super().__init__(webhook_url=webhook_url, **kwargs)

    def routes(self) -> None:
        self.route("POST", r"/transaction/initialize", self.initialize)
        self.route("GET", r"/transaction/verify/([^/]+)", self.verify)
        self.route("GET", r"/transaction/(\d+)", self.fetch)
        self.route("GET", r"/checkout/([^/]+)", self.checkout_page)
        self.route("POST", r"/checkout/([^/]+)/pay", self.checkout_pay)
        self.route("POST", r"/_simulator/complete/([^/]+)", self.control_complete)
        self.route("GET", r"/bank", self.list_banks)
        self.route("GET", r"/bank/resolve", self.resolve)
        self.route("POST", r"/transferrecipient", self.create_recipient)
        self.route("POST", r"/transfer", self.create_transfer)
        self.route("GET", r"/transfer/verify/([^/]+)", self.verify_transfer)

    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        key = (self.secret_key + "-wrong" if bad else self.secret_key).encode()
        return {"x-paystack-signature": hmac.new(key, body, hashlib.sha512).hexdigest()}

    def _authorized(self, request: SimRequest) -> bool:
        return hmac.compare_digest(request.header("Authorization"), f"Bearer {self.secret_key}")

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
            self.transactions[reference] = {
                "id": next(self._ids), "domain": "test", "status": "abandoned", "reference": reference,
                "amount": amount, "currency": currency, "gateway_response": "The transaction was not completed",
                "paid_at": None, "created_at": _now(), "channel": "card", "access_code": access_code,
                "callback_url": payload.get("callback_url") or "", "customer": {"email": email},
                "metadata": payload.get("metadata") or {},
            }
            self.plans[reference] = self.outcome_plan(reference, request)
        return _ok("Authorization URL created", {
            "authorization_url": f"{self.url}/checkout/{access_code}", "access_code": access_code,
            "reference": reference})

    def _public(self, txn: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in txn.items() if k not in ("access_code", "callback_url")}
        data["paidAt"] = data["paid_at"]
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

    def _tick(self, reference: str) -> bool:
        """One status query on a pending_then_success payment; True when it just succeeded."""
        txn = self.transactions[reference]
        if txn["status"] != "ongoing":
            return False
        self.polls_left[reference] -= 1
        if self.polls_left[reference] > 0:
            return False
        txn.update(status="success", gateway_response="Successful", paid_at=_now())
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
                txn.update(status="success", gateway_response="Successful", paid_at=_now())
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

    # -- banks and transfers -----------------------------------------------------
    def list_banks(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _fail(401, "Invalid key")
        country = COUNTRY_NAMES.get(request.query.get("country", "nigeria").lower(), "")
        if request.query.get("currency"):
            country = next((c for c, cur in CURRENCIES.items() if cur == request.query["currency"]), "")
        banks = [{"id": i, "name": name, "slug": name.lower().replace(" ", "-"), "code": code,
                  "country": country, "currency": CURRENCIES.get(country, ""), "type": "nuban", "active": True}
                 for i, (code, name) in enumerate(BANKS.get(country, []), start=1)]
        return _ok("Banks retrieved", banks)

    def _account_name(self, bank_code: str, account_number: str) -> str | None:
        known_banks = {code for banks in BANKS.values() for code, _ in banks}
        if bank_code not in known_banks or len(account_number) != 10 or not account_number.isdigit():
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
            code = "RCP_" + secrets.token_hex(6)
            recipient = {"id": next(self._ids), "recipient_code": code, "type": payload.get("type", "nuban"),
                         "name": payload.get("name") or name, "currency": payload.get("currency", "NGN"),
                         "active": True, "details": {"account_number": number, "account_name": name,
                                                     "bank_code": bank}}
            self.recipients[code] = recipient
        return _ok("Transfer recipient created successfully", recipient, 201)

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
            transfer = {"id": next(self._ids), "domain": "test", "amount": amount,
                        "currency": payload.get("currency", recipient["currency"]), "source": "balance",
                        "reason": payload.get("reason", ""), "reference": reference, "status": "pending",
                        "transfer_code": "TRF_" + secrets.token_hex(6), "recipient": recipient,
                        "failures": None, "createdAt": _now(), "updatedAt": _now()}
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
                transfer.update(status="success")
                events = ["transfer.success", "transfer.reversed"]
            else:
                transfer.update(status="success")
                events = ["transfer.success"]
            transfer["updatedAt"] = _now()
        for event in events:
            if event == "transfer.reversed":
                time.sleep(self.transfer_delay)
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

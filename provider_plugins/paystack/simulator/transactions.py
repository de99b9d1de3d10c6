"""Transactions: initialize, verify, fetch, list; the hosted checkout page and the payment's outcome."""

from __future__ import annotations

import html
import secrets
from typing import Any

from provider_plugins.interfaces.payments import minor_to_major
from provider_plugins.simkit.gateway_sim import FaultMode, SimRequest, SimResponse

from .base import PaystackBase, fail, ok, page_meta


class TransactionEndpoints(PaystackBase):
    def initialize(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        payload = request.json() or {}
        email = str(payload.get("email") or "")
        if "@" not in email:
            return fail(400, "Invalid Email Address Passed")
        try:
            amount = int(payload.get("amount", ""))
        except (TypeError, ValueError):
            return fail(400, "Invalid Amount Sent")
        if amount < self.min_amount:
            return fail(400, "Invalid Amount Sent")
        currency = payload.get("currency") or "NGN"
        if currency not in ("NGN", "GHS", "USD", "ZAR", "KES", "XOF"):
            return fail(400, "Currency not supported by merchant")
        reference = payload.get("reference") or secrets.token_hex(8)
        with self.lock:
            if reference in self.transactions:
                return fail(400, "Duplicate Transaction Reference")
            access_code = secrets.token_hex(8)
            customer = self._customer_for(email)
            self.transactions[reference] = self._new_transaction(
                reference=reference, amount=amount, currency=currency, customer=customer, channel="card",
                status="abandoned", gateway_response="The transaction was not completed",
                metadata=payload.get("metadata") or "", access_code=access_code,
                callback_url=payload.get("callback_url") or "")
            self.plans[reference] = self.outcome_plan(reference, request)
        return ok("Authorization URL created", {
            "authorization_url": f"{self.url}/checkout/{access_code}", "access_code": access_code,
            "reference": reference})

    def verify(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        reference = request.groups[0]
        with self.lock:
            txn = self.transactions.get(reference)
            if txn is None:
                return fail(400, "Transaction reference not found")
            became_final = self._tick(reference)
            data = self._public(txn)
        if became_final:
            self._notify_charge(reference)
        return ok("Verification successful", data)

    def fetch(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        with self.lock:
            for txn in self.transactions.values():
                if str(txn["id"]) == request.groups[0]:
                    return ok("Transaction retrieved", self._public(txn))
        return fail(404, "Transaction not found")

    def list_transactions(self, request: SimRequest) -> SimResponse:
        """``GET /transaction?customer=<id>&status=success&perPage=&page=`` (newest first)."""
        if not self._authorized(request):
            return fail(401, "Invalid key")
        query = request.query
        try:
            per_page, page = int(query.get("perPage", 50)), int(query.get("page", 1))
        except ValueError:
            return fail(400, "Invalid pagination")
        with self.lock:
            rows = list(self.transactions.values())
            if query.get("customer"):
                customer = self._find_customer(query["customer"])
                rows = [t for t in rows if customer and t["customer_code"] == customer["customer_code"]]
            if query.get("status"):
                rows = [t for t in rows if t["status"] == query["status"]]
            rows.sort(key=lambda t: t["id"], reverse=True)
            data = [self._public(t) for t in rows[(page - 1) * per_page:page * per_page]]
        return ok("Transactions retrieved", data, meta=page_meta(len(rows), per_page, page))

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
            return fail(404, "Transaction not found")
        return ok("completed", self.complete(request.groups[0], approve=payload.get("approve", True)))

    def _by_access_code(self, code: str) -> dict[str, Any] | None:
        with self.lock:
            return next((t for t in self.transactions.values() if t["access_code"] == code), None)

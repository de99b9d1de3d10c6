"""Dedicated virtual accounts (``/dedicated_account...``) and bank transfers into them (a ``dedicated_nuban``
transaction and its ``charge.success``), with the demo's bank page."""

from __future__ import annotations

import html
import secrets
import threading
import time
from typing import Any

from provider_plugins.interfaces.common import ProviderError
from provider_plugins.interfaces.payments import major_to_minor
from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse

from .base import DVA_PROVIDERS, INTEGRATION_ID, PaystackBase, fail, iso_now, ok, page_meta


class DedicatedAccountEndpoints(PaystackBase):
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
        now = iso_now()
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
            return fail(401, "Invalid key")
        payload = request.json() or {}
        with self.lock:
            customer = self._find_customer(str(payload.get("customer") or ""))
            if customer is None:
                return fail(400, "Customer not found")
            for key in ("first_name", "last_name", "phone"):
                if payload.get(key):
                    customer[key] = payload[key]
            dva = self._open_dva(customer, str(payload.get("preferred_bank") or ""))
            if isinstance(dva, str):
                return fail(400, dva)
            data = self._dva_public(dva)
        return ok("NUBAN successfully created", data)

    def dva_assign(self, request: SimRequest) -> SimResponse:
        """Create the customer and assign an account; the result comes as ``dedicatedaccount.assign.*`` webhook."""
        if not self._authorized(request):
            return fail(401, "Invalid key")
        payload = request.json() or {}
        email = str(payload.get("email") or "")
        if "@" not in email:
            return fail(400, "Invalid Email Address Passed")
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
        return ok("Assign dedicated account in progress", None)

    def _deliver_later(self, event: dict[str, Any], plan: Fault | None) -> None:
        time.sleep(self.transfer_delay)
        self.deliver(event, plan=plan)

    def dva_list(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
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
        return ok("Managed accounts successfully retrieved", data, meta=page_meta(len(data)))

    def dva_fetch(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        with self.lock:
            dva = self.dedicated_accounts.get(int(request.groups[0]))
            if dva is None:
                return fail(404, "Dedicated account not found")
            return ok("Managed account successfully retrieved", self._dva_public(dva))

    def dva_deactivate(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        with self.lock:
            dva = self.dedicated_accounts.get(int(request.groups[0]))
            if dva is None:
                return fail(404, "Dedicated account not found")
            dva.update(active=False, assigned=False, updated_at=iso_now())
            dva["assignment"] = {**dva["assignment"], "expired": True, "expired_at": iso_now()}
            return ok("Managed Account Successfully Unassigned", self._dva_public(dva))

    def dva_providers(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        return ok("Dedicated account providers retrieved", [dict(p) for p in DVA_PROVIDERS])

    def dva_requery(self, request: SimRequest) -> SimResponse:
        """Paystack re-checks the account with the bank and sends the webhooks again: here, of every success."""
        if not self._authorized(request):
            return fail(401, "Invalid key")
        number = request.query.get("account_number", "")
        with self.lock:
            dva = next((d for d in self.dedicated_accounts.values() if d["account_number"] == number), None)
            if dva is None:
                return fail(400, "Dedicated account not found")
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
            return fail(400, str(exc))
        return ok("transfer received", txn)

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

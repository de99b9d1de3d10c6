"""The Paystack simulator's state, fixtures and the helpers every concern shares (Paystack's JSON envelope,
customers as embedded in other objects, the transaction record and its ``charge.success`` webhook)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from provider_plugins.simkit.gateway_sim import Fault, SimRequest, SimResponse, SimulatorServer

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


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def fail(status: int, message: str) -> SimResponse:
    return SimResponse(status, {"status": False, "message": message})


def ok(message: str, data: Any, status: int = 200, meta: dict[str, Any] | None = None) -> SimResponse:
    body: dict[str, Any] = {"status": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return SimResponse(status, body)


def page_meta(total: int, per_page: int = 50, page: int = 1) -> dict[str, Any]:
    return {"total": total, "skipped": 0, "perPage": per_page, "page": page,
            "pageCount": max(1, -(-total // per_page))}


class PaystackBase(SimulatorServer):
    """State and shared helpers; the endpoints are in the concern mixins (``PaystackSimulator`` composes them)."""

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
                    "identifications": None, "createdAt": iso_now(), "updatedAt": iso_now()}
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

    # -- transactions (a bank transfer into a dedicated account is one too) ------
    def _new_transaction(self, *, reference: str, amount: int, currency: str, customer: dict[str, Any],
                         channel: str, status: str, gateway_response: str, metadata: Any = "",
                         access_code: str = "", callback_url: str = "") -> dict[str, Any]:
        now = iso_now()
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
        txn.update(status="success", gateway_response="Successful", paid_at=iso_now())
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

    def _notify_charge(self, reference: str) -> None:
        with self.lock:
            data = self._public(self.transactions[reference])
            plan = self.plans.get(reference)
        self.deliver({"event": "charge.success", "data": data}, plan=plan)

    # -- dedicated virtual accounts (also embedded in a customer) ---------------
    def _dva_public(self, dva: dict[str, Any], *, with_customer: bool = True) -> dict[str, Any]:
        data = {k: v for k, v in dva.items() if k != "customer_code"}
        if with_customer:
            customer = self.customers.get(dva["customer_code"])
            data["customer"] = self._customer_public(customer) if customer else None
        return data


"""A local Flutterwave v3: standard payment links, transaction verification, listing and refunds,
``verif-hash`` webhooks, balances, bank list, account resolution, transfer fees and transfers.

Endpoints: ``POST /v3/payments``, ``GET /v3/transactions/:id/verify``,
``GET /v3/transactions/verify_by_reference?tx_ref=``, ``GET /v3/transactions[?tx_ref=&status=&page=]``,
``POST /v3/transactions/:id/refund``, ``GET /v3/refunds[/:id]``, ``GET /v3/balances[/:currency]``,
``GET /v3/banks/:country``, ``POST /v3/accounts/resolve``, ``GET /v3/transfers/fee?amount=&currency=``,
``POST /v3/transfers``, ``GET /v3/transfers/:id``, ``GET /v3/transfers[?reference=&status=&page=]``.
The hosted page is ``GET /checkout/:token``.
Amounts on the wire are in MAJOR units (``2500.5`` NGN), as at Flutterwave.
A transaction only exists (has an id) once the customer attempted payment. A transfer debits the
wallet of its currency by its amount and fee (NGN: 10.75 up to 5,000, 26.875 up to 50,000, 53.75
above); a refund debits the amount refunded.

Published protocol: https://developer.flutterwave.com/docs/transaction-verification,
https://developer.flutterwave.com/reference/endpoints/transactions (verify, list, refund),
https://developer.flutterwave.com/reference/endpoints/refunds, https://developer.flutterwave.com/reference/endpoints/balances,
https://developer.flutterwave.com/reference/endpoints/banks, https://developer.flutterwave.com/reference/endpoints/transfers
(create, fetch, list, fee) and https://developer.flutterwave.com/v3.0/docs/webhooks (``verif-hash`` is the
dashboard's secret hash).

Fidelity: tests/gateways/test_flutterwave_sdk_fidelity.py runs the v3 client of the community package
``django-flutterwave-wallet`` (``FlutterwaveClient(base_url=...)``) against this server. The official
``rave_python`` (1.5.0) speaks v2 only (``v2/gpx/transfers/create``, ``flwv3-pug/getpaidx``, ``seckey``
in the body), picks its host from a ``production`` flag and calls Flutterwave's identity and telemetry
hosts from its constructor; ``python-flutterwave`` (1.2.2: only ``/v3/charges`` and tokenized charges;
0.9.11: ``/v3/payments``, verify, ``/v3/accounts/resolve``) and ``flwave`` 1.0 hard-code
``https://api.flutterwave.com`` inside each function; ``tayflutterwave``, ``python-rave`` and ``pyrave`` are v2.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any
from urllib.parse import urlencode

from provider_plugins.interfaces.common import ProviderError
from provider_plugins.interfaces.money import currency_exponent
from provider_plugins.interfaces.payments import major_to_minor, minor_to_major
from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer

BANKS = {
    "NG": [("044", "Access Bank"), ("058", "GTBank Plc"), ("057", "Zenith Bank"), ("033", "United Bank for Africa")],
    "GH": [("GH280100", "Access Bank Ghana"), ("GH030100", "Absa Bank Ghana")],
}


BANK_NAMES = {code: name for banks in BANKS.values() for code, name in banks}
# Flutterwave's published NGN transfer fees (VAT included): up to 5,000, up to 50,000, above.
NGN_TRANSFER_FEES = ((500_000, Decimal("10.75")), (5_000_000, Decimal("26.875")), (None, Decimal("53.75")))
PER_PAGE = 10


def transfer_fee(amount_minor: int, currency: str) -> Decimal:
    """The fee of a transfer, in major units (it may have more decimals than the currency: 26.875 NGN)."""
    if currency == "NGN":
        return next(fee for ceiling, fee in NGN_TRANSFER_FEES if ceiling is None or amount_minor <= ceiling)
    return (Decimal(minor_to_major(amount_minor, currency)) / 100).quantize(Decimal("0.01"))  # 1% elsewhere


def _major_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _page(items: list[dict[str, Any]], request: SimRequest, message: str) -> SimResponse:
    page = int(request.query["page"]) if request.query.get("page", "").isdigit() else 1
    page = max(page, 1)
    total_pages = max((len(items) + PER_PAGE - 1) // PER_PAGE, 1)
    shown = items[(page - 1) * PER_PAGE:page * PER_PAGE]
    return SimResponse(200, {"status": "success", "message": message,
                             "meta": {"page_info": {"total": len(items), "current_page": page,
                                                    "total_pages": total_pages}},
                             "data": shown})


def _payload(request: SimRequest) -> dict[str, Any]:
    """The JSON body, its numbers read exactly: Flutterwave takes an amount as a string (``"2500.50"``) or a JSON
    number (``2500.5``), and a number must not pass through a float."""
    try:
        body = json.loads(request.body or b"{}", parse_float=Decimal)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _wire(amount_minor: int, currency: str) -> int | float:
    """Major units as a JSON number, like Flutterwave sends them."""
    value = Decimal(minor_to_major(amount_minor, currency))
    return int(value) if value == value.to_integral_value() else float(value)


def _error(status: int, message: str) -> SimResponse:
    return SimResponse(status, {"status": "error", "message": message, "data": None})


def _ok(message: str, data: Any) -> SimResponse:
    return SimResponse(200, {"status": "success", "message": message, "data": data})


class FlutterwaveSimulator(SimulatorServer):
    name = "flutterwave"

    def __init__(self, *, secret_key: str = "FLWSECK_TEST-simulator-X", secret_hash: str = "flw-sim-hash",  # noqa: S107
                 webhook_url: str = "", balance_minor: int = 10**12, transfer_delay: float = 0.05,
                 **kwargs: Any) -> None:
        self.secret_key = secret_key
        self.secret_hash = secret_hash
        self.wallets: dict[str, int] = {}  # currency -> available balance (minor units)
        self._opening_balance = balance_minor
        self.transfer_delay = transfer_delay
        self.refunds: dict[int, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}  # tx_ref -> checkout
        self.transactions: dict[int, dict[str, Any]] = {}  # id -> transaction (minor units inside)
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[int, int] = {}
        self.transfers: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(288_200_108)
        super().__init__(webhook_url=webhook_url, **kwargs)

    @property
    def balance_minor(self) -> int:
        """Every currency wallet's opening balance; setting it sets every wallet to it."""
        return self._opening_balance

    @balance_minor.setter
    def balance_minor(self, value: int) -> None:
        with self.lock:
            self._opening_balance = value
            self.wallets = dict.fromkeys(self.wallets, value)

    def _wallet(self, currency: str) -> int:
        return self.wallets.setdefault(currency, self._opening_balance)

    def routes(self) -> None:
        self.route("POST", r"/v3/payments", self.create_link)
        self.route("GET", r"/v3/transactions/(\d+)/verify", self.verify_by_id)
        self.route("GET", r"/v3/transactions/verify_by_reference", self.verify_by_reference)
        self.route("GET", r"/v3/transactions", self.list_transactions)
        self.route("POST", r"/v3/transactions/(\d+)/refund", self.refund)
        self.route("GET", r"/v3/refunds", self.list_refunds)
        self.route("GET", r"/v3/refunds/(\d+)", self.get_refund)
        self.route("GET", r"/v3/balances", self.list_balances)
        self.route("GET", r"/v3/balances/([A-Za-z]{3})", self.get_balance)
        self.route("GET", r"/v3/transfers/fee", self.get_transfer_fee)
        self.route("GET", r"/checkout/([^/]+)", self.checkout_page)
        self.route("POST", r"/checkout/([^/]+)/pay", self.checkout_pay)
        self.route("POST", r"/_simulator/complete/([^/]+)", self.control_complete)
        self.route("GET", r"/v3/banks/([A-Za-z]{2})", self.list_banks)
        self.route("POST", r"/v3/accounts/resolve", self.resolve)
        self.route("POST", r"/v3/transfers", self.create_transfer)
        self.route("GET", r"/v3/transfers/(\d+)", self.get_transfer)
        self.route("GET", r"/v3/transfers", self.find_transfers)

    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        return {"verif-hash": self.secret_hash + ("-wrong" if bad else "")}

    def _authorized(self, request: SimRequest) -> bool:
        return request.header("Authorization") == f"Bearer {self.secret_key}"

    # -- collections -------------------------------------------------------------
    def create_link(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        payload = _payload(request)
        tx_ref, currency = str(payload.get("tx_ref") or ""), str(payload.get("currency") or "NGN")
        customer = payload.get("customer") or {}
        if not tx_ref:
            return _error(400, "tx_ref is required")
        if not customer.get("email"):
            return _error(400, "customer.email is required")
        try:
            amount_minor = major_to_minor(payload.get("amount"), currency)
        except ProviderError:
            return _error(400, "Invalid amount")
        if amount_minor <= 0:
            return _error(400, "Invalid amount")
        with self.lock:
            if tx_ref in self.links:  # Flutterwave dedupes on tx_ref: a reused ref cannot be charged twice
                return _error(400, "A transaction with this tx_ref already exists")
            token = secrets.token_hex(10)
            self.links[tx_ref] = {"tx_ref": tx_ref, "token": token, "amount": amount_minor, "currency": currency,
                                  "redirect_url": payload.get("redirect_url", ""), "customer": customer,
                                  "meta": payload.get("meta"), "transaction_id": None}
            self.plans[tx_ref] = self.outcome_plan(tx_ref, request)
        return _ok("Hosted Link", {"link": f"{self.url}/checkout/{token}"})

    MONEY_FIELDS = ("amount", "charged_amount", "app_fee", "merchant_fee", "amount_settled")

    def _public(self, txn: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in txn.items() if k not in self.MONEY_FIELDS and not k.startswith("_")}
        for key in self.MONEY_FIELDS:
            data[key] = _wire(txn[key], txn["currency"])
        return data

    def _tick(self, txn_id: int) -> bool:
        txn = self.transactions[txn_id]
        if txn["status"] != "pending" or txn_id not in self.polls_left:
            return False
        self.polls_left[txn_id] -= 1
        if self.polls_left[txn_id] > 0:
            return False
        txn.update(status="successful", processor_response="Approved by Financial Institution")
        return True

    def _verify(self, txn: dict[str, Any] | None) -> SimResponse:
        if txn is None:
            return _error(400, "No transaction was found for this id")
        with self.lock:
            flipped = self._tick(txn["id"])
            data = self._public(txn)
        if flipped:
            self._notify(txn["id"])
        return _ok("Transaction fetched successfully", data)

    def verify_by_id(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        return self._verify(self.transactions.get(int(request.groups[0])))

    def verify_by_reference(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        link = self.links.get(request.query.get("tx_ref", ""))
        txn = self.transactions.get(link["transaction_id"]) if link and link["transaction_id"] else None
        return self._verify(txn)

    def complete(self, tx_ref: str, *, approve: bool = True, amount_minor: int | None = None,
                 currency: str | None = None) -> dict[str, Any]:
        """The customer pays on the hosted page (optionally a different amount/currency, as a
        tampered inline checkout would). A tx_ref is charged once."""
        with self.lock:
            link = self.links[tx_ref]
            if link["transaction_id"] is not None:
                return self._public(self.transactions[link["transaction_id"]])
            plan = self.plans[tx_ref] = self.plan_for(tx_ref, self.plans.get(tx_ref))
            mode = plan.mode if plan else None
            txn_id = next(self._ids)
            amount = link["amount"] if amount_minor is None else amount_minor
            status = "successful"
            if not approve or mode is FaultMode.FAILURE:
                status = "failed"
            elif mode is FaultMode.PENDING_THEN_SUCCESS:
                status = "pending"
                self.polls_left[txn_id] = plan.polls if plan else 2
            paid_currency = currency or link["currency"]
            app_fee = amount * 14 // 1000  # 1.4%, capped at NGN 2,000 for local NGN cards
            if paid_currency == "NGN":
                app_fee = min(app_fee, 200_000)
            customer = link["customer"]
            self.transactions[txn_id] = {
                "id": txn_id, "tx_ref": tx_ref, "flw_ref": f"FLW-MOCK-{secrets.token_hex(8)}",
                "device_fingerprint": "N/A", "amount": amount, "currency": paid_currency,
                "charged_amount": amount, "app_fee": app_fee, "merchant_fee": 0,
                "processor_response": {"successful": "Approved by Financial Institution", "failed": "Declined",
                                       "pending": "Pending validation"}[status],
                "auth_model": "PIN", "ip": "127.0.0.1", "narration": "CARD Transaction ",
                "status": status, "payment_type": "card", "created_at": _now(), "account_id": 17321,
                "card": {"first_6digits": "553188", "last_4digits": "2950", "issuer": "MASTERCARD  CREDIT",
                         "country": "NG", "type": "MASTERCARD", "token": f"flw-t1nf-{secrets.token_hex(16)}-m03k",
                         "expiry": "09/32"},
                "meta": link.get("meta") or None, "amount_settled": amount - app_fee,
                "customer": {"id": 255_128 + txn_id % 10_000, "name": customer.get("name") or "Anonymous customer",
                             "phone_number": customer.get("phonenumber"), "email": customer.get("email", ""),
                             "created_at": _now()},
                "_refunded": 0,
            }
            link["transaction_id"] = txn_id
            data = self._public(self.transactions[txn_id])
        if status != "pending":
            self._notify(txn_id)
        return data

    def _notify(self, txn_id: int) -> None:
        with self.lock:
            txn = self.transactions[txn_id]
            data = self._public(txn)
            plan = self.plans.get(txn["tx_ref"])
        self.deliver({"event": "charge.completed", "data": data, "event.type": "CARD_TRANSACTION"}, plan=plan)

    def _by_token(self, token: str) -> dict[str, Any] | None:
        with self.lock:
            return next((link for link in self.links.values() if link["token"] == token), None)

    def checkout_page(self, request: SimRequest) -> SimResponse:
        link = self._by_token(request.groups[0])
        if link is None:
            return SimResponse(404, "<h1>Link expired</h1>")
        amount = minor_to_major(link["amount"], link["currency"])
        return SimResponse(200, f"""<!doctype html><html><head><title>Flutterwave simulator checkout</title></head>
<body><h1>Pay {link['currency']} {amount}</h1><p>Reference: {link['tx_ref']}</p>
<form method="post" action="/checkout/{link['token']}/pay"><button name="action" value="pay">Pay</button>
<button name="action" value="decline">Cancel</button></form></body></html>""")

    def checkout_pay(self, request: SimRequest) -> SimResponse:
        link = self._by_token(request.groups[0])
        if link is None:
            return SimResponse(404, "<h1>Link expired</h1>")
        data = self.complete(link["tx_ref"], approve=request.form().get("action", "pay") == "pay")
        if link["redirect_url"]:
            query = urlencode({"status": data["status"], "tx_ref": link["tx_ref"], "transaction_id": data["id"]})
            sep = "&" if "?" in link["redirect_url"] else "?"
            return SimResponse(302, "", {"Location": f"{link['redirect_url']}{sep}{query}"})
        return SimResponse(200, f"<h1>Payment {data['status']}</h1>")

    def control_complete(self, request: SimRequest) -> SimResponse:
        payload = _payload(request)
        if request.groups[0] not in self.links:
            return _error(404, "No such tx_ref")
        return _ok("completed", self.complete(request.groups[0], approve=payload.get("approve", True)))

    # -- banks and transfers -----------------------------------------------------
    def list_banks(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        banks = BANKS.get(request.groups[0].upper(), [])
        return _ok("Banks fetched successfully", [{"id": i, "code": c, "name": n} for i, (c, n) in enumerate(banks, 1)])

    @staticmethod
    def _account_name(bank: str, number: str) -> str | None:
        known = {code for banks in BANKS.values() for code, _ in banks}
        if bank not in known or not number.isdigit() or len(number) != 10 or number.startswith("99"):
            return None
        return f"FLW ACCOUNT {number[-4:]}"

    def resolve(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        payload = _payload(request)
        number, bank = str(payload.get("account_number", "")), str(payload.get("account_bank", ""))
        name = self._account_name(bank, number)
        if name is None:
            return _error(400, "Sorry, that account number is invalid, please check and try again")
        return _ok("Account details fetched", {"account_number": number, "account_name": name})

    def _transfer_public(self, transfer: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in transfer.items() if not k.startswith("_")}
        data["amount"] = _wire(transfer["amount"], transfer["currency"])
        return data

    def create_transfer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        payload = _payload(request)
        reference, currency = str(payload.get("reference") or ""), str(payload.get("currency") or "NGN")
        bank, number = str(payload.get("account_bank", "")), str(payload.get("account_number", ""))
        try:
            amount = major_to_minor(payload.get("amount"), currency)
        except ProviderError:
            return _error(400, "Invalid amount")
        with self.lock:
            if any(t["reference"] == reference for t in self.transfers.values()):
                return _error(400, "Transfer with this reference already exists")
            name = self._account_name(bank, number)
            if name is None:
                return _error(400, "Account resolve failed: invalid account number")
            if amount < 10_000:
                return _error(400, "Minimum transfer amount is 100")
            fee = transfer_fee(amount, currency)
            debit = amount + int((fee * 10 ** currency_exponent(currency)).to_integral_value(ROUND_CEILING))
            if debit > self._wallet(currency):
                return _error(400, "Insufficient balance in your wallet")
            self.wallets[currency] -= debit
            transfer_id = next(self._ids)
            transfer = {"id": transfer_id, "account_number": number, "bank_code": bank, "full_name": name,
                        "created_at": _now(), "currency": currency, "debit_currency": currency, "amount": amount,
                        "fee": _major_number(fee), "status": "NEW", "reference": reference,
                        "meta": payload.get("meta"), "narration": payload.get("narration"),
                        "complete_message": "", "requires_approval": 0, "is_approved": 1,
                        "bank_name": BANK_NAMES.get(bank, bank), "_debit": debit}
            self.transfers[transfer_id] = transfer
            plan = self.outcome_plan(reference, request)
            self.plans[reference] = plan
            if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
                transfer["status"] = "PENDING"
                self.polls_left[transfer_id] = plan.polls
            data = self._transfer_public(transfer)
        if not (plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS):
            threading.Thread(target=self._settle_transfer, args=(transfer_id,), daemon=True).start()
        return _ok("Transfer Queued Successfully", data)

    def _settle_transfer(self, transfer_id: int) -> None:
        time.sleep(self.transfer_delay)
        with self.lock:
            transfer = self.transfers[transfer_id]
            plan = self.plans.get(transfer["reference"])
            if plan and plan.mode is FaultMode.FAILURE:
                transfer.update(status="FAILED", complete_message="DISBURSE FAILED: Account is dormant")
                self.wallets[transfer["currency"]] += transfer["_debit"]
            else:
                transfer.update(status="SUCCESSFUL", complete_message="Transaction was successful")
            data = self._transfer_public(transfer)
        self.deliver({"event": "transfer.completed", "event.type": "Transfer", "data": data}, plan=plan)

    def get_transfer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        transfer_id = int(request.groups[0])
        settle = False
        with self.lock:
            transfer = self.transfers.get(transfer_id)
            if transfer is None:
                return _error(404, "Transfer not found")
            if transfer_id in self.polls_left:
                self.polls_left[transfer_id] -= 1
                if self.polls_left[transfer_id] <= 0:
                    del self.polls_left[transfer_id]
                    self.plans[transfer["reference"]] = None
                    settle = True
        if settle:
            self._settle_transfer(transfer_id)
        with self.lock:
            return _ok("Transfer fetched", self._transfer_public(self.transfers[transfer_id]))

    def find_transfers(self, request: SimRequest) -> SimResponse:
        """Newest first; ``status`` (``NEW``, ``PENDING``, ``SUCCESSFUL``, ``FAILED``) and ``reference`` filter."""
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        reference, status = request.query.get("reference"), request.query.get("status", "").upper()
        with self.lock:
            found = [self._transfer_public(t) for t in reversed(self.transfers.values())
                     if (reference is None or t["reference"] == reference) and (not status or t["status"] == status)]
        return _page(found, request, "Transfers fetched")

    def get_transfer_fee(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        currency = request.query.get("currency", "NGN").upper()
        try:
            amount = major_to_minor(request.query.get("amount"), currency)
        except ProviderError:
            return _error(400, "amount is required and must be a number")
        fee = transfer_fee(amount, currency)
        return _ok("Transfer fee fetched", [{"currency": currency, "fee_type": "value", "fee": _major_number(fee)}])

    # -- transactions, refunds and balances --------------------------------------
    def list_transactions(self, request: SimRequest) -> SimResponse:
        """Newest first; ``tx_ref``, ``status`` and ``currency`` filter."""
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        wanted = {key: request.query[key] for key in ("tx_ref", "status", "currency") if request.query.get(key)}
        with self.lock:
            found = [self._public(t) for t in reversed(self.transactions.values())
                     if all(str(t[key]) == value for key, value in wanted.items())]
        return _page(found, request, "Transactions fetched")

    def refund(self, request: SimRequest) -> SimResponse:
        """Whole or part; from the wallet of the transaction's currency, completed at once."""
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        payload = _payload(request)
        with self.lock:
            txn = self.transactions.get(int(request.groups[0]))
            if txn is None:
                return _error(404, "Transaction not found")
            if txn["status"] != "successful":
                return _error(400, "Only successful transactions can be refunded")
            left = txn["amount"] - txn["_refunded"]
            try:
                amount = left if payload.get("amount") in (None, "") else major_to_minor(payload["amount"],
                                                                                          txn["currency"])
            except ProviderError:
                return _error(400, "Invalid amount")
            if amount <= 0 or amount > left:
                return _error(400, "Refund amount cannot be greater than the amount left on the transaction")
            if amount > self._wallet(txn["currency"]):
                return _error(400, "Insufficient balance in your wallet for this refund")
            self.wallets[txn["currency"]] -= amount
            txn["_refunded"] += amount
            refund_id = next(self._ids)
            self.refunds[refund_id] = {
                "id": refund_id, "account_id": txn["account_id"], "tx_id": txn["id"],
                "flw_ref": f"URF_{int(time.time() * 1000)}_{secrets.randbelow(10**7):07d}", "wallet_id": 74_639,
                "amount_refunded": amount, "status": "completed", "destination": "payment_source",
                "meta": {"source": "availablebalance"}, "comments": payload.get("comments") or "",
                "currency": txn["currency"], "created_at": _now()}
            data = self._refund_public(self.refunds[refund_id])
        return _ok("Transaction refund initiated", data)

    @staticmethod
    def _refund_public(refund: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in refund.items() if k != "currency"}
        data["amount_refunded"] = _wire(refund["amount_refunded"], refund["currency"])
        return data

    def get_refund(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        with self.lock:
            refund = self.refunds.get(int(request.groups[0]))
            if refund is None:
                return _error(404, "Refund not found")
            return _ok("Refund fetched", self._refund_public(refund))

    def list_refunds(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        with self.lock:
            found = [self._refund_public(r) for r in reversed(self.refunds.values())]
        return _page(found, request, "Refunds fetched")

    def _balance(self, currency: str) -> dict[str, Any]:
        available = _wire(self._wallet(currency), currency)
        return {"currency": currency, "available_balance": available, "ledger_balance": available}

    def list_balances(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        with self.lock:
            currencies = sorted(set(self.wallets) | {"NGN"})
            return _ok("Wallet balances fetched", [self._balance(c) for c in currencies])

    def get_balance(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return _error(401, "Invalid authorization key")
        with self.lock:
            return _ok("Wallet balance fetched", self._balance(request.groups[0].upper()))

"""A local CinetPay: payment v2 (initialise, payer page, check, signed notification) and Transfer API v1.

Speaks the protocol described in ``connector.py``. The payer page is ``payment_url``
(``GET /payment/<payment_token>``, Pay / Decline): paying marks the transaction ``ACCEPTED``, POSTs
the ``cpm_*`` notification with ``x-token`` to ``notify_url`` and sends the browser back to
``return_url`` with a form POST of ``transaction_id`` and ``token`` (as CinetPay does). Transfers
start ``NEW``, become ``VAL`` after ``transfer_delay`` and a notification is POSTed to the transfer's
``notify_url``. Magic values: a transfer to a phone ending in ``0000`` is rejected (``REJ``).
Faults: ``failure`` (payment REFUSED / transfer REJ), ``pending_then_success``, ``reversed`` (VAL,
then REJ: CinetPay reversing a credited transfer), ``duplicate_webhook``, ``bad_signature`` and the
transport faults.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import requests

from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer
from provider_plugins.simkit.local_server import serve_until_interrupted

from .connector import NOTIFICATION_FIELDS, notification_token

DEFAULT_APIKEY = "12912847765bc0db748fdd44.94147138"  # the shape of a CinetPay apikey (digits + hex . digits)
DEFAULT_SITE_ID = "445160"
DEFAULT_SECRET_KEY = "202363829465bc0db8c6c2a1.23578941"  # noqa: S105 - simulator secret
DEFAULT_TRANSFER_PASSWORD = "cinetpay-sim-password"  # noqa: S105 - simulator password
PAYMENT_METHODS = {"225": "OMCI", "221": "OMSN", "226": "OMBF", "223": "OMML", "228": "FLOOZTG", "229": "MTNBJ",
                   "227": "AIRTELNE", "224": "OMGN"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _v2(code: str, message: str, data: Any = None, description: str = "", status: int = 200) -> SimResponse:
    body: dict[str, Any] = {"code": code, "message": message, "api_response_id": secrets.token_hex(8)}
    if description:
        body["description"] = description
    if data is not None:
        body["data"] = data
    return SimResponse(status, body)


def _v1(code: int, message: str, data: Any = None, status: int = 200) -> SimResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return SimResponse(status, body)


class CinetPaySimulator(SimulatorServer):
    name = "cinetpay"
    unfaulted_prefixes = ("/_simulator/", "/payment/")

    def __init__(self, *, apikey: str = DEFAULT_APIKEY, site_id: str = DEFAULT_SITE_ID,
                 secret_key: str = DEFAULT_SECRET_KEY, transfer_password: str = DEFAULT_TRANSFER_PASSWORD,
                 transfer_delay: float = 0.05, balance: int = 50_000_000, **kwargs: Any) -> None:
        self.apikey, self.site_id, self.secret_key = apikey, site_id, secret_key
        self.transfer_password = transfer_password
        self.transfer_delay = transfer_delay
        self.balance = balance
        self.transactions: dict[str, dict[str, Any]] = {}  # transaction_id -> payment
        self.tokens: dict[str, float] = {}
        self.contacts: dict[tuple[str, str], dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}  # client_transaction_id -> transfer
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        super().__init__(**kwargs)

    def routes(self) -> None:
        self.route("POST", r"/v2/payment", self.initialise)
        self.route("POST", r"/v2/payment/check", self.check)
        self.route("GET", r"/payment/([A-Za-z0-9]+)", self.payer_page)
        self.route("POST", r"/payment/([A-Za-z0-9]+)/pay", self.payer_pay)
        self.route("POST", r"/v1/auth/login", self.login)
        self.route("GET", r"/v1/transfer/check/balance", self.transfer_balance)
        self.route("POST", r"/v1/transfer/contact", self.add_contact)
        self.route("POST", r"/v1/transfer/money/send/contact", self.send_money)
        self.route("GET", r"/v1/transfer/check/money", self.check_money)
        self.route("POST", r"/_simulator/complete/(.+)", self.control_complete)

    # -- payments --------------------------------------------------------------------------------
    def _site_ok(self, body: dict[str, Any]) -> SimResponse | None:
        if not secrets.compare_digest(str(body.get("apikey", "")), self.apikey):
            return _v2("609", "AUTH_NOT_FOUND", status=401)
        if str(body.get("site_id", "")) != self.site_id:
            return _v2("613", "ERROR_SITE_ID_NOTVALID", status=401)
        return None

    def initialise(self, request: SimRequest) -> SimResponse:
        body = request.json()
        if not isinstance(body, dict):
            return _v2("608", "MINIMUM_REQUIRED_FIELDS", description="The body must be JSON", status=400)
        refused = self._site_ok(body)
        if refused:
            return refused
        for name in ("transaction_id", "amount", "currency", "description", "notify_url", "return_url"):
            if body.get(name) in (None, ""):
                return _v2("608", "MINIMUM_REQUIRED_FIELDS", description=f"{name} is required", status=400)
        amount, currency = body["amount"], str(body["currency"])
        if not isinstance(amount, int) or amount < 100 or (currency in ("XOF", "XAF") and amount % 5):
            return _v2("608", "MINIMUM_REQUIRED_FIELDS", status=400,
                       description="The amount must be an integer of at least 100, a multiple of 5")
        if currency not in ("XOF", "XAF", "GNF", "CDF", "USD"):
            return _v2("608", "MINIMUM_REQUIRED_FIELDS", description="currency is not supported", status=400)
        with self.lock:
            if body["transaction_id"] in self.transactions:
                return _v2("624", "TRANSACTION_EXIST", description="transaction_id already used", status=400)
            token = secrets.token_hex(30)
            self.transactions[body["transaction_id"]] = {
                "transaction_id": body["transaction_id"], "amount": amount, "currency": currency,
                "description": body["description"], "notify_url": body["notify_url"],
                "return_url": body["return_url"], "metadata": body.get("metadata"), "payment_token": token,
                "status": "WAITING_FOR_CUSTOMER", "payment_method": "", "operator_id": "", "payment_date": "",
                "cel_phone_num": str(body.get("customer_phone_number") or ""),
            }
            self.plans[body["transaction_id"]] = self.outcome_plan(body["transaction_id"], request)
        return _v2("201", "CREATED", {"payment_token": token, "payment_url": f"{self.url}/payment/{token}"})

    def check(self, request: SimRequest) -> SimResponse:
        body = request.json()
        if not isinstance(body, dict):
            return _v2("608", "MINIMUM_REQUIRED_FIELDS", status=400)
        refused = self._site_ok(body)
        if refused:
            return refused
        reference = str(body.get("transaction_id") or "")
        flip = False
        with self.lock:
            txn = self.transactions.get(reference)
            if txn is None:
                return _v2("627", "TRANSACTION_NOT_FOUND", status=404)
            plan = self.plan_for(reference, self.plans.get(reference))
            if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS and txn["status"] == "WAITING_FOR_CUSTOMER":
                left = self.polls_left.setdefault(reference, plan.polls) - 1
                self.polls_left[reference] = left
                flip = left <= 0
        if flip:
            self.complete(reference)
        with self.lock:
            txn = dict(self.transactions[reference])
        code, message = {"ACCEPTED": ("00", "SUCCES"), "REFUSED": ("600", "PAYMENT_FAILED")}.get(
            txn["status"], ("662", "WAITING_CUSTOMER_PAYMENT"))
        data = {"amount": str(txn["amount"]), "currency": txn["currency"], "status": txn["status"],
                "payment_method": txn["payment_method"], "description": txn["description"],
                "metadata": txn["metadata"], "operator_id": txn["operator_id"], "payment_date": txn["payment_date"],
                "fund_availability_date": txn["payment_date"]}
        return _v2(code, message, data)

    def _notification(self, txn: dict[str, Any]) -> dict[str, str]:
        return {"cpm_site_id": self.site_id, "cpm_trans_id": txn["transaction_id"], "cpm_trans_date": _now(),
                "cpm_amount": str(txn["amount"]), "cpm_currency": txn["currency"],
                "signature": secrets.token_hex(16), "payment_method": txn["payment_method"],
                "cel_phone_num": txn["cel_phone_num"], "cpm_phone_prefixe": "225", "cpm_language": "fr",
                "cpm_version": "V4", "cpm_payment_config": "SINGLE", "cpm_page_action": "PAYMENT",
                "cpm_custom": str(txn["metadata"] or ""), "cpm_designation": txn["description"],
                "cpm_error_message": "SUCCES" if txn["status"] == "ACCEPTED" else "PAYMENT_FAILED"}

    def complete(self, reference: str, *, approve: bool = True) -> dict[str, Any]:
        """The payer pays (or declines) transaction ``reference`` (our transaction_id)."""
        with self.lock:
            txn = self.transactions[reference]
            plan = self.plan_for(reference, self.plans.get(reference))
            if txn["status"] != "WAITING_FOR_CUSTOMER":
                return dict(txn)
            paid = approve and not (plan and plan.mode is FaultMode.FAILURE)
            txn.update(status="ACCEPTED" if paid else "REFUSED", payment_method="OMCI",
                       operator_id=f"MP{secrets.randbelow(10**12):012d}" if paid else "", payment_date=_now())
            fields = self._notification(txn)
            url = txn["notify_url"]
            snapshot = dict(txn)
        self.deliver_form(fields, url=url, plan=plan)
        return snapshot

    def deliver_form(self, fields: dict[str, str], *, url: str, plan: Fault | None, signed: bool = True) -> None:
        """POST a form notification (``x-token`` signed when ``signed``), recorded in ``deliveries``."""
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            bad = bool(plan and plan.mode is FaultMode.BAD_SIGNATURE)
            headers["x-token"] = notification_token(fields, "not-the-secret" if bad else self.secret_key)
        copies = plan.duplicates if plan and plan.mode is FaultMode.DUPLICATE_WEBHOOK else 1
        for _ in range(copies):
            status = 0
            if url:
                try:
                    status = requests.post(url, data=body, headers=headers, timeout=5).status_code
                except requests.RequestException:
                    status = 0
            with self.lock:
                self.deliveries.append({"url": url, "headers": headers, "body": body, "status": status})

    def build_notification(self, reference: str, *, bad_signature: bool = False) -> tuple[dict[str, str], bytes]:
        """Signed headers and body of transaction ``reference``'s notification, without sending it."""
        with self.lock:
            fields = self._notification(self.transactions[reference])
        token = notification_token(fields, "not-the-secret" if bad_signature else self.secret_key)
        return ({"Content-Type": "application/x-www-form-urlencoded", "x-token": token},
                urllib.parse.urlencode(fields).encode())

    def _by_token(self, token: str) -> dict[str, Any] | None:
        with self.lock:
            return next((t for t in self.transactions.values() if t["payment_token"] == token), None)

    def payer_page(self, request: SimRequest) -> SimResponse:
        txn = self._by_token(request.groups[0])
        if txn is None:
            return SimResponse(404, "<h1>Paiement introuvable</h1>")
        token = html.escape(request.groups[0])
        return SimResponse(200, f"""<!doctype html><html><head><title>CinetPay simulator</title></head>
<body><h1>Payer {txn['amount']} {html.escape(txn['currency'])}</h1><p>{html.escape(txn['description'])}</p>
<form method="post" action="/payment/{token}/pay"><button name="action" value="pay">Payer</button>
<button name="action" value="decline">Refuser</button></form></body></html>""")

    def payer_pay(self, request: SimRequest) -> SimResponse:
        txn = self._by_token(request.groups[0])
        if txn is None:
            return SimResponse(404, "<h1>Paiement introuvable</h1>")
        self.complete(txn["transaction_id"], approve=request.form().get("action", "pay") == "pay")
        action = html.escape(txn["return_url"], quote=True)
        return SimResponse(200, f"""<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="{action}"><input type="hidden" name="transaction_id"
value="{html.escape(txn['transaction_id'], quote=True)}"><input type="hidden" name="token"
value="{html.escape(txn['payment_token'], quote=True)}"><button>Retour au marchand</button></form></body></html>""")

    def control_complete(self, request: SimRequest) -> SimResponse:
        if request.groups[0] not in self.transactions:
            return _v2("627", "TRANSACTION_NOT_FOUND", status=404)
        return SimResponse(200, self.complete(request.groups[0], approve=(request.json() or {}).get("approve", True)))

    # -- transfers -------------------------------------------------------------------------------
    def login(self, request: SimRequest) -> SimResponse:
        form = request.form()
        if not (secrets.compare_digest(form.get("apikey", ""), self.apikey)
                and secrets.compare_digest(form.get("password", ""), self.transfer_password)):
            return _v1(701, "INVALID_LOGIN", status=401)
        token = secrets.token_hex(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + 300
        return _v1(0, "OPERATION_SUCCES", {"token": token})

    def _token_ok(self, request: SimRequest) -> SimResponse | None:
        with self.lock:
            expiry = self.tokens.get(request.query.get("token", ""))
        if expiry is None or expiry < time.monotonic():
            return _v1(706, "INVALID_TOKEN", status=401)
        return None

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def transfer_balance(self, request: SimRequest) -> SimResponse:
        refused = self._token_ok(request)
        if refused:
            return refused
        with self.lock:
            return _v1(0, "OPERATION_SUCCES", {"amount": self.balance, "inUsing": 0, "available": self.balance})

    @staticmethod
    def _items(request: SimRequest) -> list[dict[str, Any]] | None:
        try:
            items = json.loads(request.form().get("data", ""))
        except ValueError:
            return None
        return items if isinstance(items, list) and all(isinstance(i, dict) for i in items) else None

    def add_contact(self, request: SimRequest) -> SimResponse:
        refused = self._token_ok(request)
        if refused:
            return refused
        items = self._items(request)
        if items is None:
            return _v1(400, "INVALID_DATA", status=400)
        answered = []
        with self.lock:
            for item in items:
                key = (str(item.get("prefix", "")), str(item.get("phone", "")))
                if key in self.contacts:
                    answered.append({**item, "code": 726, "status": "ERROR_PHONE_ALREADY_MY_CONTACT"})
                    continue
                self.contacts[key] = dict(item)
                answered.append({**item, "code": 0, "status": "success", "lot": secrets.token_hex(6),
                                 "id": len(self.contacts)})
        return _v1(0, "OPERATION_SUCCES", [answered])

    def send_money(self, request: SimRequest) -> SimResponse:
        refused = self._token_ok(request)
        if refused:
            return refused
        items = self._items(request)
        if items is None or len(items) != 1:
            return _v1(400, "INVALID_DATA", status=400)
        item = items[0]
        key = (str(item.get("prefix", "")), str(item.get("phone", "")))
        reference, amount = str(item.get("client_transaction_id", "")), item.get("amount")
        with self.lock:
            if key not in self.contacts:
                return _v1(723, "ERROR_CONTACT_NOT_FOUND", status=400)
            if not reference or not isinstance(amount, int) or amount <= 0 or amount % 5:
                return _v1(400, "INVALID_AMOUNT", status=400)
            if reference in self.transfers:
                return _v1(804, "ERROR_TRANSACTION_EXIST", status=400)
            if amount > self.balance:
                return _v1(602, "INSUFFICIENT_BALANCE", status=400)
            self.balance -= amount
            row = {"transaction_id": f"TR{secrets.randbelow(10**12):012d}", "client_transaction_id": reference,
                   "lot": secrets.token_hex(6), "amount": amount, "receiver": f"+{key[0]}{key[1]}",
                   "receiver_e164": f"+{key[0]}{key[1]}", "operator_transaction_id": "", "sending_status": "PENDING",
                   "comment": "", "treatment_status": "NEW", "validated_at": None, "created_at": _now(),
                   "notify_url": str(item.get("notify_url") or "")}
            self.transfers[reference] = row
            plan = self.plans[reference] = self.outcome_plan(reference, request)
            answer = {**item, "code": 0, "status": "success", "treatment_status": "NEW",
                      "transaction_id": row["transaction_id"], "lot": row["lot"]}
        if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
            with self.lock:
                self.polls_left[reference] = plan.polls
        else:
            threading.Thread(target=self._settle, args=(reference,), daemon=True).start()
        return _v1(0, "OPERATION_SUCCES", [[answer]])

    def _settle(self, reference: str, *, delay: bool = True) -> None:
        if delay:
            time.sleep(self.transfer_delay)
        with self.lock:
            row = self.transfers[reference]
            if row["treatment_status"] != "NEW":
                return
            plan = self.plan_for(reference, self.plans.get(reference))
            rejected = row["receiver"].endswith("0000") or bool(plan and plan.mode is FaultMode.FAILURE)
            row.update(treatment_status="REJ" if rejected else "VAL", sending_status="CONFIRM",
                       comment="Numero invalide" if rejected else "Transfert effectue", validated_at=_now(),
                       operator_transaction_id="" if rejected else f"CI{secrets.randbelow(10**10):010d}")
            if rejected:
                self.balance += row["amount"]
            snapshot = dict(row)
        self._notify_transfer(snapshot, plan)
        if not rejected and plan and plan.mode is FaultMode.REVERSED:
            time.sleep(self.transfer_delay)
            self.reverse(reference)

    def reverse(self, reference: str) -> dict[str, Any]:
        """CinetPay takes a credited transfer back (the operator reversed it)."""
        with self.lock:
            row = self.transfers[reference]
            if row["treatment_status"] == "VAL":
                row.update(treatment_status="REJ", comment="Transfert annule par l'operateur")
                self.balance += row["amount"]
            snapshot = dict(row)
            plan = self.plan_for(reference, self.plans.get(reference))
        self._notify_transfer(snapshot, plan)
        return snapshot

    def _notify_transfer(self, row: dict[str, Any], plan: Fault | None) -> None:
        fields = {k: "" if v is None else str(v) for k, v in row.items() if k != "notify_url"}
        self.deliver_form(fields, url=row["notify_url"], plan=plan, signed=False)

    def check_money(self, request: SimRequest) -> SimResponse:
        refused = self._token_ok(request)
        if refused:
            return refused
        reference = request.query.get("client_transaction_id", "")
        flip = False
        with self.lock:
            row = self.transfers.get(reference)
            if row is None:
                return _v1(0, "OPERATION_SUCCES", [])
            if reference in self.polls_left and row["treatment_status"] == "NEW":
                self.polls_left[reference] -= 1
                flip = self.polls_left[reference] <= 0
        if flip:
            self._settle(reference, delay=False)
        with self.lock:
            row = {k: v for k, v in self.transfers[reference].items() if k != "notify_url"}
        return _v1(0, "OPERATION_SUCCES", [row])

    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        fields = dict(urllib.parse.parse_qsl(body.decode()))
        return {"x-token": notification_token(fields, "not-the-secret" if bad else self.secret_key)}


__all__ = ["DEFAULT_APIKEY", "DEFAULT_SECRET_KEY", "DEFAULT_SITE_ID", "DEFAULT_TRANSFER_PASSWORD",
           "NOTIFICATION_FIELDS", "CinetPaySimulator"]

if __name__ == "__main__":
    serve_until_interrupted(CinetPaySimulator(port=8717).start(), "CinetPay simulator on :8717")

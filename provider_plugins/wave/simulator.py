"""A local Wave Business API: checkout sessions (with a payer page), payouts, balance, signed webhooks.

Speaks the protocol described in ``connector.py`` (docs.wave.com: checkout, payout, balance,
webhook); ``GET /v1/checkout/sessions?transaction_id=`` answers the one session object that transaction
paid (https://docs.wave.com/checkout, "Retrieve a checkout by transaction ID"), not a list.
The payer page is ``wave_launch_url`` (``GET /c/<session id>``) with Pay / Decline:
paying completes the session, sends ``checkout.session.completed`` signed with ``Wave-Signature``
and redirects to ``success_url`` (``error_url`` on decline, after ``checkout.session.payment_failed``).
Tests may call :meth:`complete`. Payouts start ``processing`` and settle after ``payout_delay``.

Every movement of a wallet is a line of its statement, read with the Balance & Reconciliation API
(https://docs.wave.com/balance-api): ``GET /v1/transactions?date=&first=&after=`` answers ``{page_info: {has_next_page,
end_cursor}, date, items}``, each item ``{timestamp, transaction_id, amount, fee, currency, balance, ...}`` with
``amount`` the signed change of the wallet (fee included), ``balance`` the wallet after it and ``is_reversal`` on a
refund or reversal; ``POST /v1/transactions/:transaction_id/refund`` refunds a payment received (idempotent). A
payment received credits the wallet its amount (the simulator charges no checkout fee); a payout debits amount and
fee; a failed payout comes back whole, a reversed one without its fee.

One simulator holds several business wallets, as one Wave account can: each API key opens its own wallet, whose
currency is its country's (``wave_gm_...`` dalasi, the others CFA francs). The balance is that wallet's; a checkout or
payout in another currency is refused (``request-validation-error``), as Wave refuses it.

Magic values: a payout to a mobile ending in ``0000`` fails ``recipient-not-found``; a ``name``
starting with ``WRONG`` fails ``name-mismatch``. Outcome faults per reference (``fault_for``): ``failure``,
``pending_then_success`` (stays processing for ``polls`` status reads), ``reversed`` (succeeds, then is
reversed); transport faults as every simulator (``timeout``, ``server_error``, ``server_error_after``,
``malformed``), and for webhooks ``duplicate_webhook`` and ``bad_signature``.
"""

from __future__ import annotations

import html
import secrets
import string
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer
from provider_plugins.simkit.local_server import serve_until_interrupted

from .connector import wave_signature

DEFAULT_API_KEY = "wave_sn_prod_SIMulat0rKeyYhUNb9dQ2fLw8XcVbNm4RtPk7i4bA6"
# "These keys are bound to a single business wallet and can only interact with it" (https://docs.wave.com/business,
# "Authentication"); a key names its wallet's country (``wave_<cc>_prod_...``), and a wallet holds that country's
# currency: the Gambian wallet dalasi, the others CFA francs.
GM_API_KEY = "wave_gm_prod_SIMulat0rKeyGmD4l4s1Qw3rTy7uIoPaSdFgHjKlZx"
WALLET_CURRENCY_BY_COUNTRY = {"gm": "GMD", "ug": "UGX"}
DEFAULT_WEBHOOK_SECRET = "wave_sn_WHS_xz4m6g8rjs9bshxy05xj8khcvjy9dj6mjjjt6v7x3t7xqkm8fdqg"  # noqa: S105
ALPHABET = string.ascii_lowercase + string.digits


def wallet_currency(api_key: str) -> str:
    """The currency of the wallet a Wave API key opens, from the country it names (``wave_<cc>_...``)."""
    parts = api_key.split("_")
    country = parts[1] if len(parts) > 2 and parts[0] == "wave" else ""
    return WALLET_CURRENCY_BY_COUNTRY.get(country, "XOF")


def _id(prefix: str, length: int = 12) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, code: str, message: str) -> SimResponse:
    return SimResponse(status, {"code": code, "message": message})


class WaveSimulator(SimulatorServer):
    name = "wave"
    unfaulted_prefixes = ("/_simulator/", "/c/")

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, api_keys: dict[str, str] | None = None,
                 webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
                 business_name: str = "NexusTop", currencies: frozenset[str] = frozenset({"XOF", "GMD"}),
                 balance: dict[str, str] | None = None, payout_delay: float = 0.05, **kwargs: Any) -> None:
        self.api_key = api_key
        # API key -> the currency of the wallet it opens.
        self.api_keys = dict(api_keys) if api_keys else {api_key: wallet_currency(api_key),
                                                          GM_API_KEY: wallet_currency(GM_API_KEY)}
        self.webhook_secret = webhook_secret
        self.business_name = business_name
        self.currencies = currencies
        self.balances = {"XOF": Decimal("50000000"), "GMD": Decimal("5000000")}
        for currency, amount in (balance or {}).items():
            self.balances[currency] = Decimal(amount)
        self.payout_delay = payout_delay
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payouts: dict[str, dict[str, Any]] = {}
        self.payout_keys: dict[str, tuple[str, str]] = {}  # idempotency key -> (payout id, body digest)
        self.session_keys: dict[str, str] = {}
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        self.refunds: list[str] = []
        self.statement: list[dict[str, Any]] = []  # every wallet movement, oldest first (/v1/transactions)
        super().__init__(**kwargs)

    def routes(self) -> None:
        self.route("POST", r"/v1/checkout/sessions", self.create_session)
        self.route("GET", r"/v1/checkout/sessions/search", self.search_sessions)
        self.route("GET", r"/v1/checkout/sessions", self.session_by_transaction)
        self.route("GET", r"/v1/checkout/sessions/(cos-[a-z0-9]+)", self.get_session)
        self.route("POST", r"/v1/checkout/sessions/(cos-[a-z0-9]+)/expire", self.expire_session)
        self.route("POST", r"/v1/checkout/sessions/(cos-[a-z0-9]+)/refund", self.refund_session)
        self.route("POST", r"/v1/payout", self.create_payout)
        self.route("GET", r"/v1/payout/(pt-[a-z0-9]+)", self.get_payout)
        self.route("GET", r"/v1/payouts/search", self.search_payouts)
        self.route("POST", r"/v1/payout/(pt-[a-z0-9]+)/reverse", self.reverse_payout)
        self.route("GET", r"/v1/balance", self.get_balance)
        self.route("GET", r"/v1/transactions", self.list_transactions)
        self.route("POST", r"/v1/transactions/(T_[A-Z0-9]+)/refund", self.refund_transaction)
        self.route("GET", r"/c/(cos-[a-z0-9]+)", self.payer_page)
        self.route("POST", r"/c/(cos-[a-z0-9]+)/pay", self.payer_pay)
        self.route("POST", r"/_simulator/complete/(.+)", self.control_complete)

    # -- auth ------------------------------------------------------------------------------------
    def _denied(self, request: SimRequest) -> SimResponse | None:
        header = request.header("Authorization")
        if not header:
            return _error(401, "missing-auth-header", "Your request should include an HTTP auth header.")
        if not header.startswith("Bearer "):
            return _error(401, "invalid-auth", "Your HTTP auth header can't be processed.")
        presented = header.removeprefix("Bearer ")
        if not any(secrets.compare_digest(presented, key) for key in self.api_keys):
            return _error(401, "no-matching-api-key", "The key you provided doesn't exist in our system.")
        return None

    def wallet_currency_of(self, request: SimRequest) -> str:
        """The currency of the wallet the request's (accepted) API key opens."""
        return self.api_keys[request.header("Authorization").removeprefix("Bearer ")]

    def _wrong_wallet(self, request: SimRequest, currency: str) -> SimResponse | None:
        wallet = self.wallet_currency_of(request)
        if currency in self.currencies and currency != wallet:
            return _error(400, "request-validation-error", f"currency: this wallet holds {wallet}, not {currency}")
        return None

    @staticmethod
    def _amount(value: Any, currency: str) -> Decimal | None:
        try:
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None
        places = 0 if currency in ("XOF", "XAF", "UGX") else 2
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal(1).scaleb(-places)):
            return None
        return amount

    # -- checkout --------------------------------------------------------------------------------
    def create_session(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        body = request.json()
        if not isinstance(body, dict):
            return _error(400, "request-validation-error", "Body must be a JSON object.")
        currency = str(body.get("currency", ""))
        for field_name in ("amount", "currency", "success_url", "error_url"):
            if not body.get(field_name):
                return _error(400, "request-validation-error", f"{field_name}: field required")
        if currency not in self.currencies:
            return _error(400, "request-validation-error", "currency: not supported")
        wrong_wallet = self._wrong_wallet(request, currency)
        if wrong_wallet:
            return wrong_wallet
        if self._amount(body["amount"], currency) is None:
            return _error(400, "request-validation-error", "amount: invalid amount for the currency")
        key = request.header("idempotency-key")
        with self.lock:
            if key and key in self.session_keys:
                return SimResponse(200, dict(self.sessions[self.session_keys[key]]))
            session_id = _id("cos-")
            created = datetime.now(UTC)
            session = {
                "id": session_id, "amount": str(body["amount"]), "checkout_status": "open",
                "client_reference": body.get("client_reference"), "currency": currency,
                "error_url": body["error_url"], "success_url": body["success_url"], "last_payment_error": None,
                "business_name": self.business_name, "payment_status": "processing", "transaction_id": None,
                "aggregated_merchant_id": body.get("aggregated_merchant_id"),
                "restrict_payer_mobile": body.get("restrict_payer_mobile"),
                "wave_launch_url": f"{self.url}/c/{session_id}", "when_completed": None,
                "when_created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "when_expires": (created + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            self.sessions[session_id] = session
            if key:
                self.session_keys[key] = session_id
            reference = str(body.get("client_reference") or session_id)
            self.plans[session_id] = self.outcome_plan(reference, request)
            return SimResponse(200, dict(session))

    def get_session(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        with self.lock:
            session = self.sessions.get(request.groups[0])
            if session is None:
                return _error(404, "checkout-session-not-found", "Checkout session not found.")
            return SimResponse(200, dict(session))

    def search_sessions(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        reference = request.query.get("client_reference", "")
        transaction = request.query.get("transaction_id", "")
        with self.lock:
            found = [dict(s) for s in self.sessions.values()
                     if (reference and s["client_reference"] == reference)
                     or (transaction and s["transaction_id"] == transaction)]
        return SimResponse(200, {"result": found})

    def session_by_transaction(self, request: SimRequest) -> SimResponse:
        """``GET /v1/checkout/sessions?transaction_id=``: the one session that transaction paid, as an object."""
        denied = self._denied(request)
        if denied:
            return denied
        transaction = request.query.get("transaction_id", "")
        if not transaction:
            return _error(400, "request-validation-error", "transaction_id: field required")
        with self.lock:
            session = next((s for s in self.sessions.values() if s["transaction_id"] == transaction), None)
            if session is None:
                return _error(404, "checkout-session-not-found", "Checkout session not found.")
            return SimResponse(200, dict(session))

    def expire_session(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        with self.lock:
            session = self.sessions.get(request.groups[0])
            if session is None:
                return _error(404, "checkout-session-not-found", "Checkout session not found.")
            if session["checkout_status"] != "open":
                return _error(409, "checkout-session-not-open", "Only open sessions can be expired.")
            session["checkout_status"], session["when_completed"] = "expired", _now()
        return SimResponse(200, b"")

    def refund_session(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        with self.lock:
            session = self.sessions.get(request.groups[0])
            if session is None:
                return _error(404, "checkout-session-not-found", "Checkout session not found.")
            if session["payment_status"] != "succeeded" or session["id"] in self.refunds:
                return _error(409, "checkout-refund-failed", "This checkout session cannot be refunded.")
            self._refund(session)
        return SimResponse(200, b"")

    def _refund(self, session: dict[str, Any]) -> None:
        """The payment received goes back to the payer (under the lock)."""
        self.refunds.append(session["id"])
        session["when_refunded"] = _now()
        amount = Decimal(str(session["amount"]))
        self.balances[session["currency"]] -= amount
        self._record(session["currency"], -amount, Decimal(0), is_reversal=True, checkout_api_session_id=session["id"],
                     client_reference=session["client_reference"])

    def complete(self, reference: str, *, approve: bool = True) -> dict[str, Any]:
        """The payer pays (or declines) the session whose id or client_reference is ``reference``."""
        with self.lock:
            session = self.sessions.get(reference) or next(
                (s for s in self.sessions.values() if s["client_reference"] == reference), None)
            if session is None:
                raise KeyError(reference)
            plan = self.plan_for(str(session["client_reference"] or session["id"]), self.plans.get(session["id"]))
            if session["checkout_status"] != "open":
                return dict(session)
            if approve and not (plan and plan.mode is FaultMode.FAILURE):
                session.update(checkout_status="complete", payment_status="succeeded", when_completed=_now(),
                               transaction_id="T_" + "".join(secrets.choice(string.ascii_uppercase + string.digits)
                                                             for _ in range(12)))
                event_type = "checkout.session.completed"
                amount = Decimal(str(session["amount"]))
                self.balances[session["currency"]] = self.balances.get(session["currency"], Decimal(0)) + amount
                self._record(session["currency"], amount, Decimal(0), transaction_id=session["transaction_id"],
                             checkout_api_session_id=session["id"], client_reference=session["client_reference"])
            else:
                session.update(payment_status="cancelled", last_payment_error={
                    "code": "payer-cancelled", "message": "The payer cancelled the payment."})
                event_type = "checkout.session.payment_failed"
            snapshot = dict(session)
        self.deliver({"id": _id("EV_", 12), "type": event_type, "data": snapshot}, plan=plan)
        return snapshot

    def payer_page(self, request: SimRequest) -> SimResponse:
        with self.lock:
            session = self.sessions.get(request.groups[0])
        if session is None:
            return SimResponse(404, "<h1>Checkout not found</h1>")
        sid = html.escape(session["id"])
        return SimResponse(200, f"""<!doctype html><html><head><title>Wave simulator</title></head>
<body><h1>Pay {html.escape(session['amount'])} {html.escape(session['currency'])} to
{html.escape(session['business_name'])}</h1><p>Status: {html.escape(session['checkout_status'])}</p>
<form method="post" action="/c/{sid}/pay"><button name="action" value="pay">Pay</button>
<button name="action" value="decline">Decline</button></form></body></html>""")

    def payer_pay(self, request: SimRequest) -> SimResponse:
        if request.groups[0] not in self.sessions:
            return SimResponse(404, "<h1>Checkout not found</h1>")
        session = self.complete(request.groups[0], approve=request.form().get("action", "pay") == "pay")
        target = session["success_url"] if session["payment_status"] == "succeeded" else session["error_url"]
        return SimResponse(302, "", {"Location": target})

    def control_complete(self, request: SimRequest) -> SimResponse:
        try:
            return SimResponse(200, self.complete(request.groups[0],
                                                  approve=(request.json() or {}).get("approve", True)))
        except KeyError:
            return _error(404, "checkout-session-not-found", "Checkout session not found.")

    # -- payouts ---------------------------------------------------------------------------------
    def create_payout(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        key = request.header("idempotency-key")
        if not key:
            return _error(400, "missing-idempotency-key", "The idempotency-key header is required.")
        body = request.json()
        if not isinstance(body, dict):
            return _error(400, "request-validation-error", "Body must be a JSON object.")
        currency, mobile = str(body.get("currency", "")), str(body.get("mobile", ""))
        amount = self._amount(body.get("receive_amount"), currency)
        if currency not in self.currencies or amount is None:
            return _error(400, "request-validation-error", "receive_amount/currency: invalid")
        wrong_wallet = self._wrong_wallet(request, currency)
        if wrong_wallet:
            return wrong_wallet
        if not mobile.startswith("+") or not mobile[1:].isdigit():
            return _error(400, "request-validation-error", "mobile: must be in E.164 format")
        digest = repr(sorted(body.items()))
        with self.lock:
            if key in self.payout_keys:
                payout_id, seen = self.payout_keys[key]
                if seen != digest:
                    return _error(409, "idempotency-mismatch", "This idempotency key was used with another body.")
                return SimResponse(200, dict(self.payouts[payout_id]))
            fee = (amount / 100).quantize(Decimal(1)) if currency == "XOF" else (amount / 100).quantize(Decimal("0.01"))
            if self.balances.get(currency, Decimal(0)) < amount + fee:
                return _error(400, "insufficient-funds", "Your wallet balance is too low for this payout.")
            payout_id = _id("pt-")
            payout = {"id": payout_id, "currency": currency, "receive_amount": str(body["receive_amount"]),
                      "fee": str(fee), "mobile": mobile, "name": body.get("name"),
                      "national_id": body.get("national_id"), "client_reference": body.get("client_reference"),
                      "payment_reason": body.get("payment_reason"), "status": "processing", "timestamp": _now()}
            self.payouts[payout_id] = payout
            self.payout_keys[key] = (payout_id, digest)
            self.balances[currency] -= amount + fee
            self._record(currency, -(amount + fee), fee, **self._counterparty(payout))
            reference = str(body.get("client_reference") or key)
            plan = self.plans[payout_id] = self.outcome_plan(reference, request)
            snapshot = dict(payout)
        if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
            with self.lock:
                self.polls_left[payout_id] = plan.polls
        else:
            threading.Thread(target=self._settle, args=(payout_id,), daemon=True).start()
        return SimResponse(200, snapshot)

    def _settle(self, payout_id: str) -> None:
        time.sleep(self.payout_delay)
        with self.lock:
            payout = self.payouts[payout_id]
            if payout["status"] != "processing":
                return
            plan = self.plan_for(str(payout["client_reference"] or payout_id), self.plans.get(payout_id))
            error = None
            if payout["mobile"].endswith("0000"):
                error = ("recipient-not-found", "The recipient does not have a Wave account.")
            elif str(payout.get("name") or "").upper().startswith("WRONG"):
                error = ("name-mismatch", "The name does not match the recipient's Wave account.")
            elif plan and plan.mode is FaultMode.FAILURE:
                error = ("blocked-account", "The recipient's account cannot receive payments.")
            if error:
                self._fail(payout, *error)
                return
            payout["status"] = "succeeded"
        if plan and plan.mode is FaultMode.REVERSED:
            time.sleep(self.payout_delay)
            self.reverse(payout_id)

    def _fail(self, payout: dict[str, Any], code: str, message: str) -> None:
        payout["status"] = "failed"
        payout["payout_error"] = {"error_code": code, "error_message": message}
        back = Decimal(payout["receive_amount"]) + Decimal(payout["fee"])
        self.balances[payout["currency"]] += back
        self._record(payout["currency"], back, Decimal(0), is_reversal=True, **self._counterparty(payout))

    def reverse(self, payout_id: str) -> dict[str, Any]:
        """The money came back (Wave reversed a succeeded payout)."""
        with self.lock:
            payout = self.payouts[payout_id]
            if payout["status"] == "succeeded":
                payout["status"] = "reversed"
                self.balances[payout["currency"]] += Decimal(payout["receive_amount"])
                self._record(payout["currency"], Decimal(payout["receive_amount"]), Decimal(0), is_reversal=True,
                             **self._counterparty(payout))
            return dict(payout)

    def _read(self, payout_id: str) -> dict[str, Any]:
        flip = False
        with self.lock:
            payout = self.payouts[payout_id]
            if payout_id in self.polls_left and payout["status"] == "processing":
                self.polls_left[payout_id] -= 1
                flip = self.polls_left[payout_id] <= 0
        if flip:
            self.payout_delay_once(payout_id)
        with self.lock:
            return dict(self.payouts[payout_id])

    def payout_delay_once(self, payout_id: str) -> None:
        saved, self.payout_delay = self.payout_delay, 0
        try:
            self._settle(payout_id)
        finally:
            self.payout_delay = saved

    def get_payout(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        if request.groups[0] not in self.payouts:
            return _error(404, "payout-not-found", "Payout not found.")
        return SimResponse(200, self._read(request.groups[0]))

    def search_payouts(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        reference = request.query.get("client_reference", "")
        with self.lock:
            ids = [pid for pid, p in self.payouts.items() if reference and p["client_reference"] == reference]
        return SimResponse(200, {"result": [self._read(pid) for pid in ids]})

    def reverse_payout(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        with self.lock:
            payout = self.payouts.get(request.groups[0])
            if payout is None:
                return _error(404, "payout-not-found", "Payout not found.")
            if payout["status"] != "succeeded":
                return _error(409, "payout-reversal-not-allowed", "Only succeeded payouts can be reversed.")
        self.reverse(request.groups[0])
        return SimResponse(200, b"")

    def get_balance(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        currency = self.wallet_currency_of(request)  # one wallet per key: Wave's balance takes no currency
        with self.lock:
            return SimResponse(200, {"amount": str(self.balances.get(currency, Decimal(0))), "currency": currency})

    # -- statement (Balance & Reconciliation API) --------------------------------------------------
    @staticmethod
    def _counterparty(payout: dict[str, Any]) -> dict[str, Any]:
        return {"counterparty_mobile": payout["mobile"], "counterparty_name": payout.get("name"),
                "client_reference": payout.get("client_reference"), "payment_reason": payout.get("payment_reason")}

    def _record(self, currency: str, amount: Decimal, fee: Decimal, *, transaction_id: str = "",
                **fields: Any) -> None:
        """One statement line (under the lock, after the balance moved): optional fields only when they have a
        value, as Wave leaves them out."""
        line = {"timestamp": _now(), "transaction_id": transaction_id or "T_" + "".join(
                    secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12)),
                "amount": str(amount), "fee": str(fee), "currency": currency,
                "balance": str(self.balances.get(currency, Decimal(0)))}
        line.update({k: v for k, v in fields.items() if v not in (None, "", False)})
        self.statement.append(line)

    def list_transactions(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        day = request.query.get("date") or datetime.now(UTC).strftime("%Y-%m-%d")
        try:
            datetime.strptime(day, "%Y-%m-%d")
            first = int(request.query.get("first") or 100)
            start = int(request.query.get("after") or 0)
        except ValueError:
            return _error(400, "request-validation-error", "date must be YYYY-MM-DD; first and after as given")
        if not 1 <= first <= 1000 or start < 0:
            return _error(400, "request-validation-error", "first: between 1 and 1000")
        currency = self.wallet_currency_of(request)
        with self.lock:
            lines = [dict(x) for x in self.statement if x["currency"] == currency and x["timestamp"][:10] == day]
        page, end = lines[start:start + first], start + first
        return SimResponse(200, {"page_info": {"has_next_page": end < len(lines), "end_cursor": str(min(end,
                                 len(lines)))}, "date": day, "items": page})

    def refund_transaction(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        with self.lock:
            session = next((x for x in self.sessions.values() if x.get("transaction_id") == request.groups[0]), None)
            if session is None:
                return _error(404, "transaction-not-found", "Transaction not found.")
            if session["id"] not in self.refunds:  # refunding twice refunds once
                self._refund(session)
        return SimResponse(200, b"")

    # -- webhooks --------------------------------------------------------------------------------
    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        timestamp = int(time.time())
        secret = "wave_sn_WHS_not-the-secret" if bad else self.webhook_secret
        return {"Wave-Signature": f"t={timestamp},v1={wave_signature(secret, timestamp, body)}"}


if __name__ == "__main__":
    serve_until_interrupted(WaveSimulator(port=8716).start(), "Wave simulator on :8716")

"""A local Orange Money Web Payment API (OM WebPay), as on api.orange.com.

Endpoints: ``POST /oauth/v3/token`` (Basic client_id:client_secret, form
``grant_type=client_credentials``), ``POST /orange-money-webpay/:country/v1/webpayment``
(201 with ``pay_token``, ``payment_url``, ``notif_token``) and
``POST /orange-money-webpay/:country/v1/transactionstatus`` (``INITIATED`` / ``PENDING`` /
``SUCCESS`` / ``FAILED`` / ``EXPIRED``). The payment page is ``GET /payment/:pay_token``.
On a final outcome Orange POSTs ``{status, notif_token, txnid}`` to ``notif_url``; the
``notif_token`` (returned only to the merchant at initiation) is what authenticates it.
Amounts are integers in the currency's unit (XOF has no minor unit). The sandbox
(country ``dev``) only takes currency ``OUV``.

No SDK fidelity test: Orange publishes no Python SDK for WebPay, and the one community client on PyPI,
``O-money`` 0.0.10, cannot parse the published protocol: it passes ``expires_in`` of the token answer to
``timedelta`` where Orange sends a string (``"7776000"``,
https://developer.orange.com/resources/oauth-m2m-in-a-nutshell/: ``timedelta`` raises), accepts a status answer
only when its ``status`` is 201 where Orange documents ``INITIATED``/``PENDING``/``SUCCESS``/``FAILED``/``EXPIRED``,
and hard-codes the sandbox (``/dev/``). ``zignpay`` and ``zaz-aangaraa-pay-python`` speak Orange Cameroon's
merchant-payment API, not WebPay.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from typing import Any

from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer


def _error(status: int, code: int, message: str, description: str = "") -> SimResponse:
    return SimResponse(status, {"code": code, "message": message, "description": description or message})


# The sandbox (``dev``) and every market the plugin declares (its registry rows are validated against that list:
# a country the plugin serves but the simulator refused answered 404 to every Liberian, Sierra Leonean and
# Bissau-Guinean checkout), plus Cameroon.
SERVED = frozenset({"dev", "cm", "ci", "sn", "ml", "bf", "gn", "ne", "lr", "sl", "gw"})


class OrangeMoneySimulator(SimulatorServer):
    name = "orange_money"

    def __init__(self, *, client_id: str = "om-client", client_secret: str = "om-secret",  # noqa: S107 - test key
                 merchant_key: str = "om-merchant", countries: frozenset[str] = SERVED, **kwargs: Any) -> None:
        self.client_id, self.client_secret, self.merchant_key = client_id, client_secret, merchant_key
        self.countries = countries
        self.tokens: set[str] = set()
        self.payments: dict[str, dict[str, Any]] = {}  # pay_token -> payment
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        super().__init__(**kwargs)

    def routes(self) -> None:
        self.route("POST", r"/oauth/v3/token", self.token)
        self.route("POST", r"/orange-money-webpay/([a-z]+)/v1/webpayment", self.webpayment)
        self.route("POST", r"/orange-money-webpay/([a-z]+)/v1/transactionstatus", self.transaction_status)
        self.route("GET", r"/payment/([^/]+)", self.payment_page)
        self.route("POST", r"/payment/([^/]+)/confirm", self.payment_confirm)
        self.route("POST", r"/_simulator/complete/([^/]+)", self.control_complete)

    def token(self, request: SimRequest) -> SimResponse:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if not hmac.compare_digest(request.header("Authorization"), expected):
            return _error(401, 42, "Expired credentials", "The requested service needs credentials")
        if request.form().get("grant_type") != "client_credentials":
            return SimResponse(400, {"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return SimResponse(200, {"token_type": "Bearer", "access_token": token, "expires_in": "7776000"})

    def _denied(self, request: SimRequest) -> SimResponse | None:
        token = request.header("Authorization").removeprefix("Bearer ")
        with self.lock:
            if token not in self.tokens:
                return _error(401, 42, "Expired credentials", "The requested service needs credentials")
        if request.groups[0] not in self.countries:
            return _error(404, 60, "Resource not found")
        return None

    def webpayment(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        payload = request.json() or {}
        if not hmac.compare_digest(str(payload.get("merchant_key", "")), self.merchant_key):
            return _error(400, 1, "Invalid merchant key")
        country, currency = request.groups[0], str(payload.get("currency", ""))
        if (country == "dev") != (currency == "OUV"):
            return _error(400, 3, "Invalid currency")
        amount = payload.get("amount")
        if not isinstance(amount, int) or amount < 1:
            return _error(400, 4, "Invalid amount", "amount must be a positive integer")
        order_id = str(payload.get("order_id", ""))
        if not order_id or not payload.get("notif_url"):
            return _error(400, 5, "Missing parameter")
        with self.lock:
            if any(p["order_id"] == order_id for p in self.payments.values()):
                return _error(400, 6, "Duplicate order_id")
            pay_token = "v1" + secrets.token_hex(16)
            self.payments[pay_token] = {
                "order_id": order_id, "amount": amount, "currency": currency, "status": "INITIATED",
                "notif_token": secrets.token_hex(16), "txnid": "", "notif_url": payload["notif_url"],
                "return_url": payload.get("return_url", ""), "cancel_url": payload.get("cancel_url", ""),
                "created": time.time(),
            }
            self.plans[pay_token] = self.outcome_plan(order_id, request)
            notif_token = self.payments[pay_token]["notif_token"]
        return SimResponse(201, {"status": 201, "message": "OK", "pay_token": pay_token,
                                 "payment_url": f"{self.url}/payment/{pay_token}", "notif_token": notif_token})

    def transaction_status(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        payload = request.json() or {}
        pay_token = str(payload.get("pay_token", ""))
        flip = False
        with self.lock:
            payment = self.payments.get(pay_token)
            if payment is None or payment["order_id"] != payload.get("order_id") or \
                    payment["amount"] != payload.get("amount"):
                return _error(404, 60, "Resource not found", "No transaction matches order_id, amount and pay_token")
            if pay_token in self.polls_left and payment["status"] == "PENDING":
                self.polls_left[pay_token] -= 1
                flip = self.polls_left[pay_token] <= 0
        if flip:
            self._finish(pay_token, "SUCCESS")
        with self.lock:
            payment = self.payments[pay_token]
            return SimResponse(201, {"status": payment["status"], "order_id": payment["order_id"],
                                     "txnid": payment["txnid"]})

    def _finish(self, pay_token: str, status: str) -> None:
        with self.lock:
            payment = self.payments[pay_token]
            if payment["status"] in ("SUCCESS", "FAILED", "EXPIRED"):
                return
            payment["status"] = status
            if status == "SUCCESS":
                payment["txnid"] = "MP" + secrets.token_hex(6).upper()
            body = {"status": status, "notif_token": payment["notif_token"], "txnid": payment["txnid"]}
            plan = self.plan_for(payment["order_id"], self.plans.get(pay_token))
            url = payment["notif_url"]
        if plan and plan.mode is FaultMode.BAD_SIGNATURE:
            body["notif_token"] = secrets.token_hex(16)  # a forged notification: the token does not match
        self.deliver(body, plan=plan, url=url)

    def complete(self, pay_token: str, *, approve: bool = True) -> dict[str, Any]:
        """The customer confirms with their Orange Money PIN (or cancels). Charged once."""
        with self.lock:
            payment = self.payments[pay_token]
            plan = self.plans[pay_token] = self.plan_for(payment["order_id"], self.plans.get(pay_token))
            if payment["status"] != "INITIATED":
                return dict(payment)
            if approve and plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
                payment["status"] = "PENDING"
                self.polls_left[pay_token] = plan.polls
                return dict(payment)
        failed = not approve or bool(plan and plan.mode is FaultMode.FAILURE)
        self._finish(pay_token, "FAILED" if failed else "SUCCESS")
        with self.lock:
            return dict(self.payments[pay_token])

    def payment_page(self, request: SimRequest) -> SimResponse:
        payment = self.payments.get(request.groups[0])
        if payment is None:
            return SimResponse(404, "<h1>Paiement introuvable</h1>")
        return SimResponse(200, f"""<!doctype html><html lang="fr"><head><title>Orange Money</title></head>
<body><h1>Payer {payment['amount']} {payment['currency']}</h1><p>Commande {payment['order_id']}</p>
<form method="post" action="/payment/{request.groups[0]}/confirm"><button name="action" value="pay">Confirmer</button>
<button name="action" value="cancel">Annuler</button></form></body></html>""")

    def payment_confirm(self, request: SimRequest) -> SimResponse:
        payment = self.payments.get(request.groups[0])
        if payment is None:
            return SimResponse(404, "<h1>Paiement introuvable</h1>")
        approve = request.form().get("action", "pay") == "pay"
        self.complete(request.groups[0], approve=approve)
        target = payment["return_url"] if approve else payment["cancel_url"]
        return SimResponse(302, "", {"Location": target}) if target else SimResponse(200, "<h1>OK</h1>")

    def control_complete(self, request: SimRequest) -> SimResponse:
        """Control (not Orange's API): the customer pays, named by Orange's pay_token or by the merchant's order_id,
        as the other simulators' control endpoints take the merchant's reference (``make run``'s history)."""
        wanted = request.groups[0]
        with self.lock:
            pay_token = wanted if wanted in self.payments else next(
                (token for token, payment in self.payments.items() if payment["order_id"] == wanted), None)
        if pay_token is None:
            return _error(404, 60, "Resource not found")
        return SimResponse(200, self.complete(pay_token, approve=(request.json() or {}).get("approve", True)))

    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        return {}  # authenticated by the notif_token inside the body

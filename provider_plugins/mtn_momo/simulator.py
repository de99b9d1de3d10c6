"""A local MTN MoMo Open API (Collection product): OAuth token, request-to-pay, status, callback.

Endpoints: ``POST /collection/token/`` (Basic api_user:api_key + ``Ocp-Apim-Subscription-Key``),
``POST /collection/v1_0/requesttopay`` (``X-Reference-Id`` UUID, ``X-Target-Environment``,
optional ``X-Callback-Url``; answers ``202 Accepted`` with an empty body, ``409
RESOURCE_ALREADY_EXIST`` for a reused id), ``GET /collection/v1_0/requesttopay/:id``
(``PENDING`` / ``SUCCESSFUL`` / ``FAILED`` + ``reason``). The callback is sent with
``callback_method`` (PUT by default) to ``X-Callback-Url`` with the same body as the
status answer; it is NOT signed (as at MTN), so consumers must poll to confirm.

The payer approves on their phone: here after ``approve_delay`` seconds when
``auto_approve`` is on, or when a test calls :meth:`complete`. As in the MTN sandbox,
some payer numbers force an outcome: ``46733123450`` fails (INTERNAL_PROCESSING_ERROR),
``46733123451`` is rejected (APPROVAL_REJECTED), ``46733123452`` expires (EXPIRED),
``46733123453``/``46733123454`` stay pending.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer

DEFAULT_API_USER = "0b6a7c1e-6f0e-4d7a-9a7e-5f0d2c1b9a10"
# MTN's formats: subscription keys (Ocp-Apim-Subscription-Key) and API keys are 32 hex characters,
# API users are UUIDs. One subscription and API user per product (collection, disbursement).
DEFAULT_API_KEY = "f1db798c98df4bcf83b538175893bbf0"
DEFAULT_SUBSCRIPTION_KEY = "0f5c2a7e9b1d4c3a8e6f7a9b2c4d6e8f"
DEFAULT_DISBURSEMENT_API_USER = "5a2f1c3e-8b7d-4e6a-9c1b-2d3e4f5a6b7c"
DEFAULT_DISBURSEMENT_API_KEY = "9a8b7c6d5e4f30211f2e3d4c5b6a7988"
DEFAULT_DISBURSEMENT_SUBSCRIPTION_KEY = "3c9e1f7a5b2d4e6f8a0b1c2d3e4f5a6b"
MAGIC_PAYERS = {"46733123450": ("FAILED", "INTERNAL_PROCESSING_ERROR"), "46733123451": ("FAILED", "APPROVAL_REJECTED"),
                "46733123452": ("FAILED", "EXPIRED"), "46733123453": ("PENDING", ""), "46733123454": ("PENDING", "")}


def _error(status: int, code: str, message: str) -> SimResponse:
    return SimResponse(status, {"code": code, "message": message})


class MtnMomoSimulator(SimulatorServer):
    name = "mtn_momo"

    def __init__(self, *, api_user: str = DEFAULT_API_USER, api_key: str = DEFAULT_API_KEY,
                 subscription_key: str = DEFAULT_SUBSCRIPTION_KEY,
                 disbursement_api_user: str = DEFAULT_DISBURSEMENT_API_USER,
                 disbursement_api_key: str = DEFAULT_DISBURSEMENT_API_KEY,
                 disbursement_subscription_key: str = DEFAULT_DISBURSEMENT_SUBSCRIPTION_KEY,
                 balances: dict[str, str] | None = None, transfer_delay: float = 0.05,
                 target_environment: str = "sandbox", currencies: frozenset[str] = frozenset(
                     {"EUR", "GHS", "XOF", "XAF", "UGX", "NGN", "GNF", "LRD", "ZMW", "RWF"}),
                 auto_approve: bool = True, approve_delay: float = 0.05, callback_method: str = "PUT",
                 token_ttl: int = 3600, **kwargs: Any) -> None:
        self.api_user = api_user
        self.api_key = api_key
        self.subscription_key = subscription_key
        self.target_environment = target_environment
        self.currencies = currencies
        self.auto_approve = auto_approve
        self.approve_delay = approve_delay
        self.callback_method = callback_method
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}
        self.payments: dict[str, dict[str, Any]] = {}  # X-Reference-Id -> RequestToPayResult
        self.callbacks: dict[str, str] = {}
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        self.tokens_issued = 0
        self.products = {"collection": (api_user, api_key, subscription_key),
                         "disbursement": (disbursement_api_user, disbursement_api_key, disbursement_subscription_key)}
        self.token_products: dict[str, str] = {}
        self.balances = {"collection": Decimal((balances or {}).get("collection", "0")),
                         "disbursement": Decimal((balances or {}).get("disbursement", "50000000"))}
        self.transfer_delay = transfer_delay
        self.transfers: dict[str, dict[str, Any]] = {}  # disbursement X-Reference-Id -> Transfer
        self.holders: dict[str, dict[str, Any]] = {}  # msisdn -> basicuserinfo override
        super().__init__(**kwargs)

    def routes(self) -> None:
        self.route("POST", r"/(collection|disbursement)/token/?", self.token)
        self.route("POST", r"/collection/v1_0/requesttopay", self.request_to_pay)
        self.route("GET", r"/collection/v1_0/requesttopay/([^/]+)", self.status)
        self.route("POST", r"/disbursement/v1_0/transfer", self.transfer)
        self.route("GET", r"/disbursement/v1_0/transfer/([^/]+)", self.transfer_status)
        self.route("GET", r"/(collection|disbursement)/v1_0/accountholder/(msisdn|email|party_code)/([^/]+)/active",
                   self.account_active)
        self.route("GET", r"/(collection|disbursement)/v1_0/accountholder/msisdn/([^/]+)/basicuserinfo",
                   self.basic_user_info)
        self.route("GET", r"/(collection|disbursement)/v1_0/account/balance", self.balance)
        self.route("POST", r"/_simulator/complete/([^/]+)", self.control_complete)

    # -- auth --------------------------------------------------------------------
    def _subscribed(self, request: SimRequest, product: str = "collection") -> bool:
        return hmac.compare_digest(request.header("Ocp-Apim-Subscription-Key"), self.products[product][2])

    def token(self, request: SimRequest) -> SimResponse:
        product = request.groups[0] if request.groups else "collection"
        if not self._subscribed(request, product):
            return SimResponse(401, {"statusCode": 401, "message": "Access denied due to invalid subscription key."})
        user, key, _subscription = self.products[product]
        expected = "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()
        if not hmac.compare_digest(request.header("Authorization"), expected):
            return SimResponse(401, {"error": "login_failed"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
            self.token_products[token] = product
            self.tokens_issued += 1
        return SimResponse(200, {"access_token": token, "token_type": "access_token", "expires_in": self.token_ttl})

    def _authorized(self, request: SimRequest, product: str = "collection") -> SimResponse | None:
        if not self._subscribed(request, product):
            return SimResponse(401, {"statusCode": 401, "message": "Access denied due to invalid subscription key."})
        token = request.header("Authorization").removeprefix("Bearer ")
        with self.lock:
            expiry = self.tokens.get(token)
            if self.token_products.get(token, product) != product:
                expiry = None  # a collection token does not open the disbursement product
        if expiry is None or expiry < time.monotonic():
            return SimResponse(401, {"statusCode": 401, "message": "Access token is missing or invalid."})
        if request.header("X-Target-Environment") != self.target_environment:
            return _error(403, "NOT_ALLOWED_TARGET_ENVIRONMENT", "Access to target environment is forbidden.")
        return None

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # -- collection --------------------------------------------------------------
    def request_to_pay(self, request: SimRequest) -> SimResponse:
        denied = self._authorized(request)
        if denied:
            return denied
        reference_id = request.header("X-Reference-Id")
        try:
            uuid.UUID(reference_id)
        except ValueError:
            return _error(400, "INVALID_REFERENCE_ID", "X-Reference-Id must be a UUID.")
        payload = request.json() or {}
        amount, currency = str(payload.get("amount", "")), str(payload.get("currency", ""))
        payer = payload.get("payer") or {}
        if currency not in self.currencies:
            return _error(400, "INVALID_CURRENCY", "Currency not supported.")
        try:
            valid_amount = Decimal(amount) > 0
        except InvalidOperation:
            valid_amount = False
        if not valid_amount:
            return _error(400, "BAD_REQUEST", "amount must be a positive decimal string")
        if payer.get("partyIdType") not in ("MSISDN", "EMAIL", "PARTY_CODE") or not payer.get("partyId"):
            return _error(400, "BAD_REQUEST", "payer is invalid")
        with self.lock:
            if reference_id in self.payments:
                return _error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id. Creation for resource failed.")
            self.payments[reference_id] = {
                "amount": amount, "currency": currency, "externalId": str(payload.get("externalId", "")),
                "payer": {"partyIdType": payer["partyIdType"], "partyId": str(payer["partyId"])},
                "payerMessage": payload.get("payerMessage", ""), "payeeNote": payload.get("payeeNote", ""),
                "status": "PENDING",
            }
            self.callbacks[reference_id] = request.header("X-Callback-Url")
            plan = self.plans[reference_id] = self.outcome_plan(reference_id, request)
            forced = MAGIC_PAYERS.get(str(payer["partyId"]))
        if forced and forced[0] == "FAILED":
            threading.Thread(target=self._finish, args=(reference_id, "FAILED", forced[1]), daemon=True).start()
        elif plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
            self.polls_left[reference_id] = plan.polls
        elif plan and plan.mode is FaultMode.FAILURE:
            threading.Thread(target=self._finish, args=(reference_id, "FAILED", "APPROVAL_REJECTED"),
                             daemon=True).start()
        elif self.auto_approve and not forced:
            threading.Thread(target=self._finish, args=(reference_id, "SUCCESSFUL", ""), daemon=True).start()
        return SimResponse(202, b"")

    def _finish(self, reference_id: str, status: str, reason: str, *, delay: bool = True) -> None:
        if delay:
            time.sleep(self.approve_delay)
        with self.lock:
            payment = self.payments[reference_id]
            if payment["status"] != "PENDING":
                return  # final states never change; a payer is debited once
            payment["status"] = status
            if status == "SUCCESSFUL":
                payment["financialTransactionId"] = str(secrets.randbelow(10**9))
            if reason:
                payment["reason"] = reason
            body = dict(payment)
            url = self.callbacks.get(reference_id) or self.webhook_url
            plan = self.plan_for(reference_id, self.plans.get(reference_id))
        self.deliver(body, plan=plan, url=url, method=self.callback_method)

    def complete(self, reference_id: str, *, approve: bool = True) -> dict[str, Any]:
        """The payer approves (or rejects) on their phone."""
        self._finish(reference_id, "SUCCESSFUL" if approve else "FAILED", "" if approve else "APPROVAL_REJECTED",
                     delay=False)
        with self.lock:
            return dict(self.payments[reference_id])

    def control_complete(self, request: SimRequest) -> SimResponse:
        if request.groups[0] not in self.payments:
            return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
        return SimResponse(200, self.complete(request.groups[0], approve=(request.json() or {}).get("approve", True)))

    def status(self, request: SimRequest) -> SimResponse:
        denied = self._authorized(request)
        if denied:
            return denied
        reference_id = request.groups[0]
        flip = False
        with self.lock:
            payment = self.payments.get(reference_id)
            if payment is None:
                return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
            if reference_id in self.polls_left and payment["status"] == "PENDING":
                self.polls_left[reference_id] -= 1
                flip = self.polls_left[reference_id] <= 0
        if flip:
            self._finish(reference_id, "SUCCESSFUL", "", delay=False)
        with self.lock:
            return SimResponse(200, dict(self.payments[reference_id]))

    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        return {}  # MoMo callbacks are unsigned

    # -- disbursement --------------------------------------------------------------------------
    def transfer(self, request: SimRequest) -> SimResponse:
        denied = self._authorized(request, "disbursement")
        if denied:
            return denied
        reference_id = request.header("X-Reference-Id")
        try:
            uuid.UUID(reference_id)
        except ValueError:
            return _error(400, "INVALID_REFERENCE_ID", "X-Reference-Id must be a UUID.")
        payload = request.json() or {}
        amount, currency = str(payload.get("amount", "")), str(payload.get("currency", ""))
        payee = payload.get("payee") or {}
        if currency not in self.currencies:
            return _error(400, "INVALID_CURRENCY", "Currency not supported.")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal(0)
        if not value.is_finite() or value <= 0:
            return _error(400, "BAD_REQUEST", "amount must be a positive decimal string")
        if payee.get("partyIdType") not in ("MSISDN", "EMAIL", "PARTY_CODE") or not payee.get("partyId"):
            return _error(400, "BAD_REQUEST", "payee is invalid")
        with self.lock:
            if reference_id in self.transfers:
                return _error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id. Creation for resource failed.")
            if value > self.balances["disbursement"]:
                return _error(500, "NOT_ENOUGH_FUNDS", "The payer does not have enough funds.")
            self.balances["disbursement"] -= value
            self.transfers[reference_id] = {
                "amount": amount, "currency": currency, "externalId": str(payload.get("externalId", "")),
                "payee": {"partyIdType": payee["partyIdType"], "partyId": str(payee["partyId"])},
                "payerMessage": payload.get("payerMessage", ""), "payeeNote": payload.get("payeeNote", ""),
                "status": "PENDING"}
            self.callbacks[reference_id] = request.header("X-Callback-Url")
            plan = self.plans[reference_id] = self.outcome_plan(str(payload.get("externalId") or reference_id),
                                                                request)
            if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
                self.polls_left[reference_id] = plan.polls
        if not (plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS):
            threading.Thread(target=self._settle_transfer, args=(reference_id,), daemon=True).start()
        return SimResponse(202, b"")

    def _settle_transfer(self, reference_id: str, *, delay: bool = True) -> None:
        if delay:
            time.sleep(self.transfer_delay)
        with self.lock:
            row = self.transfers[reference_id]
            if row["status"] != "PENDING":
                return
            plan = self.plan_for(row["externalId"] or reference_id, self.plans.get(reference_id))
            forced = MAGIC_PAYERS.get(row["payee"]["partyId"])
            if forced and forced[0] == "PENDING":
                return
            if forced or (plan and plan.mode is FaultMode.FAILURE):
                row["status"], row["reason"] = "FAILED", (forced[1] if forced else "PAYEE_NOT_ALLOWED_TO_RECEIVE")
                self.balances["disbursement"] += Decimal(row["amount"])
            else:
                row["status"], row["financialTransactionId"] = "SUCCESSFUL", str(secrets.randbelow(10**9))
            body = dict(row)
            url = self.callbacks.get(reference_id) or self.webhook_url
        self.deliver(body, plan=plan, url=url, method=self.callback_method)

    def transfer_status(self, request: SimRequest) -> SimResponse:
        denied = self._authorized(request, "disbursement")
        if denied:
            return denied
        reference_id, flip = request.groups[0], False
        with self.lock:
            row = self.transfers.get(reference_id)
            if row is None:
                return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
            if reference_id in self.polls_left and row["status"] == "PENDING":
                self.polls_left[reference_id] -= 1
                flip = self.polls_left[reference_id] <= 0
        if flip:
            self._settle_transfer(reference_id, delay=False)
        with self.lock:
            return SimResponse(200, dict(self.transfers[reference_id]))

    def account_active(self, request: SimRequest) -> SimResponse:
        product, id_type, holder = request.groups
        denied = self._authorized(request, product)
        if denied:
            return denied
        active = id_type == "msisdn" and holder.isdigit() and not holder.endswith("0000")
        return SimResponse(200, {"result": active})

    def basic_user_info(self, request: SimRequest) -> SimResponse:
        product, msisdn = request.groups
        denied = self._authorized(request, product)
        if denied:
            return denied
        if not msisdn.isdigit() or msisdn.endswith("0000"):
            return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
        info = {"given_name": "KWAME", "family_name": f"MENSAH {msisdn[-4:]}", "birthdate": "1990-01-01",
                "locale": "en_GH", "gender": "MALE"}
        info.update(self.holders.get(msisdn, {}))
        return SimResponse(200, info)

    def balance(self, request: SimRequest) -> SimResponse:
        product = request.groups[0]
        denied = self._authorized(request, product)
        if denied:
            return denied
        with self.lock:
            return SimResponse(200, {"availableBalance": str(self.balances[product]),
                                     "currency": request.query.get("currency") or "EUR"})

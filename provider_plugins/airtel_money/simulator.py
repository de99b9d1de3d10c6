"""A local Airtel Money Open API: OAuth token, collections (USSD push), enquiry, callbacks, KYC, balance,
disbursements that check the RSA-encrypted PIN with the private key only this simulator holds.

Speaks the protocol described in ``connector.py``. Collections are approved by the simulated payer
after ``approve_delay`` (``auto_approve=False``: only :meth:`complete`); the callback is POSTed to
``webhook_url`` (Airtel's callback URL is set per merchant account on the portal), with ``hash``
when ``callback_key`` is set. Disbursements decrypt ``pin`` with the private key and refuse a wrong
PIN (``DP00900001004`` "Invalid PIN"); they start ``TIP`` and settle after ``disburse_delay``.

Simulator magic values (not Airtel's): a msisdn ending ``0000`` has no wallet (KYC refused,
disbursement ``TF``, push ``TF``); ``1111`` is barred. Faults per reference: ``failure``,
``pending_then_success``, ``reversed`` (a disbursement TS, then TF), ``duplicate_webhook``,
``bad_signature``, ``out_of_order`` (the reversal's callback before the success's); transport faults.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer
from provider_plugins.simkit.local_server import serve_until_interrupted

from .connector import callback_hash

DEFAULT_CLIENT_ID = "7d1c0f4b-2a3e-4f5d-9b8c-1e2f3a4b5c6d"
DEFAULT_CLIENT_SECRET = "airtel-sim-secret-0b1c2d3e"  # noqa: S105 - simulator secret
DEFAULT_PIN = "1234"
DEFAULT_CALLBACK_KEY = "airtel-sim-callback-key"
# A test key pair for the simulator only (Airtel keeps its private key; merchants get the public half).
SIMULATOR_PRIVATE_KEY = """\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDG0wl7Zqq3FYkc
1t6cud2wqt0OkUDGqxDRTdpqU+hQcDQ85n8ytSH3EbO1fHj0EKM6j+tXZVJ+o0PW
MeA2AE1PbDDe6mX8hA/AL+9+T/TR7PMh85oEWqIrhv8dMuQNWDau+0nW5FNA32LB
4Bd/aYNu0xkm9REyVUYckebTkqn7bbg5Fkwnh8P8Ri/luqIp08WvIo7SDuw6WYGG
FRse2liX7+beQUKkrDmg+APUjoWd2mUb5D1HE4PX2TdKjFmykHPv+hF21Xvj2yY3
ymAlbcIYVDlkkc8tDZodO9hVfrUCCGmH/T9j9ghVbdya9QoPEf8msNueSX9jI7B3
SHaJ/altAgMBAAECggEAWhI53fMFTJrPekanI7YaBdJqAZLxFu9hV4ie9YNcn7At
IhfDsPuYzv5wfLvOabbt03ZmhbmrlR4ueacvrRcW7u+S9jGXET3citLMetsLDFz9
Sji64dUTWYe3JAmtgZQgdcX2Tgky5BUu/qifzING3Rp57wmfiD9UW1YHjXqIUhO2
l+phK0WX6Ag8jaann2d+TazikwFwWcB2uKOZoOME/WVeZbNUWvl+ixXAXznSFr6T
BERabAG5QaJDfIA9fgopX00n0HQ0mjjrrd3M7H9Tq3R8NoNd2OrEuc59ybhJAU15
EpXFbiRNqRpLYocMH2v7mZiSr1DmF7dN0ICF8pAi6wKBgQDpCCP7zfXtZmuRjp+A
yXokhp3YLGuQOj31di4+FwOhuIfswpfNHL1C4vVyRS+Q8XYfeOeC/KYmkCH5onMP
kwJUrslnGPOWvWRZJMWwIG9SliCB2BQA3DzkzIbUM6r0H6BqFNyCkR70W555BtDj
LuxA8cinRxWMa0TWrHUsMKRa0wKBgQDaa8Y4uh5ksExWLcsdZGkMmTNwcEpFq61L
dfxtGMST6/qmF+elB7ePLzRmGjosZosIVfizBwTaJ02oBtrJ8jzl7pyHU/QNxHxL
ZH9d+jjdcsZfZVk66z2FBzcKGxM2s9lMsc+hEpSd7eKunkGOz/h3NSsl0R3oAO8I
+gkNeQ7CvwKBgHt0dJvSYZeDyzkx9g6krrDrIHSGE/Y05N5F3fnG94WV3WzxKrrf
nuTwmFgRj0GaqpnB0+TxNJT5hwZZqdt2ZqW2c7zK20Hg1GjlslW82T1Hi7E+aFqM
UzZjpIqHVOpAVxvcMXZ6q4uJfktf8QpqsX82mLcGUcQykCWq9+iRXIFBAoGACQPj
xZmhAYTpUbFILelkEJoOLnjkB+YjG/c9uP8JthVKXiqkbAJaiDVpk0FH32dIG8r4
neMPRzXSFbpas3UlIFRt74P+kcbnXnFCdI2MZU+EcpGLUkw9WM1Ib0lYzKw1rt2z
9TEAI1ibP5vWlt9soPb31fLAqj/HnfY8A2tYuZ8CgYEAnG2qz4CufVj2Ltn/D2ji
/enFZC90DFhwyu4UksQCAOWWZSJavdgDGT64UYTtf+2W7MbMcfqr5gE7SnSO8yr8
PRQwKZc0EP7OTef9moKgG2UpGJBN2e13h8HXsZZdy/Tb29dqVSjoxCAZQnyj1MPl
1WKTJNhz9x9VKac5Pj0u4ZQ=
-----END PRIVATE KEY-----

"""


def _private_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(SIMULATOR_PRIVATE_KEY.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("the simulator's key is RSA")
    return key


def simulator_public_key() -> str:
    """The public half as Airtel's portal shows it: base64 DER (SubjectPublicKeyInfo), no PEM armour."""
    key = _private_key()
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _status(success: bool, message: str, *, code: str = "200", response_code: str = "DP00800001001",
            result_code: str = "ESB000010") -> dict[str, Any]:
    return {"code": code, "message": message, "result_code": result_code, "response_code": response_code,
            "success": success}


class AirtelMoneySimulator(SimulatorServer):
    name = "airtel_money"

    def __init__(self, *, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 pin: str = DEFAULT_PIN, callback_key: str = DEFAULT_CALLBACK_KEY,
                 markets: dict[str, str] | None = None, auto_approve: bool = True, approve_delay: float = 0.05,
                 disburse_delay: float = 0.05, token_ttl: int = 180, balance: str = "50000000", **kwargs: Any) -> None:
        self.client_id, self.client_secret, self.pin, self.callback_key = client_id, client_secret, pin, callback_key
        self.markets = markets or {"NG": "NGN", "NE": "XOF"}
        self.auto_approve, self.approve_delay, self.disburse_delay = auto_approve, approve_delay, disburse_delay
        self.token_ttl = token_ttl
        self.balance = Decimal(balance)
        self.private_key = _private_key()
        self.tokens: dict[str, float] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.disbursements: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.pin_checks: list[bool] = []
        super().__init__(**kwargs)

    @property
    def public_key(self) -> str:
        return simulator_public_key()

    def routes(self) -> None:
        self.route("POST", r"/auth/oauth2/token", self.token)
        self.route("POST", r"/merchant/v1/payments/?", self.collect)
        self.route("GET", r"/standard/v1/payments/([^/]+)", self.payment_enquiry)
        self.route("GET", r"/standard/v1/users/balance", self.user_balance)
        self.route("GET", r"/standard/v1/users/([0-9]+)", self.kyc)
        self.route("POST", r"/standard/v1/disbursements/?", self.disburse)
        self.route("GET", r"/standard/v1/disbursements/([^/]+)", self.disbursement_enquiry)
        self.route("POST", r"/_simulator/complete/([^/]+)", self.control_complete)

    # -- auth ------------------------------------------------------------------------------------
    def token(self, request: SimRequest) -> SimResponse:
        body = request.json() or {}
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return SimResponse(400, {"error_description": "Unsupported grant type", "error": "unsupported_grant_type"})
        if not (secrets.compare_digest(str(body.get("client_id", "")), self.client_id)
                and secrets.compare_digest(str(body.get("client_secret", "")), self.client_secret)):
            return SimResponse(401, {"error_description": "Invalid client authentication", "error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
        return SimResponse(200, {"access_token": token, "expires_in": str(self.token_ttl), "token_type": "bearer"})

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def _denied(self, request: SimRequest) -> SimResponse | None:
        token = request.header("Authorization").removeprefix("Bearer ")
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None or expiry < time.monotonic():
            return SimResponse(401, {"status": _status(False, "Authorization failed", code="401",
                                                       result_code="ESB000001")})
        country, currency = request.header("X-Country"), request.header("X-Currency")
        if self.markets.get(country) != currency:
            return SimResponse(400, {"status": _status(False, "Invalid country or currency", code="400",
                                                       result_code="ESB000008")})
        return None

    @staticmethod
    def _amount(value: Any) -> Decimal | None:
        try:
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None
        return amount if amount.is_finite() and amount > 0 else None

    # -- collections -----------------------------------------------------------------------------
    def collect(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        body = request.json()
        txn = body.get("transaction") if isinstance(body, dict) else None
        subscriber = body.get("subscriber") if isinstance(body, dict) else None
        if not isinstance(txn, dict) or not isinstance(subscriber, dict) or not txn.get("id"):
            return SimResponse(400, {"status": _status(False, "Invalid request", code="400", result_code="ESB000008")})
        msisdn = str(subscriber.get("msisdn", ""))
        if not msisdn.isdigit() or len(msisdn) > 10:
            return SimResponse(400, {"status": _status(False, "Invalid msisdn: send it without the country code",
                                                       code="400", result_code="ESB000008")})
        if self._amount(txn.get("amount")) is None:
            return SimResponse(400, {"status": _status(False, "Invalid amount", code="400", result_code="ESB000008")})
        with self.lock:
            if txn["id"] in self.payments:
                return SimResponse(200, {"status": _status(False, "Duplicate transaction id", code="400",
                                                           response_code="DP00800001009", result_code="ESB000041")})
            self.payments[txn["id"]] = {"id": str(txn["id"]), "amount": str(txn["amount"]), "msisdn": msisdn,
                                        "status": "TIP", "message": "In process", "airtel_money_id": ""}
            plan = self.plans[txn["id"]] = self.outcome_plan(str(txn["id"]), request)
        if msisdn.endswith("0000"):
            threading.Thread(target=self._finish, args=(txn["id"], "TF", "Subscriber not found"), daemon=True).start()
        elif plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
            with self.lock:
                self.polls_left[txn["id"]] = plan.polls
        elif plan and plan.mode is FaultMode.FAILURE:
            threading.Thread(target=self._finish, args=(txn["id"], "TF", "Transaction declined"), daemon=True).start()
        elif self.auto_approve:
            threading.Thread(target=self._finish, args=(txn["id"], "TS", ""), daemon=True).start()
        return SimResponse(200, {"data": {"transaction": {"id": str(txn["id"]), "status": "SUCCESS"}},
                                 "status": _status(True, "SUCCESS", response_code="DP00800001006")})

    def _callback(self, transaction: dict[str, Any], plan: Fault | None) -> None:
        payload: dict[str, Any] = {"transaction": transaction}
        if self.callback_key:
            bad = bool(plan and plan.mode is FaultMode.BAD_SIGNATURE)
            payload["hash"] = callback_hash(transaction, "not-the-key" if bad else self.callback_key)
        quiet = Fault(FaultMode.DUPLICATE_WEBHOOK, duplicates=plan.duplicates) \
            if plan and plan.mode is FaultMode.DUPLICATE_WEBHOOK else None
        self.deliver(payload, plan=quiet)

    def _finish(self, txn_id: str, status: str, message: str, *, delay: bool = True) -> None:
        if delay:
            time.sleep(self.approve_delay)
        with self.lock:
            payment = self.payments[txn_id]
            if payment["status"] != "TIP":
                return
            payment["status"] = status
            payment["message"] = message or ("Paid" if status == "TS" else "Failed")
            if status == "TS":
                payment["airtel_money_id"] = f"MP{secrets.randbelow(10**10):010d}"
            plan = self.plan_for(txn_id, self.plans.get(txn_id))
            transaction = {"id": txn_id, "message": payment["message"], "status_code": status,
                           "airtel_money_id": payment["airtel_money_id"]}
        self._callback(transaction, plan)

    def complete(self, txn_id: str, *, approve: bool = True) -> dict[str, Any]:
        """The payer enters their PIN (or refuses) on the USSD prompt."""
        self._finish(txn_id, "TS" if approve else "TF", "" if approve else "Transaction declined by subscriber",
                     delay=False)
        with self.lock:
            return dict(self.payments[txn_id])

    def control_complete(self, request: SimRequest) -> SimResponse:
        if request.groups[0] not in self.payments:
            return SimResponse(404, {"status": _status(False, "Transaction not found", code="404")})
        return SimResponse(200, self.complete(request.groups[0], approve=(request.json() or {}).get("approve", True)))

    def payment_enquiry(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        txn_id, flip = request.groups[0], False
        with self.lock:
            payment = self.payments.get(txn_id)
            if payment is None:
                return SimResponse(200, {"data": {}, "status": _status(False, "Transaction not found", code="404",
                                                                       response_code="DP00800001000",
                                                                       result_code="ESB000041")})
            if txn_id in self.polls_left and payment["status"] == "TIP":
                self.polls_left[txn_id] -= 1
                flip = self.polls_left[txn_id] <= 0
        if flip:
            self._finish(txn_id, "TS", "", delay=False)
        with self.lock:
            payment = self.payments[txn_id]
            data = {"transaction": {"airtel_money_id": payment["airtel_money_id"], "id": txn_id,
                                    "message": payment["message"], "status": payment["status"]}}
        return SimResponse(200, {"data": data, "status": _status(True, "SUCCESS")})

    # -- KYC and balance -------------------------------------------------------------------------
    def kyc(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        msisdn = request.groups[0]
        if msisdn.endswith("0000"):
            return SimResponse(200, {"data": {}, "status": _status(False, "User not found", code="404",
                                                                   result_code="ESB000041")})
        user = self.users.get(msisdn) or {"first_name": "AMINA", "last_name": f"BELLO {msisdn[-4:]}"}
        return SimResponse(200, {"data": {"first_name": user["first_name"], "last_name": user["last_name"],
                                          "grade": "SUBS", "is_barred": msisdn.endswith("1111"), "is_pin_set": True,
                                          "msisdn": msisdn, "registration": {"id": msisdn, "status": "SUBS"}},
                                 "status": _status(True, "SUCCESS")})

    def user_balance(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        with self.lock:
            return SimResponse(200, {"data": {"balance": str(self.balance), "currency": request.header("X-Currency"),
                                              "account_status": "Active"}, "status": _status(True, "SUCCESS")})

    # -- disbursements ---------------------------------------------------------------------------
    def _pin_ok(self, encrypted: str) -> bool:
        try:
            clear = self.private_key.decrypt(base64.b64decode(encrypted), padding.PKCS1v15()).decode()
        except (ValueError, TypeError):
            return False
        return secrets.compare_digest(clear, self.pin)

    def disburse(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        body = request.json()
        txn = body.get("transaction") if isinstance(body, dict) else None
        payee = body.get("payee") if isinstance(body, dict) else None
        if not isinstance(txn, dict) or not isinstance(payee, dict) or not txn.get("id"):
            return SimResponse(400, {"status": _status(False, "Invalid request", code="400", result_code="ESB000008")})
        ok = self._pin_ok(str(body.get("pin", "")))
        with self.lock:
            self.pin_checks.append(ok)
        if not ok:
            return SimResponse(200, {"status": _status(False, "Invalid PIN", code="400",
                                                       response_code="DP00900001004", result_code="ESB000014")})
        amount, msisdn = self._amount(txn.get("amount")), str(payee.get("msisdn", ""))
        if amount is None or not msisdn.isdigit() or len(msisdn) > 10:
            return SimResponse(400, {"status": _status(False, "Invalid amount or payee msisdn", code="400",
                                                       result_code="ESB000008")})
        with self.lock:
            if txn["id"] in self.disbursements:
                return SimResponse(200, {"status": _status(False, "Duplicate transaction id", code="400",
                                                           response_code="DP00900001009", result_code="ESB000041")})
            if amount > self.balance:
                return SimResponse(200, {"status": _status(False, "Insufficient balance", code="400",
                                                           response_code="DP00900001007", result_code="ESB000014")})
            self.balance -= amount
            row = {"id": str(txn["id"]), "amount": str(txn["amount"]), "msisdn": msisdn, "status": "TIP",
                   "message": "In process", "airtel_money_id": "", "reference_id": str(secrets.randbelow(10**9))}
            self.disbursements[row["id"]] = row
            plan = self.plans[row["id"]] = self.outcome_plan(row["id"], request)
            snapshot = dict(row)
        if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
            with self.lock:
                self.polls_left[row["id"]] = plan.polls
        else:
            threading.Thread(target=self._settle, args=(row["id"],), daemon=True).start()
        return SimResponse(200, {"data": {"transaction": {k: snapshot[k] for k in
                                                          ("reference_id", "airtel_money_id", "id", "status",
                                                           "message")}},
                                 "status": _status(True, "SUCCESS", response_code="DP00900001001")})

    def _settle(self, txn_id: str, *, delay: bool = True) -> None:
        if delay:
            time.sleep(self.disburse_delay)
        with self.lock:
            row = self.disbursements[txn_id]
            if row["status"] != "TIP":
                return
            plan = self.plan_for(txn_id, self.plans.get(txn_id))
            failed = row["msisdn"].endswith("0000") or bool(plan and plan.mode is FaultMode.FAILURE)
            row["status"] = "TF" if failed else "TS"
            row["message"] = "Payee not found or barred" if failed else "Disbursed"
            if failed:
                self.balance += Decimal(row["amount"])
            else:
                row["airtel_money_id"] = f"DB{secrets.randbelow(10**10):010d}"
            events = [{"id": txn_id, "message": row["message"], "status_code": row["status"],
                       "airtel_money_id": row["airtel_money_id"]}]
            if not failed and plan and plan.mode in (FaultMode.REVERSED, FaultMode.OUT_OF_ORDER):
                row["status"], row["message"] = "TF", "Reversed by Airtel"
                self.balance += Decimal(row["amount"])
                events.append({**events[0], "status_code": "TF", "message": row["message"]})
                if plan.mode is FaultMode.OUT_OF_ORDER:
                    events.reverse()
        for event in events:
            self._callback(event, plan)

    def disbursement_enquiry(self, request: SimRequest) -> SimResponse:
        denied = self._denied(request)
        if denied:
            return denied
        txn_id, flip = request.groups[0], False
        with self.lock:
            row = self.disbursements.get(txn_id)
            if row is None:
                return SimResponse(200, {"data": {}, "status": _status(False, "Transaction not found", code="404",
                                                                       result_code="ESB000041")})
            if txn_id in self.polls_left and row["status"] == "TIP":
                self.polls_left[txn_id] -= 1
                flip = self.polls_left[txn_id] <= 0
        if flip:
            self._settle(txn_id, delay=False)
        with self.lock:
            row = self.disbursements[txn_id]
            data = {"transaction": {"id": txn_id, "message": row["message"], "status": row["status"],
                                    "airtel_money_id": row["airtel_money_id"]}}
        return SimResponse(200, {"data": data, "status": _status(True, "SUCCESS")})

    def reverse(self, txn_id: str) -> dict[str, Any]:
        """Airtel takes back a disbursement it had paid (TS -> TF) and calls back."""
        with self.lock:
            row = self.disbursements[txn_id]
            if row["status"] == "TS":
                row["status"], row["message"] = "TF", "Reversed by Airtel"
                self.balance += Decimal(row["amount"])
            event = {"id": txn_id, "message": row["message"], "status_code": row["status"],
                     "airtel_money_id": row["airtel_money_id"]}
            plan = self.plan_for(txn_id, self.plans.get(txn_id))
        self._callback(event, plan)
        return dict(row)


if __name__ == "__main__":
    serve_until_interrupted(AirtelMoneySimulator(port=8718).start(), "Airtel Money simulator on :8718")

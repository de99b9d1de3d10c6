"""A local OnePipe v2: ``POST /v2/transact`` and ``POST /v2/transact/query``, signed and encrypted as OnePipe documents.

Checks what the real service checks: ``Authorization: Bearer <api_key>``, ``Signature`` = md5 of
``"<request_ref>;<secret>"``, a ``request_ref`` never reused, and ``auth.secure`` decrypting with the secret
(TripleDES, crypto.py). Services: ``lookup_account_min``, ``lookup_account_max``, ``lookup_bvn_min``,
``lookup_nin_min``, ``disburse``; answers in OnePipe's envelope
``{status, message, data: {provider_response_code, provider, errors, error, provider_response}}``.

Magic values: bank accounts are 10 digits at a CBN bank code of ``CBN_BANKS``; those starting with ``99`` do not
exist; ``accounts`` maps (bank code, number) to a holder's name. BVNs/NINs are 11 digits; those ending in
``0000`` do not exist; ``identities`` maps a number to its holder (default ``ADA OBI``, born 1990-01-01).
``balance`` (kobo) is the app's pre-configured account that ``disburse`` draws from.

Fault modes (gateway_sim): transport ``latency``, ``timeout``, ``server_error`` (every path); outcome
``failure`` (a disburse fails at the beneficiary bank) and ``pending_then_success`` (``Processing`` for
``polls`` queries, then ``Successful``), per run, per reference (our ``transaction_ref``) or per request
header. ``malformed`` answers (not JSON) for the next ``malformed_next`` requests. OnePipe sends no
callbacks for a disburse here (the core requeries), so the webhook faults do not apply.

No SDK fidelity test: OnePipe publishes no Python SDK and none is on PyPI (``onepipepy`` is a Pipedrive client).
"""

from __future__ import annotations

import argparse
import itertools
import secrets
from typing import Any

from provider_plugins.simkit.gateway_sim import Fault, FaultMode, SimRequest, SimResponse, SimulatorServer
from provider_plugins.simkit.local_server import serve_until_interrupted

from .connector import CBN_BANKS
from .crypto import decrypt_secure, signature_matches

DEFAULT_API_KEY = "op_test_simulator_key"
DEFAULT_SECRET = "op_test_simulator_secret"  # noqa: S105 - the simulator's documented test secret
BANK_NAMES = dict(CBN_BANKS)


def _answer(status: str, message: str, *, provider_response: dict[str, Any] | None = None, code: str = "00",
            error: dict[str, str] | None = None, http: int = 200) -> SimResponse:
    return SimResponse(http, {"status": status, "message": message, "data": {
        "provider_response_code": code, "provider": "Polaris", "errors": [error] if error else None,
        "error": error, "provider_response": provider_response}})


def _failed(message: str, *, code: str = "01", http: int = 200) -> SimResponse:
    return _answer("Failed", message, code=code, error={"code": code, "message": message}, http=http)


class OnePipeSimulator(SimulatorServer):
    name = "onepipe"

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, secret: str = DEFAULT_SECRET,
                 balance: int = 10**12, **kwargs: Any) -> None:
        self.api_key = api_key
        self.secret = secret
        self.balance = balance
        self.malformed_next = 0
        self.request_refs: set[str] = set()
        self.transactions: dict[str, dict[str, Any]] = {}  # transaction_ref -> disburse
        self.plans: dict[str, Fault | None] = {}
        self.polls_left: dict[str, int] = {}
        self.accounts: dict[tuple[str, str], str] = {("058", "0123456789"): "ADA OBI LOVELACE"}
        self.identities: dict[str, dict[str, str]] = {}
        self.lookups: list[dict[str, Any]] = []  # what was asked (numbers masked), for tests
        self._ids = itertools.count(136_000_001)
        super().__init__(**kwargs)

    def routes(self) -> None:
        self.route("POST", r"/v2/transact", self.transact)
        self.route("POST", r"/v2/transact/query", self.query)

    # -- protocol checks -----------------------------------------------------------
    def _check(self, request: SimRequest, payload: dict[str, Any]) -> SimResponse | None:
        if self.malformed_next > 0:
            self.malformed_next -= 1
            return SimResponse(200, b"<html>upstream error</html>", {"Content-Type": "text/html"})
        if request.header("Authorization") != f"Bearer {self.api_key}":
            return _failed("Invalid API key", code="401", http=401)
        request_ref = str(payload.get("request_ref") or "")
        if not request_ref or not signature_matches(request.header("Signature"), request_ref, self.secret):
            return _failed("Invalid signature", code="401", http=401)
        with self.lock:
            if request_ref in self.request_refs:
                return _failed("Duplicate request_ref: every request needs a new one", code="400", http=400)
            self.request_refs.add(request_ref)
        return None

    def _secure(self, payload: dict[str, Any]) -> str | None:
        secure = (payload.get("auth") or {}).get("secure")
        return decrypt_secure(secure, self.secret) if isinstance(secure, str) and secure else None

    def _holder(self, bank_code: str, number: str) -> str | None:
        if bank_code not in BANK_NAMES or len(number) != 10 or not number.isdigit() or number.startswith("99"):
            return None
        return self.accounts.get((bank_code, number), f"ACCOUNT HOLDER {number[-4:]}")

    @staticmethod
    def _split_account(plain: str) -> tuple[str, str]:
        """``"<account>;<bank code>"`` (documented order); ``"<bank code>;<account>"`` is read too."""
        first, _, second = plain.partition(";")
        return (first, second) if len(first) == 10 else (second, first)

    # -- /v2/transact --------------------------------------------------------------
    def transact(self, request: SimRequest) -> SimResponse:
        payload = request.json()
        if not isinstance(payload, dict):
            return _failed("Request body must be JSON", code="400", http=400)
        refused = self._check(request, payload)
        if refused is not None:
            return refused
        kind = str(payload.get("request_type") or "")
        handler = {"lookup_account_min": self._lookup_account, "lookup_account_max": self._lookup_account,
                   "lookup_bvn_min": self._lookup_identity, "lookup_nin_min": self._lookup_identity,
                   "disburse": self._disburse}.get(kind)
        if handler is None:
            return _failed(f"Unsupported request_type {kind!r}", code="400", http=400)
        transaction = payload.get("transaction")
        if not isinstance(transaction, dict) or not transaction.get("transaction_ref"):
            return _failed("transaction.transaction_ref is required", code="400", http=400)
        return handler(kind, payload, transaction, request)

    def _lookup_account(self, kind: str, payload: dict[str, Any], transaction: dict[str, Any],
                        request: SimRequest) -> SimResponse:
        plain = self._secure(payload)
        if plain is None or (payload.get("auth") or {}).get("type") != "bank.account":
            return _failed("auth.secure could not be decrypted", code="400", http=400)
        number, bank_code = self._split_account(plain)
        with self.lock:
            self.lookups.append({"request_type": kind, "number_last4": number[-4:], "bank_code": bank_code})
        holder = self._holder(bank_code, number)
        if holder is None:
            return _failed("Account not found", code="07")
        first, _, last = holder.partition(" ")
        response: dict[str, Any] = {"customer_id": f"{next(self._ids):09d}", "account_name": holder,
                                    "account_number": number, "last_name": last or first, "first_name": first,
                                    "middle_name": "-", "gender": "Female", "account_currency": "NGN",
                                    "dob": "1990-01-01", "reference": str(next(self._ids)), "meta": {}}
        if kind == "lookup_account_max":
            response.update(bvn="22" + number[-9:], bank_code=bank_code, bank_name=BANK_NAMES[bank_code],
                            kyc_level="3", phone_number="08030000000", email="")
        return _answer("Successful", "Transaction processed successfully", provider_response=response)

    def _lookup_identity(self, kind: str, payload: dict[str, Any], transaction: dict[str, Any],
                         request: SimRequest) -> SimResponse:
        plain = self._secure(payload)
        expected_type = "bvn" if kind == "lookup_bvn_min" else "nin"
        if plain is None or (payload.get("auth") or {}).get("type") != expected_type:
            return _failed("auth.secure could not be decrypted", code="400", http=400)
        with self.lock:
            self.lookups.append({"request_type": kind, "number_last4": plain[-4:]})
        if len(plain) != 11 or not plain.isdigit() or plain.endswith("0000"):
            return _failed(f"{expected_type.upper()} not found", code="07")
        record = self.identities.get(plain, {"first_name": "ADA", "last_name": "OBI", "dob": "1990-01-01"})
        customer = transaction.get("customer") or {}
        details = transaction.get("details") or {}
        response: dict[str, Any] = {
            expected_type: plain,
            "first_name": str(customer.get("firstname") or "").strip().lower() == record["first_name"].lower(),
            "last_name": str(customer.get("surname") or "").strip().lower() == record["last_name"].lower(),
            "reference": str(next(self._ids)), "meta": {}}
        if details.get("dob"):
            response["dob"] = details["dob"] == record["dob"]
        return _answer("Successful", "Transaction processed successfully", provider_response=response)

    def _disburse(self, kind: str, payload: dict[str, Any], transaction: dict[str, Any],
                  request: SimRequest) -> SimResponse:
        reference = str(transaction["transaction_ref"])
        details = transaction.get("details") or {}
        amount = transaction.get("amount")
        with self.lock:
            existing = self.transactions.get(reference)
        if existing is not None:  # the same transaction again: its state, never a second payment
            return self._state(existing)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            return _failed("Invalid amount", code="13")
        bank_code = str(details.get("destination_bank_code") or "")
        number = str(details.get("destination_account") or "")
        holder = self._holder(bank_code, number)
        if holder is None:
            return _failed("Invalid beneficiary account", code="07")
        with self.lock:
            if amount > self.balance:
                return _failed("Insufficient funds in the source account", code="51")
            plan = self.outcome_plan(reference, request)
            mode = plan.mode if plan else None
            txn = {"reference": reference, "amount": amount, "status": "Successful", "message":
                   "Transaction processed successfully", "code": "00",
                   "provider_response": {
                       "reference": f"{next(self._ids):012d}", "payment_id": f"136FTTP{next(self._ids)}",
                       "destination_institution_code": f"000{bank_code}"[-6:], "beneficiary_account_name": holder,
                       "beneficiary_account_number": number, "beneficiary_kyc_level": "3",
                       "originator_account_name": "NEXUSTOP PAYOUTS", "originator_account_number": "1100000001",
                       "originator_kyc_level": "3", "narration": str(transaction.get("transaction_desc") or ""),
                       "transaction_final_amount": amount, "meta": {}}}
            if mode is FaultMode.FAILURE:
                txn.update(status="Failed", message="Transaction failed at the beneficiary bank", code="91")
            else:
                self.balance -= amount
                if mode is FaultMode.PENDING_THEN_SUCCESS:
                    txn.update(status="Processing", message="Transaction is being processed", code="09")
                    self.polls_left[reference] = plan.polls if plan else 2
            self.plans[reference] = plan
            self.transactions[reference] = txn
        return self._state(txn)

    @staticmethod
    def _state(txn: dict[str, Any]) -> SimResponse:
        if txn["status"] == "Failed":
            return _failed(txn["message"], code=txn["code"])
        return _answer(txn["status"], txn["message"], provider_response=dict(txn["provider_response"]),
                       code=txn["code"])

    # -- /v2/transact/query --------------------------------------------------------
    def query(self, request: SimRequest) -> SimResponse:
        payload = request.json()
        if not isinstance(payload, dict):
            return _failed("Request body must be JSON", code="400", http=400)
        refused = self._check(request, payload)
        if refused is not None:
            return refused
        reference = str((payload.get("transaction") or {}).get("transaction_ref") or "")
        with self.lock:
            txn = self.transactions.get(reference)
            if txn is None:
                return _failed("Transaction not found", code="25")
            if txn["status"] == "Processing" and reference in self.polls_left:
                self.polls_left[reference] -= 1
                if self.polls_left[reference] <= 0:
                    del self.polls_left[reference]
                    txn.update(status="Successful", message="Transaction processed successfully", code="00")
            snapshot = dict(txn)
        return self._state(snapshot)

    # -- helpers for tests and demos -------------------------------------------------
    def register_identity(self, number: str, *, first_name: str, last_name: str, dob: str = "1990-01-01") -> None:
        self.identities[number] = {"first_name": first_name, "last_name": last_name, "dob": dob}

    def new_request_ref(self) -> str:
        return secrets.token_hex(8)


def main() -> None:
    parser = argparse.ArgumentParser(description="OnePipe v2 simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8741)
    args = parser.parse_args()
    simulator = OnePipeSimulator(host=args.host, port=args.port).start()
    serve_until_interrupted(simulator, f"OnePipe simulator on {simulator.url}")


if __name__ == "__main__":
    main()

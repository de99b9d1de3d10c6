"""Banks, name enquiry, transfer recipients, the merchant balance and transfers (payouts) with their webhooks."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from provider_plugins.simkit.gateway_sim import FaultMode, SimRequest, SimResponse

from .base import BANKS, COUNTRY_NAMES, CURRENCIES, FULL_COUNTRY, INTEGRATION_ID, PaystackBase, fail, iso_now, ok


class TransferEndpoints(PaystackBase):
    def _bank_objects(self, country: str) -> list[dict[str, Any]]:
        return [{"name": name, "slug": name.lower().replace(" ", "-"), "code": code, "longcode": "",
                 "gateway": None, "pay_with_bank": False, "supports_transfer": True, "active": True,
                 "is_deleted": False, "country": FULL_COUNTRY.get(country, ""), "currency": CURRENCIES.get(country, ""),
                 "type": "nuban" if country == "NG" else "ghipss", "id": i,
                 "createdAt": "2020-12-07T16:19:09.000Z", "updatedAt": "2020-12-07T16:19:19.000Z"}
                for i, (code, name) in enumerate(BANKS.get(country, []), start=1)]

    def list_banks(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        country = COUNTRY_NAMES.get(request.query.get("country", "nigeria").lower(), "")
        if request.query.get("currency"):
            country = next((c for c, cur in CURRENCIES.items() if cur == request.query["currency"]), "")
        banks = self._bank_objects(country)
        try:
            per_page = int(request.query.get("perPage", 50))
        except ValueError:
            per_page = 50
        return ok("Banks retrieved", banks[:per_page], meta={"next": None, "previous": None, "perPage": per_page})

    def _bank_name(self, bank_code: str) -> str:
        return next((name for banks in BANKS.values() for code, name in banks if code == bank_code), "")

    def _account_name(self, bank_code: str, account_number: str) -> str | None:
        if not self._bank_name(bank_code) or len(account_number) != 10 or not account_number.isdigit():
            return None
        if account_number.startswith("99"):
            return None
        return self.accounts.get((bank_code, account_number), f"ACCOUNT HOLDER {account_number[-4:]}")

    def resolve(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        number, bank = request.query.get("account_number", ""), request.query.get("bank_code", "")
        name = self._account_name(bank, number)
        if name is None:
            return fail(422, "Could not resolve account name. Check parameters or try again.")
        return ok("Account number resolved", {"account_number": number, "account_name": name, "bank_id": 9})

    def create_recipient(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        payload = request.json() or {}
        number, bank = str(payload.get("account_number", "")), str(payload.get("bank_code", ""))
        name = self._account_name(bank, number)
        if name is None:
            return fail(422, "Cannot resolve account")
        with self.lock:
            existing = next((r for r in self.recipients.values()
                             if r["details"]["account_number"] == number and r["details"]["bank_code"] == bank), None)
            if existing:  # like Paystack: same account -> the existing recipient
                return ok("Transfer recipient created successfully", existing, 201)
            code = "RCP_" + secrets.token_hex(8)[:15]
            now = iso_now()
            recipient = {"active": True, "createdAt": now, "currency": payload.get("currency", "NGN"),
                         "description": payload.get("description") or None, "domain": "test", "email": None,
                         "id": next(self._ids), "integration": INTEGRATION_ID,
                         "metadata": payload.get("metadata") or None, "name": payload.get("name") or name,
                         "recipient_code": code, "type": payload.get("type", "nuban"), "updatedAt": now,
                         "is_deleted": False, "details": {"authorization_code": None, "account_number": number,
                                                          "account_name": name, "bank_code": bank,
                                                          "bank_name": self._bank_name(bank)}}
            self.recipients[code] = recipient
        return ok("Transfer recipient created successfully", recipient, 201)

    def fetch_recipient(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        with self.lock:
            wanted = request.groups[0]
            recipient = self.recipients.get(wanted) or next(
                (r for r in self.recipients.values() if str(r["id"]) == wanted), None)
            if recipient is None:
                return fail(404, "Recipient not found")
            return ok("Recipient retrieved", dict(recipient))

    def get_balance(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        with self.lock:
            return ok("Balances retrieved", [{"currency": "NGN", "balance": self.balance}])

    def create_transfer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        payload = request.json() or {}
        reference = str(payload.get("reference") or secrets.token_hex(8))
        try:
            amount = int(payload.get("amount", ""))
        except (TypeError, ValueError):
            return fail(400, "Invalid amount")
        with self.lock:
            if reference in self.transfers:
                return fail(400, "Duplicate Transfer Reference")
            recipient = self.recipients.get(str(payload.get("recipient", "")))
            if recipient is None:
                return fail(400, "Recipient specified is invalid")
            if amount < self.min_transfer:
                return fail(400, "Amount must be at least 100 NGN")
            if amount > self.balance:
                return fail(400, "Your balance is not enough to fulfil this request")
            self.balance -= amount
            now = iso_now()
            transfer = {"integration": INTEGRATION_ID, "domain": "test", "amount": amount,
                        "currency": payload.get("currency", recipient["currency"]), "source": "balance",
                        "source_details": None, "failures": None, "titan_code": None, "transferred_at": None,
                        "reason": payload.get("reason", ""), "reference": reference, "request": next(self._ids),
                        "status": "pending", "transfer_code": "TRF_" + secrets.token_hex(8)[:15],
                        "id": next(self._ids), "recipient": recipient, "createdAt": now, "updatedAt": now,
                        "session": {"provider": None, "id": None}, "fee_charged": 0, "fees_breakdown": None,
                        "gateway_response": None}
            self.transfers[reference] = transfer
            plan = self.outcome_plan(reference, request)
            self.plans[reference] = plan
            if plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS:
                self.polls_left[reference] = plan.polls
            answer = {k: v for k, v in transfer.items() if k != "recipient"} | {"recipient": recipient["id"]}
        if not (plan and plan.mode is FaultMode.PENDING_THEN_SUCCESS):
            threading.Thread(target=self._settle_transfer, args=(reference,), daemon=True).start()
        return ok("Transfer has been queued", answer)

    def _settle_transfer(self, reference: str) -> None:
        time.sleep(self.transfer_delay)
        with self.lock:
            transfer = self.transfers[reference]
            plan = self.plans.get(reference)
            mode = plan.mode if plan else None
            if mode is FaultMode.FAILURE:
                transfer.update(status="failed", failures="Beneficiary account could not be credited")
                self.balance += transfer["amount"]
                events = ["transfer.failed"]
            elif mode is FaultMode.REVERSED:
                transfer.update(status="success", transferred_at=iso_now())
                events = ["transfer.success", "transfer.reversed"]
            else:
                transfer.update(status="success", transferred_at=iso_now())
                events = ["transfer.success"]
            transfer["updatedAt"] = iso_now()
        for event in events:
            if event == "transfer.reversed":
                time.sleep(self.transfer_delay if self.reversal_delay is None else self.reversal_delay)
                with self.lock:
                    transfer.update(status="reversed", updatedAt=iso_now())
                    self.balance += transfer["amount"]
            with self.lock:
                data = dict(transfer)
            self.deliver({"event": event, "data": data}, plan=plan)

    def verify_transfer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        reference = request.groups[0]
        settle = False
        with self.lock:
            transfer = self.transfers.get(reference)
            if transfer is None:
                return fail(404, "Transfer not found")
            if reference in self.polls_left and transfer["status"] == "pending":
                self.polls_left[reference] -= 1
                settle = self.polls_left[reference] <= 0
                if settle:
                    self.plans[reference] = None
                    del self.polls_left[reference]
            data = dict(transfer)
        if settle:
            self._settle_transfer(reference)
            with self.lock:
                data = dict(self.transfers[reference])
        return ok("Transfer retrieved", data)

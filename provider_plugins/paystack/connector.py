"""Paystack (api.paystack.co): checkout, verification, signed webhooks, bank transfers, dedicated accounts.

API reference: https://paystack.com/docs/api/ (transactions, transfers, customers,
dedicated virtual accounts, balance); webhooks: https://paystack.com/docs/payments/webhooks/;
dedicated virtual accounts: https://paystack.com/docs/payments/dedicated-virtual-accounts/.
Credentials: ``secret_key`` (API bearer token and the webhook HMAC key).
Amounts are integer minor units on the wire (kobo, pesewas), like ours.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.common import (
    DuplicateRequest,
    InvalidAmount,
    OutcomeStatus,
    ProviderConfig,
    ProviderFault,
    ProviderLowBalance,
    ProviderProtocolError,
    SignatureError,
    UserFixableError,
)
from provider_plugins.interfaces.gateway_http import HttpAnswer, call, is_unclear
from provider_plugins.interfaces.money import AmountError, parse_minor
from provider_plugins.interfaces.payments import (
    CheckoutRequest,
    CheckoutSession,
    PaymentEvent,
    PaymentVerification,
    header_value,
)
from provider_plugins.interfaces.payouts import (
    AccountName,
    Bank,
    InvalidAccount,
    TransferEvent,
    TransferRequest,
    TransferResult,
)
from provider_plugins.interfaces.virtual_accounts import (
    VirtualAccount,
    VirtualAccountEvent,
    VirtualAccountPayment,
    VirtualAccountRequest,
)
from provider_plugins.interfaces.wire import json_loads

SIGNATURE_HEADER = "x-paystack-signature"
DEDICATED_CHANNEL = "dedicated_nuban"  # a bank transfer into a dedicated virtual account
DEFAULT_DVA_BANK = "wema-bank"
COUNTRY_NAMES = {"NG": "nigeria", "GH": "ghana", "ZA": "south africa", "KE": "kenya", "CI": "cote d'ivoire"}
RECIPIENT_TYPES = {"NGN": "nuban", "GHS": "ghipss", "ZAR": "basa", "KES": "kepss"}

PAYMENT_STATUSES = {"success": OutcomeStatus.SUCCESS, "failed": OutcomeStatus.FAILED,
                    "reversed": OutcomeStatus.FAILED}  # abandoned/ongoing/pending/queued/...: PENDING
TRANSFER_STATUSES = {"success": OutcomeStatus.SUCCESS, "failed": OutcomeStatus.FAILED,
                     "rejected": OutcomeStatus.FAILED, "reversed": OutcomeStatus.FAILED}


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _obj(value: Any) -> dict[str, Any]:
    """A nested object of an answer, or {} when it is absent or not an object."""
    return value if isinstance(value, dict) else {}


def _subunits(value: Any) -> int:
    """Paystack amounts are integers in the currency's subunit (kobo, pesewas): the money rule with no decimals."""
    try:
        return parse_minor(value, minor_digits=0)
    except AmountError:
        raise ProviderProtocolError("unreadable Paystack amount", code="bad_amount") from None


class PaystackConnector:
    """Stateless: every call takes its ProviderConfig. Implements PaymentGateway and PayoutGateway."""

    key = "paystack"

    # -- plumbing ----------------------------------------------------------------
    @staticmethod
    def _headers(config: ProviderConfig) -> dict[str, str]:
        return {"Authorization": f"Bearer {config.credentials['secret_key']}", "Accept": "application/json"}

    def _call(self, config: ProviderConfig, method: str, path: str, **kwargs: Any) -> HttpAnswer:
        return call(config, method, path, headers=self._headers(config), **kwargs)

    @staticmethod
    def _message(answer: HttpAnswer) -> str:
        return str((answer.body or {}).get("message", "")) if isinstance(answer.body, dict) else ""

    @staticmethod
    def _data(answer: HttpAnswer) -> Any:
        if not isinstance(answer.body, dict) or answer.body.get("status") is not True or "data" not in answer.body:
            raise ProviderProtocolError("unexpected Paystack answer", raw={"status": answer.status})
        return answer.body["data"]

    def _verify_signature(self, headers: Mapping[str, str], raw_body: bytes, config: ProviderConfig) -> dict[str, Any]:
        given = header_value(headers, SIGNATURE_HEADER).strip().lower()
        expected = hmac.new(config.credentials["secret_key"].encode(), raw_body, hashlib.sha512).hexdigest()
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise SignatureError("x-paystack-signature does not match the body")
        try:
            payload = json_loads(raw_body)
        except ValueError:
            raise ProviderProtocolError("webhook body is not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise ProviderProtocolError("webhook body has no data object")
        return payload

    @staticmethod
    def classify_webhook(raw_body: bytes) -> str:
        """Unauthenticated peek to route a webhook: ``payment``, ``transfer``, ``virtual_account`` or ``other``.

        ``virtual_account``: ``dedicatedaccount.*`` events and charges whose channel is ``dedicated_nuban``
        (a bank transfer into a dedicated account). Every parser authenticates again.
        """
        try:
            payload = json_loads(raw_body)
            event = str(payload.get("event", ""))
            channel = str((payload.get("data") or {}).get("channel") or "")
        except (ValueError, AttributeError, TypeError):
            return "other"
        if event.startswith("dedicatedaccount.") or (event.startswith("charge.") and channel == DEDICATED_CHANNEL):
            return "virtual_account"
        return "payment" if event.startswith("charge.") else "transfer" if event.startswith("transfer.") else "other"

    # -- payments ----------------------------------------------------------------
    def initialize_checkout(self, request: CheckoutRequest, *, config: ProviderConfig) -> CheckoutSession:
        body: dict[str, Any] = {"email": request.email, "amount": request.amount_minor, "currency": request.currency,
                                "reference": request.reference, "callback_url": request.callback_url}
        if request.metadata:
            body["metadata"] = dict(request.metadata)
        answer = self._call(config, "POST", "/transaction/initialize", json_body=body)
        if answer.status >= 400:
            message = self._message(answer)
            lowered = message.lower()
            if "duplicate" in lowered:
                raise DuplicateRequest(message, provider_code=str(answer.status))
            if "amount" in lowered:
                raise InvalidAmount(message, provider_code=str(answer.status))
            if "email" in lowered:
                raise UserFixableError(message, code="invalid_email", provider_code=str(answer.status))
            raise ProviderFault(message or f"initialize refused ({answer.status})", provider_code=str(answer.status))
        data = self._data(answer)
        return CheckoutSession(authorization_url=data["authorization_url"], reference=data["reference"],
                               provider_reference=data["access_code"], raw=data)

    def verify(self, *, config: ProviderConfig, reference: str = "", provider_id: str = "") -> PaymentVerification:
        path = f"/transaction/verify/{quote(reference, safe='')}" if reference else f"/transaction/{int(provider_id)}"
        try:
            answer = self._call(config, "GET", path)
        except ProviderFault as fault:
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status=fault.code, message=str(fault))
        if answer.status >= 400:  # unknown reference: not (yet) at Paystack -> pending, never failed
            return PaymentVerification(OutcomeStatus.PENDING, reference, None, "", provider_id,
                                       provider_status="not_found", message=self._message(answer))
        data = self._data(answer)
        if not isinstance(data, dict):
            raise ProviderProtocolError("unexpected Paystack transaction", raw={"status": answer.status})
        return self._verification(data)

    @staticmethod
    def _verification(data: dict[str, Any]) -> PaymentVerification:
        provider_status = str(data.get("status", ""))
        return PaymentVerification(
            status=PAYMENT_STATUSES.get(provider_status, OutcomeStatus.PENDING),
            reference=str(data.get("reference", "")),
            amount_minor=_subunits(data["amount"]) if data.get("amount") is not None else None,
            currency=str(data.get("currency", "")),
            provider_id=str(data.get("id", "")),
            paid_at=_parse_time(data.get("paid_at") or data.get("paidAt")),
            channel=str(data.get("channel") or ""),
            provider_status=provider_status,
            message=str(data.get("gateway_response") or ""),
            raw=data,
        )

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        payload = self._verify_signature(headers, raw_body, config)
        event, data = str(payload.get("event", "")), payload["data"]
        verification = self._verification(data)
        status = verification.status if event.startswith("charge.") else OutcomeStatus.PENDING
        return PaymentEvent(event_id=f"{event}:{data.get('id', '')}", event_type=event, status=status,
                            reference=verification.reference, provider_id=verification.provider_id,
                            amount_minor=verification.amount_minor, currency=verification.currency, raw=payload)

    # -- payouts -----------------------------------------------------------------
    def list_banks(self, *, config: ProviderConfig, country: str) -> list[Bank]:
        answer = self._call(config, "GET", "/bank", params={"country": COUNTRY_NAMES.get(country.upper(), country)})
        if answer.status >= 400:
            raise ProviderFault(self._message(answer) or "bank list refused", provider_code=str(answer.status))
        return [Bank(code=str(b["code"]), name=str(b["name"])) for b in self._data(answer) if b.get("active", True)]

    def resolve_account(self, *, config: ProviderConfig, bank_code: str, account_number: str) -> AccountName:
        answer = self._call(config, "GET", "/bank/resolve",
                            params={"account_number": account_number, "bank_code": bank_code})
        if answer.status in (400, 404, 422):
            raise InvalidAccount(self._message(answer) or "account not found", provider_code=str(answer.status))
        if answer.status >= 400:
            raise ProviderFault(self._message(answer), provider_code=str(answer.status))
        data = self._data(answer)
        return AccountName(bank_code=bank_code, account_number=str(data["account_number"]),
                           account_name=str(data["account_name"]))

    def _recipient_code(self, request: TransferRequest, config: ProviderConfig) -> str:
        body = {"type": RECIPIENT_TYPES.get(request.currency.upper(), "nuban"), "name": request.account_name or
                request.account_number, "account_number": request.account_number, "bank_code": request.bank_code,
                "currency": request.currency}
        answer = self._call(config, "POST", "/transferrecipient", json_body=body)
        if answer.status in (400, 404, 422):
            raise InvalidAccount(self._message(answer) or "account not found", provider_code=str(answer.status))
        if answer.status >= 400:
            raise ProviderFault(self._message(answer), provider_code=str(answer.status))
        return str(self._data(answer)["recipient_code"])

    def initiate_transfer(self, request: TransferRequest, *, config: ProviderConfig) -> TransferResult:
        """Recipient, then transfer. Anything unclear after the transfer left us -> PENDING."""
        recipient = self._recipient_code(request, config)  # faults here: nothing was sent yet
        body = {"source": "balance", "amount": request.amount_minor, "recipient": recipient,
                "reference": request.reference, "reason": request.narration, "currency": request.currency}
        try:
            answer = self._call(config, "POST", "/transfer", json_body=body)
        except ProviderFault as fault:
            if not is_unclear(fault):
                raise
            return TransferResult(OutcomeStatus.PENDING, request.reference, provider_status=fault.code,
                                  message=str(fault))
        if answer.status >= 400:
            message = self._message(answer)
            lowered = message.lower()
            if "duplicate" in lowered or "already" in lowered:
                return self.transfer_status(config=config, reference=request.reference)  # idempotent
            if "balance" in lowered:
                raise ProviderLowBalance(message, provider_code=str(answer.status))
            if "amount" in lowered:
                raise InvalidAmount(message, provider_code=str(answer.status))
            if "recipient" in lowered or "account" in lowered:
                raise InvalidAccount(message, provider_code=str(answer.status))
            raise ProviderFault(message or "transfer refused", provider_code=str(answer.status))
        return self._transfer_result(self._data(answer), request.reference)

    @staticmethod
    def _transfer_result(data: dict[str, Any], reference: str) -> TransferResult:
        provider_status = str(data.get("status", ""))
        return TransferResult(
            status=TRANSFER_STATUSES.get(provider_status, OutcomeStatus.PENDING),
            reference=str(data.get("reference") or reference),
            provider_reference=str(data.get("transfer_code", "")),
            amount_minor=_subunits(data["amount"]) if data.get("amount") is not None else None,
            currency=str(data.get("currency", "")),
            reversed=provider_status == "reversed",
            provider_status=provider_status,
            message=str(data.get("failures") or data.get("reason") or ""),
            raw=data,
        )

    def transfer_status(self, *, config: ProviderConfig, reference: str) -> TransferResult:
        try:
            answer = self._call(config, "GET", f"/transfer/verify/{quote(reference, safe='')}")
        except ProviderFault as fault:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))
        if answer.status >= 400:
            # Not at Paystack (yet). Still PENDING: the core may re-send the SAME reference after a grace period.
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status="not_found",
                                  message=self._message(answer))
        return self._transfer_result(self._data(answer), reference)

    def parse_transfer_webhook(self, headers: Mapping[str, str], raw_body: bytes, *,
                               config: ProviderConfig) -> TransferEvent:
        payload = self._verify_signature(headers, raw_body, config)
        event, data = str(payload.get("event", "")), payload["data"]
        result = self._transfer_result(data, str(data.get("reference", "")))
        status = {"transfer.success": OutcomeStatus.SUCCESS, "transfer.failed": OutcomeStatus.FAILED,
                  "transfer.reversed": OutcomeStatus.FAILED}.get(event, OutcomeStatus.PENDING)
        return TransferEvent(event_id=f"{event}:{data.get('id', '')}", event_type=event, status=status,
                             reference=result.reference, provider_reference=result.provider_reference,
                             amount_minor=result.amount_minor, currency=result.currency,
                             reversed=event == "transfer.reversed", raw=payload)

    # -- our balance at Paystack -------------------------------------------------
    def balance(self, *, config: ProviderConfig) -> list[ProviderBalance]:
        """``GET /balance``: one line per currency, in minor units (the money rule: integers in subunits)."""
        answer = self._call(config, "GET", "/balance")
        if answer.status >= 400:
            raise ProviderFault(self._message(answer) or "balance refused", provider_code=str(answer.status))
        rows = self._data(answer)
        if not isinstance(rows, list) or not all(isinstance(row, dict) and row.get("currency") for row in rows):
            raise ProviderProtocolError("unexpected Paystack balance answer")
        return [ProviderBalance(currency=str(row["currency"]), amount_minor=_subunits(row.get("balance")), raw=row)
                for row in rows]

    # -- dedicated virtual accounts ----------------------------------------------
    def _customer_code(self, request: VirtualAccountRequest, config: ProviderConfig) -> str:
        body = {"email": request.email, "first_name": request.first_name, "last_name": request.last_name,
                "phone": request.phone, "metadata": {"nexustop_customer": request.reference}}
        answer = self._call(config, "POST", "/customer", json_body=body)
        if answer.status >= 400:
            message = self._message(answer)
            if answer.status in (400, 422):
                raise UserFixableError(message or "customer refused", code="invalid_customer_details",
                                       provider_code=str(answer.status))
            raise ProviderFault(message or "customer refused", provider_code=str(answer.status))
        return str(self._data(answer)["customer_code"])

    @staticmethod
    def _virtual_account(data: dict[str, Any], customer_code: str = "") -> VirtualAccount:
        bank = _obj(data.get("bank"))
        customer = _obj(data.get("customer"))
        return VirtualAccount(
            provider_account_id=str(data.get("id", "")),
            customer_code=str(customer.get("customer_code") or customer_code),
            account_number=str(data.get("account_number") or ""),
            account_name=str(data.get("account_name") or ""),
            bank_name=str(bank.get("name") or ""), bank_slug=str(bank.get("slug") or ""),
            currency=str(data.get("currency") or "NGN"), active=bool(data.get("active", True)),
            assigned=bool(data.get("assigned", True)), provider_customer_id=str(customer.get("id") or ""), raw=data)

    def open_virtual_account(self, request: VirtualAccountRequest, *, config: ProviderConfig) -> VirtualAccount:
        """``POST /customer`` (Paystack returns the existing customer for a known email), then
        ``POST /dedicated_account``. Nothing moves money: faults are raised."""
        customer_code = self._customer_code(request, config)
        body = {"customer": customer_code,
                "preferred_bank": request.preferred_bank or config.options.get("dva_bank", DEFAULT_DVA_BANK),
                "first_name": request.first_name, "last_name": request.last_name, "phone": request.phone}
        answer = self._call(config, "POST", "/dedicated_account", json_body=body)
        if answer.status >= 400:
            message = self._message(answer)
            if answer.status in (400, 422):
                raise UserFixableError(message or "dedicated account refused", code="virtual_account_refused",
                                       provider_code=str(answer.status))
            raise ProviderFault(message or "dedicated account refused", provider_code=str(answer.status))
        return self._virtual_account(self._data(answer), customer_code)

    def fetch_virtual_account(self, *, config: ProviderConfig, provider_account_id: str) -> VirtualAccount:
        answer = self._call(config, "GET", f"/dedicated_account/{int(provider_account_id)}")
        if answer.status >= 400:
            raise ProviderFault(self._message(answer) or "not found", provider_code=str(answer.status))
        return self._virtual_account(self._data(answer))

    def requery_virtual_account(self, *, config: ProviderConfig, account_number: str, bank_slug: str) -> None:
        """``GET /dedicated_account/requery``: Paystack checks the bank for transfers it has not notified yet
        and sends their webhooks (the answer carries no transactions)."""
        answer = self._call(config, "GET", "/dedicated_account/requery",
                            params={"account_number": account_number, "provider_slug": bank_slug})
        if answer.status >= 400:
            raise ProviderFault(self._message(answer) or "requery refused", provider_code=str(answer.status))

    def list_virtual_accounts(self, *, config: ProviderConfig, customer_id: str) -> list[VirtualAccount]:
        """``GET /dedicated_account?customer=<id>&active=true``."""
        answer = self._call(config, "GET", "/dedicated_account", params={"customer": customer_id, "active": "true"})
        if answer.status >= 400:
            raise ProviderFault(self._message(answer) or "list refused", provider_code=str(answer.status))
        return [self._virtual_account(row) for row in self._data(answer)]

    def virtual_account_payment_references(self, *, config: ProviderConfig, customer_id: str,
                                           per_page: int = 50) -> list[str]:
        """References of the customer's latest successful transfers into dedicated accounts
        (``GET /transaction?customer=<id>&status=success``): a fallback when a webhook never came."""
        answer = self._call(config, "GET", "/transaction", params={"customer": customer_id, "status": "success",
                                                                    "perPage": per_page})
        if answer.status >= 400:
            raise ProviderFault(self._message(answer) or "list refused", provider_code=str(answer.status))
        return [str(row["reference"]) for row in self._data(answer)
                if isinstance(row, dict) and row.get("channel") == DEDICATED_CHANNEL and row.get("reference")]

    def verify_virtual_account_payment(self, *, config: ProviderConfig, reference: str) -> VirtualAccountPayment:
        """The transfer as ``GET /transaction/verify/:reference`` describes it. Never raises for the provider's
        trouble: faults, unknown references and answers we cannot read (an amount the money rule refuses) are
        PENDING (requeried, never credited on a guess)."""
        try:
            verification = self.verify(config=config, reference=reference)
        except ProviderFault as fault:
            return VirtualAccountPayment(status=OutcomeStatus.PENDING, reference=reference, amount_minor=None,
                                         currency="", customer_code="", provider_status=fault.code)
        data = verification.raw or {}
        authorization = _obj(data.get("authorization"))
        customer = _obj(data.get("customer"))
        status = verification.status
        if status is OutcomeStatus.SUCCESS and verification.channel != DEDICATED_CHANNEL:
            status = OutcomeStatus.FAILED  # paid, but not by a transfer into a dedicated account: not ours to credit
        return VirtualAccountPayment(
            status=status, reference=verification.reference or reference, amount_minor=verification.amount_minor,
            currency=verification.currency, customer_code=str(customer.get("customer_code") or ""),
            account_number=str(authorization.get("receiver_bank_account_number") or ""),
            provider_id=verification.provider_id, channel=verification.channel,
            sender_name=str(authorization.get("sender_name") or ""),
            sender_bank=str(authorization.get("sender_bank") or ""), paid_at=verification.paid_at,
            provider_status=verification.provider_status, raw=data)

    def parse_virtual_account_event(self, headers: Mapping[str, str], raw_body: bytes, *,
                                    config: ProviderConfig) -> VirtualAccountEvent | None:
        payload = self._verify_signature(headers, raw_body, config)
        event, data = str(payload.get("event", "")), payload["data"]
        customer_code = str(_obj(data.get("customer")).get("customer_code") or "")
        if event in ("dedicatedaccount.assign.success", "dedicatedaccount.assign.failed"):
            account_data = data.get("dedicated_account") or None
            account = self._virtual_account({**account_data, "customer": _obj(data.get("customer"))}) \
                if isinstance(account_data, dict) else None
            ident = account.provider_account_id if account else customer_code
            kind = "assigned" if event.endswith(".success") and account else "assign_failed"
            return VirtualAccountEvent(event_id=f"{event}:{ident}", kind=kind, customer_code=customer_code,
                                       account=account, raw=payload)
        if event.startswith("charge.") and str(data.get("channel") or "") == DEDICATED_CHANNEL:
            amount = data.get("amount")  # a hint (the verification decides), but there, so readable: else malformed
            return VirtualAccountEvent(event_id=f"{event}:{data.get('id', '')}", kind="payment",
                                       customer_code=customer_code, reference=str(data.get("reference") or ""),
                                       amount_minor=_subunits(amount) if amount is not None else None,
                                       currency=str(data.get("currency") or ""), raw=payload)
        return None

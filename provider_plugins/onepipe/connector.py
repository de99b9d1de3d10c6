"""OnePipe v2 (``POST {base}/v2/transact``): account lookup, BVN/NIN lookup for KYC, and payouts (``disburse``).

Protocol, as OnePipe documents it (v2 docs: https://v2.docs.onepipe.io/, the public Confluence space
https://onepipe.atlassian.net/wiki/spaces/PUB/ : "Lookup Account Min/Max", "Lookup BVN Min", "Disburse",
"Encryption in OnePipe"):

* one endpoint for every service: ``POST /v2/transact`` with ``{request_ref, request_type, auth: {type, secure,
  auth_provider, route_mode}, transaction: {mock_mode, transaction_ref, transaction_desc, transaction_ref_parent,
  amount, customer: {customer_ref, firstname, surname, email, mobile_no}, meta, details}}``; the status of an
  earlier transaction is ``POST /v2/transact/query`` with its ``transaction_ref``;
* headers ``Authorization: Bearer <api_key>`` and ``Signature: md5("<request_ref>;<secret>")``; ``request_ref``
  is unique per request (a re-sent payout gets a new ``request_ref`` and keeps its ``transaction_ref``);
* sensitive inputs (the account to look up, the BVN) travel TripleDES-encrypted in ``auth.secure`` (crypto.py);
* the answer is ``{status, message, data: {provider_response_code, provider, errors, error: {code, message},
  provider_response: {...}}}`` with ``status`` one of ``Successful``, ``Failed``, ``WaitingForOTP``,
  ``PendingValidation`` (or ``Processing``); amounts are kobo (minor units).

Status mapping: ``Successful`` -> SUCCESS, ``Failed`` -> FAILED, anything else (OTP/validation waits,
processing, unknown) -> PENDING. Lookups send ``details.otp_override: true`` (server-to-server: no customer to
type an OTP). OnePipe addresses banks by CBN code ("Bank CBN Codes" in its docs): :meth:`list_banks` answers
that table; it calls no undocumented endpoint. Payout outcomes are requeried with ``/transact/query`` (no
webhook is consumed from OnePipe here: its notifications are configured per app and unsigned by the
documented protocol, so they could only ever be a hint).

Answers are read with ``wire.json_loads`` (``gateway_http.call``); amounts OnePipe sends (kobo) by the money
rule with no decimals (:func:`_kobo`): one that is there but unreadable makes the answer unclear (PENDING),
never a failure (the payout may have been made).

Credentials: ``api_key`` (bearer) and ``secret`` (signature and encryption key). Options: ``auth_provider``
(the OnePipe provider that fulfils, e.g. ``Polaris``; default ``Polaris``), ``mock_mode`` (``Live`` or
``Inspect``; default ``Live``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from provider_plugins.interfaces.common import (
    InvalidAmount,
    OutcomeStatus,
    ProviderConfig,
    ProviderFault,
    ProviderLowBalance,
    ProviderProtocolError,
    UserFixableError,
    gettext_noop,
)
from provider_plugins.interfaces.gateway_http import HttpAnswer, call, is_unclear
from provider_plugins.interfaces.kyc import KycCheckRequest, KycCheckResult, KycMatch
from provider_plugins.interfaces.money import AmountError, parse_minor
from provider_plugins.interfaces.payouts import (
    AccountName,
    Bank,
    InvalidAccount,
    TransferEvent,
    TransferRequest,
    TransferResult,
)

from .crypto import encrypt_secure, signature

TRANSACT_PATH = "/v2/transact"
QUERY_PATH = "/v2/transact/query"
STATUSES = {"successful": OutcomeStatus.SUCCESS, "failed": OutcomeStatus.FAILED}
# CBN codes of the Nigerian banks OnePipe's disburse and lookups address ("Bank CBN Codes").
CBN_BANKS: tuple[tuple[str, str], ...] = (
    ("044", "Access Bank"), ("023", "Citibank Nigeria"), ("050", "Ecobank Nigeria"), ("070", "Fidelity Bank"),
    ("011", "First Bank of Nigeria"), ("214", "First City Monument Bank"), ("103", "Globus Bank"),
    ("058", "Guaranty Trust Bank"), ("030", "Heritage Bank"), ("301", "Jaiz Bank"), ("082", "Keystone Bank"),
    ("076", "Polaris Bank"), ("101", "Providus Bank"), ("221", "Stanbic IBTC Bank"),
    ("068", "Standard Chartered Bank"), ("232", "Sterling Bank"), ("100", "SunTrust Bank"),
    ("102", "Titan Trust Bank"), ("032", "Union Bank of Nigeria"), ("033", "United Bank For Africa"),
    ("215", "Unity Bank"), ("035", "Wema Bank"), ("057", "Zenith Bank"),
)
KYC_SCHEMES = {"bvn": ("lookup_bvn_min", "bvn"), "nin": ("lookup_nin_min", "nin")}
SAFE_KYC_KEYS = ("first_name", "last_name", "dob", "reference")
ACCOUNT_WORDS = ("account", "beneficiary", "destination", "nuban")


def _kobo(value: Any) -> int | None:
    """A OnePipe amount (kobo: an integer, or its digits as a string) by the money rule; None when absent.
    Anything else (a fraction of a kobo, ``1e3``, ``"NaN"``, a float): ``ProviderProtocolError`` bad_amount."""
    if value is None:
        return None
    try:
        return parse_minor(value, minor_digits=0)
    except AmountError:
        raise ProviderProtocolError("unreadable OnePipe amount", code="bad_amount") from None


def new_request_ref() -> str:
    """Unique per request, as OnePipe requires (digits, like its samples)."""
    return f"{secrets.randbelow(10**15):015d}{secrets.randbelow(10**5):05d}"


class OnePipeConnector:
    """Stateless: every call takes its ProviderConfig. Implements PayoutGateway and the KYC verifier protocol."""

    key = "onepipe"

    # -- plumbing ----------------------------------------------------------------
    @staticmethod
    def _secret(config: ProviderConfig) -> str:
        return config.credentials["secret"]

    def _post(self, config: ProviderConfig, path: str, body: dict[str, Any]) -> HttpAnswer:
        headers = {"Authorization": f"Bearer {config.credentials['api_key']}",
                   "Signature": signature(body["request_ref"], self._secret(config)),
                   "Content-Type": "application/json", "Accept": "application/json"}
        return call(config, "POST", path, json_body=body, headers=headers)

    @staticmethod
    def _auth(config: ProviderConfig, *, type_: str | None = None, secure: str | None = None) -> dict[str, Any]:
        return {"type": type_, "secure": secure, "auth_provider": config.options.get("auth_provider", "Polaris"),
                "route_mode": None}

    @staticmethod
    def _transaction(config: ProviderConfig, *, ref: str, description: str, amount: int = 0,
                     customer_ref: str = "", firstname: str = "", surname: str = "", email: str = "",
                     mobile_no: str = "", details: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"mock_mode": config.options.get("mock_mode", "Live"), "transaction_ref": ref,
                "transaction_desc": description, "transaction_ref_parent": None, "amount": amount,
                "customer": {"customer_ref": customer_ref or ref, "firstname": firstname, "surname": surname,
                             "email": email, "mobile_no": mobile_no},
                "meta": {}, "details": details}

    @staticmethod
    def _envelope(answer: HttpAnswer) -> tuple[str, dict[str, Any], str]:
        """(status word, data, message); a body without OnePipe's envelope is a protocol error."""
        body = answer.body
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise ProviderProtocolError("unexpected OnePipe answer", raw={"status": answer.status})
        raw_data = body.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        raw_error = data.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        message = str(error.get("message") or body.get("message") or "")
        return str(body["status"]), data, message

    @staticmethod
    def _provider_response(data: dict[str, Any]) -> dict[str, Any]:
        response = data.get("provider_response")
        return response if isinstance(response, dict) else {}

    # -- payouts: banks and name enquiry -----------------------------------------
    def list_banks(self, *, config: ProviderConfig, country: str) -> list[Bank]:
        return [Bank(code=code, name=name) for code, name in CBN_BANKS] if country.upper() == "NG" else []

    def resolve_account(self, *, config: ProviderConfig, bank_code: str, account_number: str) -> AccountName:
        """``lookup_account_min`` with ``auth.type = bank.account`` and ``secure = enc("<account>;<bank code>")``."""
        ref = new_request_ref()
        body = {"request_ref": ref, "request_type": "lookup_account_min",
                "auth": self._auth(config, type_="bank.account",
                                   secure=encrypt_secure(f"{account_number};{bank_code}", self._secret(config))),
                "transaction": self._transaction(config, ref=ref, description="Account name enquiry",
                                                 details={"otp_override": True})}
        answer = self._post(config, TRANSACT_PATH, body)
        status, data, message = self._envelope(answer)
        response = self._provider_response(data)
        if status.lower() == "successful" and response.get("account_name"):
            return AccountName(bank_code=bank_code, account_number=str(response.get("account_number")
                                                                         or account_number),
                               account_name=str(response["account_name"]))
        if status.lower() == "failed" or answer.status in (400, 404, 422):
            raise InvalidAccount(message or "account not found", provider_code=str(data.get("provider_response_code")
                                                                                   or answer.status))
        raise ProviderFault(f"account lookup not completed ({status})", provider_code=status)

    def lookup_account_max(self, *, config: ProviderConfig, bank_code: str, account_number: str) -> dict[str, Any]:
        """``lookup_account_max``: the holder's fuller KYC data (names, gender, currency...), as OnePipe answers it."""
        ref = new_request_ref()
        body = {"request_ref": ref, "request_type": "lookup_account_max",
                "auth": self._auth(config, type_="bank.account",
                                   secure=encrypt_secure(f"{account_number};{bank_code}", self._secret(config))),
                "transaction": self._transaction(config, ref=ref, description="Account lookup",
                                                 details={"otp_override": True})}
        status, data, message = self._envelope(self._post(config, TRANSACT_PATH, body))
        if status.lower() != "successful":
            raise InvalidAccount(message or "account not found")
        return self._provider_response(data)

    # -- payouts: disburse and query ---------------------------------------------
    def initiate_transfer(self, request: TransferRequest, *, config: ProviderConfig) -> TransferResult:
        """``disburse`` from the app's pre-configured account; ``transaction_ref`` = our reference (idempotent)."""
        if request.currency.upper() != "NGN":
            raise InvalidAmount(gettext_noop("OnePipe pays out in NGN only"))
        first, _, last = (request.account_name or "").partition(" ")
        ref = new_request_ref()
        body = {"request_ref": ref, "request_type": "disburse", "auth": self._auth(config),
                "transaction": self._transaction(
                    config, ref=request.reference, description=request.narration or "Payout",
                    amount=request.amount_minor, customer_ref=request.reference, firstname=first, surname=last,
                    details={"destination_account": request.account_number,
                             "destination_bank_code": request.bank_code, "otp_override": True})}
        try:
            answer = self._post(config, TRANSACT_PATH, body)
            status, data, message = self._envelope(answer)
        except ProviderFault as fault:
            if not is_unclear(fault):
                raise
            return TransferResult(OutcomeStatus.PENDING, request.reference, provider_status=fault.code,
                                  message=str(fault))
        lowered = message.lower()
        if status.lower() == "failed":
            if "duplicate" in lowered or "already" in lowered:
                return self.transfer_status(config=config, reference=request.reference)  # idempotent
            if "insufficient" in lowered:
                raise ProviderLowBalance(message, provider_code=str(data.get("provider_response_code") or ""))
            if "amount" in lowered:
                raise InvalidAmount(message, provider_code=str(data.get("provider_response_code") or ""))
            if ("invalid" in lowered or "not found" in lowered) and any(word in lowered for word in ACCOUNT_WORDS):
                raise InvalidAccount(message, provider_code=str(data.get("provider_response_code") or ""))
        try:
            return self._transfer_result(status, data, message, request.reference, request.amount_minor)
        except ProviderProtocolError as fault:  # sent, answer unreadable: unclear (requeried), never "failed"
            return TransferResult(OutcomeStatus.PENDING, request.reference, provider_status=fault.code,
                                  message=str(fault))

    @classmethod
    def _transfer_result(cls, status: str, data: dict[str, Any], message: str, reference: str,
                         amount: int | None = None) -> TransferResult:
        response = cls._provider_response(data)
        final_amount = _kobo(response.get("transaction_final_amount"))
        return TransferResult(
            status=STATUSES.get(status.lower(), OutcomeStatus.PENDING), reference=reference,
            provider_reference=str(response.get("reference") or response.get("payment_id") or ""),
            amount_minor=final_amount if final_amount is not None else amount, currency="NGN",
            provider_status=status, message=message, raw=response)

    def transfer_status(self, *, config: ProviderConfig, reference: str) -> TransferResult:
        """``/transact/query`` by our ``transaction_ref``. Faults and unknown transactions -> PENDING."""
        body = {"request_ref": new_request_ref(), "request_type": "disburse",
                "auth": {"secure": None, "auth_provider": config.options.get("auth_provider", "Polaris")},
                "transaction": {"transaction_ref": reference}}
        try:
            answer = self._post(config, QUERY_PATH, body)
            status, data, message = self._envelope(answer)
        except ProviderFault as fault:
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))
        if answer.status == 404 or (status.lower() == "failed" and "not found" in message.lower()):
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status="not_found", message=message)
        try:
            return self._transfer_result(status, data, message, reference)
        except ProviderProtocolError as fault:  # unreadable: unclear, requeried
            return TransferResult(OutcomeStatus.PENDING, reference, provider_status=fault.code, message=str(fault))

    def parse_transfer_webhook(self, headers: Mapping[str, str], raw_body: bytes, *,
                               config: ProviderConfig) -> TransferEvent:
        """Not consumed: OnePipe payout outcomes are requeried (``transfer_status``), never taken from a callback."""
        raise ProviderProtocolError("OnePipe notifications are not accepted; outcomes are queried",
                                    code="webhook_not_supported")

    # -- KYC: BVN / NIN lookup ---------------------------------------------------
    def supports(self, *, country: str, scheme: str) -> bool:
        return country.upper() == "NG" and scheme in KYC_SCHEMES

    def check(self, config: ProviderConfig, request: KycCheckRequest) -> KycCheckResult:
        """``lookup_bvn_min`` (or ``lookup_nin_min``): OnePipe answers whether the names given match the record.

        With names: a match needs ``first_name`` and ``last_name`` both true. Without names (a bare number):
        a Successful lookup means the number exists. ``Failed`` is no match; OTP waits and the rest are
        unclear (pending). The number never leaves this call in clear except encrypted in ``auth.secure``.
        """
        if not self.supports(country=request.country, scheme=request.scheme):
            raise UserFixableError(f"{request.scheme} numbers of {request.country} cannot be checked by OnePipe",
                                   code="kyc_scheme_unsupported")
        request_type, auth_type = KYC_SCHEMES[request.scheme]
        ref = new_request_ref()
        body = {"request_ref": ref, "request_type": request_type,
                "auth": self._auth(config, type_=auth_type, secure=encrypt_secure(request.number,
                                                                                  self._secret(config))),
                "transaction": self._transaction(
                    config, ref=request.reference or ref, description="KYC lookup",
                    customer_ref=request.user_reference or ref, firstname=request.first_name,
                    surname=request.last_name, details={"otp_override": True})}
        status, data, message = self._envelope(self._post(config, TRANSACT_PATH, body))
        response = self._provider_response(data)
        safe = {key: response[key] for key in SAFE_KYC_KEYS if key in response}
        code = str(data.get("provider_response_code") or status)[:16]
        if status.lower() == "failed":
            return KycCheckResult(match=KycMatch.NO_MATCH, provider_reference=str(response.get("reference") or ref),
                                  result_code=code, result_text=message or "not found", raw=safe)
        if status.lower() != "successful":
            return KycCheckResult(match=KycMatch.PENDING, provider_reference=ref, result_code=code,
                                  result_text=status, raw=safe)
        named = bool(request.first_name or request.last_name)
        matched = (response.get("first_name") is True and response.get("last_name") is True) if named else True
        return KycCheckResult(match=KycMatch.MATCH if matched else KycMatch.NO_MATCH,
                              provider_reference=str(response.get("reference") or ref), result_code=code,
                              result_text="matched" if matched else "names do not match", raw=safe)

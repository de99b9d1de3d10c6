"""Africa's Talking SMS (``POST {base}/version1/messaging``), as its API reference documents it
(https://developers.africastalking.com/docs/sms/sending/bulk and the official SDK, ``africastalking`` on PyPI).

Request: form-encoded ``username``, ``to`` (comma-separated E.164 numbers with ``+``), ``message``, optional
``from`` (sender id / short code), ``bulkSMSMode=1``; headers ``apiKey: <key>`` and ``Accept: application/json``.
Base URL: ``https://api.africastalking.com`` (sandbox: ``https://api.sandbox.africastalking.com``, username
``sandbox``). Answer (201): ``{"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: ...", "Recipients":
[{"statusCode": 101, "number": "+234...", "status": "Success", "cost": "NGN 2.2000", "messageId": "ATXid_..."}]}}``.

Per-recipient ``statusCode``: 100 Processed, 101 Sent, 102 Queued (accepted); 403 InvalidPhoneNumber, 404
UnsupportedNumberType, 406 UserInBlacklist (the number: user-fixable); 405 InsufficientBalance (our balance);
401 RiskHold, 402 InvalidSenderId, 407 CouldNotRoute, 500/501/502 (provider faults). HTTP 401: the key.
The account balance is ``GET /version1/user?username=`` -> ``{"UserData": {"balance": "KES 1784.5000"}}``: the
currency code, one space, and the amount with four decimals (Africa's Talking keeps fractions of a cent, because
per-message costs are such fractions, e.g. ``"KES 0.8000"``). :func:`balance_minor` reads exactly that.

Answers are read with ``wire.json_loads`` (numbers as ``Decimal``, nesting bounded) and amounts with the money
rule (``provider_plugins.interfaces.money``).
"""

from __future__ import annotations

from typing import Any

import requests

from provider_plugins.interfaces.balance import ProviderBalance
from provider_plugins.interfaces.common import (
    InvalidRecipient,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderFault,
    ProviderLowBalance,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
)
from provider_plugins.interfaces.http import session_for
from provider_plugins.interfaces.money import AmountError, currency_exponent, parse_minor
from provider_plugins.interfaces.sms import SmsMessage, SmsResult
from provider_plugins.interfaces.wire import json_loads

SEND_PATH = "/version1/messaging"
USER_PATH = "/version1/user"
ACCEPTED = {100, 101, 102}
NUMBER_REFUSED = {403, 404, 406}
BALANCE_DECIMALS = 4  # Africa's Talking writes balances to a hundredth of a cent: "KES 1234.5678"


def balance_minor(text: str) -> tuple[str, int]:
    """``"KES 1234.5678"`` -> ``("KES", 123456)``: Africa's Talking's balance string in our minor units.

    The amount goes through the money rule (ASCII digits, optional point, bounded length: no exponent, NaN,
    separators...) with Africa's Talking's own four decimals; the fraction of a minor unit beyond the currency's
    digits (what per-message costs leave) is then dropped explicitly: the balance we can spend, never more.
    Anything else is the provider's protocol error.
    """
    currency, space, amount = text.partition(" ")
    try:
        digits = currency_exponent(currency)
        if not space or not (currency.isascii() and currency.isupper()) or digits > BALANCE_DECIMALS:
            raise AmountError("syntax")
        in_ten_thousandths = parse_minor(amount, minor_digits=BALANCE_DECIMALS)
    except AmountError:
        raise ProviderProtocolError("unreadable Africa's Talking balance", code="bad_amount") from None
    return currency, in_ten_thousandths // 10 ** (BALANCE_DECIMALS - digits)


class AfricasTalkingSmsConnector:
    """Stateless: endpoint, ``username`` and ``api_key`` come from the ``ProviderConfig`` of each call."""

    @staticmethod
    def _headers(config: ProviderConfig) -> dict[str, str]:
        return {"apiKey": config.credentials.get("api_key", ""), "Accept": "application/json"}

    @staticmethod
    def _request(config: ProviderConfig, method: str, path: str, **kwargs: Any) -> requests.Response:
        http = session_for(config)
        try:
            return http.request(method, config.base_url.rstrip("/") + path, timeout=config.timeout_seconds,
                                **kwargs)
        except requests.ConnectionError:  # includes ConnectTimeout: nothing was sent
            raise ProviderUnavailable("Africa's Talking unreachable") from None
        except requests.Timeout:  # sent, no answer: it may still be delivered
            raise ProviderTimeout("Africa's Talking did not answer in time") from None

    def send(self, config: ProviderConfig, message: SmsMessage) -> SmsResult:
        to = message.to if message.to.startswith("+") else "+" + message.to
        data = {"username": config.credentials.get("username", ""), "to": to, "message": message.text,
                "bulkSMSMode": 1}
        sender = message.sender_id or config.options.get("sender_id", "")
        if sender:
            data["from"] = sender
        response = self._request(config, "POST", SEND_PATH, data=data, headers=self._headers(config))
        if response.status_code == 401:
            raise ProviderAuthError("Africa's Talking refused our API key", provider_code="401")
        if response.status_code >= 500:
            raise ProviderUnavailable(f"Africa's Talking error {response.status_code}",
                                      provider_code=str(response.status_code))
        body = _json(response)
        found = body.get("SMSMessageData")
        sms_data: dict[str, Any] = found if isinstance(found, dict) else {}
        recipients = sms_data.get("Recipients")
        if response.status_code not in (200, 201) or not isinstance(recipients, list):
            raise ProviderProtocolError(f"Unexpected Africa's Talking answer {response.status_code}",
                                        provider_code=str(response.status_code))
        if not recipients:  # e.g. "InvalidSenderId" reported in Message with no recipient
            message_text = str(sms_data.get("Message", ""))[:200]
            raise ProviderFault(message_text or "no recipient accepted", provider_code="no_recipient")
        first = recipients[0] if isinstance(recipients[0], dict) else {}
        code = first.get("statusCode")
        if isinstance(code, str) and code.isdigit() and len(code) <= 4:
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            raise ProviderProtocolError("Africa's Talking answered without a readable statusCode",
                                        provider_code="no_status")
        raw = {key: first.get(key) for key in ("statusCode", "status", "messageId", "cost")}
        if code in ACCEPTED:
            return SmsResult(status=OutcomeStatus.SUCCESS, provider_message_id=str(first.get("messageId", "")),
                             raw=raw)
        status = str(first.get("status", ""))
        if code in NUMBER_REFUSED:
            raise InvalidRecipient(status or "The phone number was refused", provider_code=str(code), raw=raw)
        if code == 405:
            raise ProviderLowBalance(status or "Insufficient SMS balance", provider_code="405", raw=raw)
        if code in (407, 500, 501, 502):
            raise ProviderUnavailable(status or "Could not route", provider_code=str(code), raw=raw)
        raise ProviderFault(status or f"refused ({code})", provider_code=str(code), raw=raw)

    def balance(self, *, config: ProviderConfig) -> list[ProviderBalance]:
        response = self._request(config, "GET", USER_PATH, params={"username": config.credentials.get("username")},
                                 headers=self._headers(config))
        if response.status_code == 401:
            raise ProviderAuthError("Africa's Talking refused our API key", provider_code="401")
        if response.status_code >= 500:
            raise ProviderUnavailable(f"Africa's Talking error {response.status_code}")
        user_data = _json(response).get("UserData")
        text = user_data.get("balance") if isinstance(user_data, dict) else None
        if not isinstance(text, str):
            raise ProviderProtocolError("no balance in Africa's Talking's answer", provider_code="no_balance")
        currency, amount = balance_minor(text)
        return [ProviderBalance(currency=currency, amount_minor=amount, raw={"balance": text})]


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = json_loads(response.content)  # numbers as Decimal, nesting bounded
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

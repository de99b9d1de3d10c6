"""Termii-shaped SMS API: ``POST {base}/api/sms/send`` with a JSON body.

Request: ``{"to": "2348031234567", "from": "<sender id>", "sms": "<text>",
"type": "plain", "channel": "generic", "api_key": "<key>"}``.
Answer: ``200 {"message_id": "...", "message": "Successfully Sent", "balance": 9, "user": "..."}``;
errors carry ``{"message": "..."}`` with 400 (bad request / number), 401 (key),
402 (balance) or 5xx.
"""

from __future__ import annotations

from typing import Any

import requests

from provider_plugins.interfaces.common import (
    InvalidRecipient,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
    UserFixableError,
)
from provider_plugins.interfaces.http import session_for
from provider_plugins.interfaces.sms import SmsMessage, SmsResult

SEND_PATH = "/api/sms/send"


class TermiiSmsConnector:
    """Stateless: every call gets its endpoint and key from the ``ProviderConfig``."""

    def send(self, config: ProviderConfig, message: SmsMessage) -> SmsResult:
        payload = {
            "to": message.to.lstrip("+"),
            "from": message.sender_id or config.options.get("sender_id", "NexusTop"),
            "sms": message.text,
            "type": "plain",
            "channel": config.options.get("channel", "generic"),
            "api_key": config.credentials.get("api_key", ""),
        }
        http = session_for(config)
        try:
            response = http.post(config.base_url.rstrip("/") + SEND_PATH, json=payload,
                                 timeout=config.timeout_seconds)
        except requests.ConnectionError:  # includes ConnectTimeout: nothing was sent
            raise ProviderUnavailable("SMS gateway unreachable") from None
        except requests.Timeout:  # sent, no answer: it may still be delivered
            raise ProviderTimeout("SMS gateway did not answer in time") from None
        body = _json(response)
        text = str(body.get("message", ""))
        if response.status_code == 200 and body.get("message_id"):
            return SmsResult(status=OutcomeStatus.SUCCESS, provider_message_id=str(body["message_id"]), raw=body)
        if response.status_code == 400:
            if "number" in text.lower() or "phone" in text.lower():
                raise InvalidRecipient(text or "The phone number was refused", provider_code="400", raw=body)
            raise UserFixableError(text or "The message was refused", provider_code="400", raw=body)
        if response.status_code in (401, 403):
            raise ProviderAuthError("The SMS gateway refused our API key", provider_code=str(response.status_code))
        if response.status_code == 402:
            raise ProviderLowBalance(text or "Insufficient SMS balance", provider_code="402", raw=body)
        if response.status_code >= 500:
            raise ProviderUnavailable(f"SMS gateway error {response.status_code}",
                                      provider_code=str(response.status_code), raw=body)
        raise ProviderProtocolError(f"Unexpected SMS gateway answer {response.status_code}",
                                    provider_code=str(response.status_code), raw=body)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

"""One HTTP call for gateway connectors, with transport failures mapped to the contract.

* connection refused / connect timeout -> ProviderUnavailable with ``sent=False``
  (the provider never saw the request: safe to retry); so is a destination the platform refuses
  (``egress.DestinationRefused``, code ``provider_destination_refused``);
* read timeout or a dropped connection -> ProviderTimeout with ``sent=True``
  (the provider may have acted: the outcome is unclear);
* 5xx -> ProviderUnavailable with ``sent=True``; 401/403 -> ProviderAuthError;
* a body that is not JSON -> ProviderProtocolError.
Other 4xx are returned to the connector, which knows what its provider means by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from .common import (
    ProviderAuthError,
    ProviderConfig,
    ProviderFault,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
)
from .egress import DestinationRefused
from .http import session_for
from .wire import json_loads

__all__ = ["HttpAnswer", "call", "is_unclear"]


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: Any  # parsed JSON (dict/list) or None for an empty body
    headers: dict[str, str]


def _fault(cls: type[ProviderFault], message: str, *, sent: bool, **kwargs: Any) -> ProviderFault:
    error = cls(message, **kwargs)
    error.sent = sent
    return error


def is_unclear(error: ProviderFault) -> bool:
    """A fault after the request reached the provider, which may have acted on it.

    Refused credentials are a clear "no": the provider did nothing.
    """
    return error.sent and not isinstance(error, ProviderAuthError)


def call(config: ProviderConfig, method: str, path: str, *, json_body: Any = None, data: Any = None,
         params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
         auth: Any = None, allow_empty: bool = False) -> HttpAnswer:
    url = config.base_url.rstrip("/") + path
    try:
        response = session_for(config).request(method, url, json=json_body, data=data, params=params,
                                               headers=headers, auth=auth, timeout=config.timeout_seconds,
                                               allow_redirects=False)
    except DestinationRefused as exc:
        raise _fault(ProviderUnavailable, "not an allowed destination", sent=False, code=exc.code) from None
    except requests.exceptions.ConnectTimeout:
        raise _fault(ProviderUnavailable, "connect timeout", sent=False)
    except requests.exceptions.Timeout:
        raise _fault(ProviderTimeout, "no answer in time", sent=True)
    except requests.exceptions.ConnectionError as exc:
        refused = "refused" in str(exc).lower() or "failed to establish" in str(exc).lower()
        raise _fault(ProviderUnavailable if refused else ProviderTimeout, "connection failed", sent=not refused)
    status = response.status_code
    if status >= 500:
        raise _fault(ProviderUnavailable, f"provider answered {status}", sent=True, provider_code=str(status))
    if status in (401, 403):
        raise _fault(ProviderAuthError, f"credentials refused ({status})", sent=True, provider_code=str(status))
    content = response.content
    if not content.strip():
        if allow_empty or status in (202, 204):
            return HttpAnswer(status, None, dict(response.headers))
        raise _fault(ProviderProtocolError, f"empty answer ({status})", sent=True)
    try:
        body = json_loads(content)  # numbers as Decimal, nesting bounded
    except ValueError:
        raise _fault(ProviderProtocolError, f"answer is not JSON ({status})", sent=True)
    return HttpAnswer(status, body, dict(response.headers))

"""One place that turns transport failures into the contract's outcomes.

``send(..., write=True)`` is for calls that may have made the provider act
(pay, top-up): a timeout or a 5xx after the request left means *unknown*, so
the caller gets an :class:`HttpAnswer` with ``unclear=True`` and maps it to
PENDING. For reads (catalog, verify, requery) the same failures raise
:class:`ProviderTimeout`/:class:`ProviderUnavailable`. A connection that was
never established raises :class:`ProviderUnavailable` in both cases: nothing
was sent, so the core may try another provider. So does a destination the
platform refuses to connect to (:class:`.egress.DestinationRefused`: the host
resolved to a private, loopback or metadata address), with its own code.

Credentials travel only in headers/bodies built by the connector; nothing here
logs a request or a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from .common import ProviderAuthError, ProviderConfig, ProviderTimeout, ProviderUnavailable
from .egress import DestinationRefused
from .observe import ObservedSession
from .wire import json_loads

__all__ = ["HttpAnswer", "answered", "failed", "send", "session_for", "target_url"]


@dataclass(frozen=True)
class HttpAnswer:
    status_code: int
    body: Any  # parsed JSON, or None when the body was not JSON
    text: str
    unclear: bool = False  # write call whose outcome is unknown (timeout, 5xx, dropped connection)
    unclear_reason: str = ""


def session_for(config: ProviderConfig) -> requests.Session:
    """The session a connector sends with: the core's (``config.session``, an observed and guarded one), else a
    new :class:`.observe.ObservedSession` (never bare ``requests``: its connections are not checked)."""
    return config.session if config.session is not None else ObservedSession()


def send(config: ProviderConfig, method: str, path: str, *, write: bool, json_body: Any = None,
         data: Any = None, params: dict | None = None, headers: dict | None = None,
         url: str | None = None, auth_errors: bool = True) -> HttpAnswer:
    try:
        response = session_for(config).request(method, target_url(config, path, url), json=json_body, data=data,
                                               params=params, headers=headers or {}, timeout=config.timeout_seconds)
    except requests.RequestException as exc:
        return failed(exc, write=write)
    return answered(response.status_code, response.content, response.text, write=write, auth_errors=auth_errors)


def target_url(config: ProviderConfig, path: str, url: str | None = None) -> str:
    return url or (config.base_url.rstrip("/") + "/" + path.lstrip("/"))


def failed(exc: requests.RequestException, *, write: bool) -> HttpAnswer:
    """A transport failure in the contract's words (an unclear write's answer; raises otherwise)."""
    if isinstance(exc, DestinationRefused):  # the address is not one we connect to: nothing was sent
        raise ProviderUnavailable("the provider's address is not an allowed destination", code=exc.code) from None
    if isinstance(exc, requests.ConnectTimeout):
        raise ProviderUnavailable("could not connect to the provider", code="provider_unreachable") from None
    if isinstance(exc, requests.Timeout):
        if write:
            return HttpAnswer(0, None, "", unclear=True, unclear_reason="timeout")
        raise ProviderTimeout("the provider did not answer in time") from None
    if isinstance(exc, requests.ConnectionError):
        # Refused before sending vs. dropped after sending look alike here; a refused
        # connection has no response and a "Connection refused" cause.
        refused = "refused" in str(exc).lower() or "failed to establish" in str(exc).lower()
        if refused:
            raise ProviderUnavailable("could not connect to the provider", code="provider_unreachable") from None
        if write:
            return HttpAnswer(0, None, "", unclear=True, unclear_reason="no_response")
        raise ProviderUnavailable("the provider dropped the connection") from None
    raise exc


def answered(status_code: int, content: bytes, text: str, *, write: bool, auth_errors: bool = True) -> HttpAnswer:
    """An HTTP answer in the contract's words: its JSON body, or unclear (a write's 5xx), or raised."""
    try:
        body = json_loads(content) if text else None  # numbers as Decimal, nesting bounded
    except ValueError:
        body = None
    if auth_errors and status_code in (401, 403):
        raise ProviderAuthError("the provider refused our credentials", provider_code=str(status_code))
    if status_code >= 500:
        if write:
            return HttpAnswer(status_code, body, text, unclear=True, unclear_reason=f"http_{status_code}")
        raise ProviderUnavailable(f"the provider answered HTTP {status_code}", provider_code=str(status_code))
    return HttpAnswer(status_code, body, text)

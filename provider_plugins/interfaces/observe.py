"""Seeing what went over the wire to a provider, without plugins knowing about persistence.

The core wraps a provider call in ``with observe_exchanges() as exchanges:``; every HTTP exchange made
in that context through an :class:`ObservedSession` (what ``http.send``/``gateway_http.call`` use when the
config brings no session, and what the core puts into every ``ProviderConfig``) is appended to the list
as an :class:`Exchange` - raw, secrets included. The core redacts and stores them after the call
(``tenant_apps.provider_archive``): plugins never import models, and the archive never holds a database
transaction open across the HTTP call.

Outside an ``observe_exchanges`` block the session records nothing (one context-variable read per call).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests

from .egress import guard_session

__all__ = ["BODY_LIMIT", "Exchange", "ObservedSession", "observe_exchanges", "observed_session"]

BODY_LIMIT = 64 * 1024  # bytes of a body kept; a catalogue dump is not evidence for a dispute


@dataclass
class Exchange:
    """One request and its response (or the transport error instead of a response)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    started_at: datetime
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error: str = ""
    duration_ms: int = 0


_observer: contextvars.ContextVar[list[Exchange] | None] = contextvars.ContextVar("provider_exchanges",
                                                                                   default=None)


@contextmanager
def observe_exchanges() -> Iterator[list[Exchange]]:
    """Collect the exchanges made inside the block (nested blocks each see their own calls only)."""
    exchanges: list[Exchange] = []
    token = _observer.set(exchanges)
    try:
        yield exchanges
    finally:
        _observer.reset(token)


def _headers(headers: Mapping[str, str | bytes]) -> dict[str, str]:
    """Header values as text (requests also sends bytes values: HTTP headers are Latin-1)."""
    return {name: value.decode("latin-1") if isinstance(value, bytes) else value for name, value in headers.items()}


def _text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body[:BODY_LIMIT].decode("utf-8", "replace")
    if isinstance(body, str):
        return body[:BODY_LIMIT]
    return "<stream>"  # a generator / file upload: not buffered here


class ObservedSession(requests.Session):
    """A ``requests.Session`` that reports each exchange to the active observer. Cookies are never kept:
    one session serves every provider and tenant of a thread. Its connections go only to checked addresses
    (:class:`.egress.GuardedAdapter`: the provider's host resolved once and checked when a connection is made)."""

    def __init__(self) -> None:
        super().__init__()
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        guard_session(self)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        exchanges = _observer.get()
        if exchanges is None:
            return super().send(request, **kwargs)
        exchange = Exchange(method=str(request.method or ""), url=str(request.url or ""),
                            request_headers=_headers(request.headers), request_body=_text(request.body),
                            started_at=datetime.now(UTC))
        exchanges.append(exchange)
        started = time.monotonic()
        try:
            response = super().send(request, **kwargs)
        except Exception as exc:
            exchange.error = type(exc).__name__
            raise
        finally:
            exchange.duration_ms = int((time.monotonic() - started) * 1000)
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers)
        if not kwargs.get("stream"):
            exchange.response_body = _text(response.content)
        return response


_local = threading.local()


def observed_session() -> ObservedSession:
    """One pooled observed session per thread (keep-alive to providers saves a handshake per call)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = ObservedSession()
    return session

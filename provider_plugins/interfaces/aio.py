"""The asynchronous fulfilment call: ``await connector.submit_async(request, transport=...)``.

The core's dispatcher (``tenant_apps.orders.dispatch``) sends a batch of orders to their providers
concurrently from one asyncio loop. Every top-up and bill connector offers ``submit_async`` (the
protocols in :mod:`.topup` and :mod:`.bills` require it); :class:`AsyncSubmit` gives it for free by
running the connector's own synchronous request/response code with an exchange-replaying session:

1. the sync method (``airtime``/``data``/``pay``) runs until it sends an HTTP request; the replaying
   session stops it there (:class:`_Exchange`, a ``BaseException`` no ``except Exception`` swallows);
2. the request is sent by the core's asynchronous ``transport`` (keep-alive pools, per-provider
   concurrency limits: the caller's business) while other orders' requests are in flight;
3. the sync method runs again from the start with a fresh connector: the exchanges so far are answered
   from the recording, the next request stops it again ... until it returns or raises.

So the mapping of answers to outcomes, credentials and error handling stay in ONE place (the sync
code, the same translation ``airtime``/``pay`` use); only the I/O is asynchronous. The rule for the sync
code: given the same answers it sends the same requests (true of every connector here: the aggregator's
token fetch is replayed like any exchange). A plugin may override ``submit_async`` with a native
implementation. Transport failures reach the sync code as the ``requests`` exceptions it already
handles (``requests.ConnectTimeout`` / ``Timeout`` / ``ConnectionError``), so an unclear write is PENDING
and a refused connection is "nothing was sent", as in :mod:`.http`.

A plugin may also write ``submit_async`` natively with :func:`send_async`, the awaitable twin of
:func:`.http.send` (the same request on the wire as ``requests`` prepares it, the same exchange reported,
the same mapping of answers and failures): no replay, no ``requests`` objects per call (issue 18: ~0.3 ms
of CPU per order less than the replay). VTPass does (``provider_plugins/vtpass``).

Exchanges are reported to :func:`.observe.observe_exchanges` once each (the provider archive).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from .common import ProviderConfig
from .http import HttpAnswer, answered, failed, target_url
from .observe import BODY_LIMIT, Exchange, _observer, _text

__all__ = ["AsyncSubmit", "AsyncTransport", "TransportAnswer", "replay_async", "send_async"]

MAX_EXCHANGES = 8  # per call: a connector sends one to three (token, pay, requery on a duplicate)


class TransportAnswer:
    """What the transport got back: status, headers, body bytes. Raise ``requests`` exceptions instead when
    there is no answer (ConnectTimeout / ConnectionError("... refused") when nothing left; Timeout /
    ConnectionError otherwise)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content


@runtime_checkable
class AsyncTransport(Protocol):
    async def send(self, *, method: str, url: str, headers: dict[str, str], body: bytes | None,
                   timeout: float | None) -> TransportAnswer: ...


class _Exchange(BaseException):
    """Raised by the replaying session at the first request it has no answer for (never an ``Exception``:
    connector code that catches everything must not swallow it)."""

    def __init__(self, request: requests.PreparedRequest, timeout: Any, key: tuple | None = None) -> None:
        super().__init__("exchange needed")
        self.request, self.timeout, self.key = request, timeout, key


class _ReplaySession(requests.Session):
    """Answers the first ``len(answers)`` requests from the recording; stops the caller at the next one."""

    def __init__(self, answers: list[tuple[str, requests.Response | BaseException]],
                 keys: list[tuple | None] | None = None) -> None:
        super().__init__()
        self.trust_env = False  # no proxy/netrc lookups per request: the transport decides how to connect
        self.answers, self.position = answers, 0
        self.keys = keys if keys is not None else []  # per answer: the request() call that asked for it
        self._asking: tuple | None = None

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        """An exchange already answered, asked again the same way (method, URL, params: what its signature is
        made of), is answered without preparing the request again (~0.1 ms a call, issue 18); anything else
        goes the whole way (prepared, its signature checked in :meth:`send`)."""
        key = None if args else (str(method).upper(), str(url), repr(kwargs.get("params")))
        position = self.position
        if key is not None and position < len(self.answers) and position < len(self.keys) \
                and self.keys[position] == key:
            self.position += 1
            answer = self.answers[position][1]
            if isinstance(answer, BaseException):
                raise answer
            return answer
        self._asking = key
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            self._asking = None

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """``requests.Session.prepare_request``, without its cost when the session adds nothing of its own (always,
        unless a connector sets session-wide cookies, params, auth or hooks): merging a fresh session's empty
        settings costs ~0.1 ms a request (typing-protocol checks, cookie jars), twice per call here (measured,
        issue 18). Same result: the session's headers overlaid with the request's (None drops a header)."""
        if (self.cookies or self.params or self.auth is not None or request.cookies
                or any(self.hooks.values())):
            return super().prepare_request(request)
        headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(self.headers)
        for name, value in (request.headers or {}).items():
            headers[name] = value
        params = request.params
        if isinstance(params, dict):
            params = {key: value for key, value in params.items() if value is not None}
        prepared = requests.PreparedRequest()
        prepared.prepare(method=request.method.upper() if request.method else request.method, url=request.url,
                         files=request.files, data=request.data, json=request.json,
                         headers={name: value for name, value in headers.items() if value is not None},
                         params=params, auth=request.auth, cookies=None, hooks=request.hooks)
        return prepared

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        position = self.position
        self.position += 1
        if position >= len(self.answers):
            raise _Exchange(request, kwargs.get("timeout"), key=self._asking)
        signature, answer = self.answers[position]
        if signature != _signature(request):
            raise RuntimeError("the connector's requests changed on replay (it must be deterministic)")
        if isinstance(answer, BaseException):
            raise answer
        return answer


def _signature(request: requests.PreparedRequest) -> str:
    return f"{request.method} {request.url}"


def _timeout(value: Any) -> float | None:
    if isinstance(value, tuple):
        return max((v for v in value if v is not None), default=None)
    return value


def _response(request: requests.PreparedRequest, answer: TransportAnswer) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status_code
    response.headers = CaseInsensitiveDict(answer.headers)
    response._content = answer.content
    response.encoding = get_encoding_from_headers(response.headers) or "utf-8"
    response.url = str(request.url or "")
    response.request = request
    response.reason = ""
    return response


async def _observed(transport: AsyncTransport, *, method: str, url: str, headers: dict[str, str],
                    body: bytes | None, timeout: float | None, observer: list[Exchange] | None) -> TransportAnswer:
    """One exchange through ``transport``, reported to ``observer`` (the caller's ``observe_exchanges``); raises
    the transport's ``requests`` exceptions (the exchange then carries the error's name)."""
    exchange = Exchange(method=method, url=url, request_headers=headers, request_body=_text(body),
                        started_at=datetime.now(UTC))
    if observer is not None:
        observer.append(exchange)
    started = time.monotonic()
    try:
        got = await transport.send(method=method, url=url, headers=headers, body=body, timeout=timeout)
        exchange.status = got.status_code
        exchange.response_headers = dict(got.headers)
        exchange.response_body = _text(got.content[:BODY_LIMIT])
    except requests.RequestException as exc:
        exchange.error = type(exc).__name__
        raise
    finally:
        exchange.duration_ms = int((time.monotonic() - started) * 1000)
    return got


async def replay_async(call: Any, *, transport: AsyncTransport, max_exchanges: int = MAX_EXCHANGES) -> Any:
    """Run ``call(session)`` (the connector's sync code, using ``session`` for HTTP) with its exchanges sent
    by ``transport``; returns what the call returns, raises what it raises."""
    answers: list[tuple[str, requests.Response | BaseException]] = []
    keys: list[tuple | None] = []
    observer = _observer.get()
    while True:
        session = _ReplaySession(answers, keys)
        try:
            return call(session)
        except _Exchange as needed:
            if len(answers) >= max_exchanges:
                raise RuntimeError("too many provider exchanges for one call") from None
            request = needed.request
            raw = request.body
            body: bytes | None = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else None
            headers = {str(name): str(value) for name, value in request.headers.items()}
            outcome: requests.Response | BaseException
            try:
                got = await _observed(transport, method=str(request.method or ""), url=str(request.url or ""),
                                      headers=headers, body=body, timeout=_timeout(needed.timeout),
                                      observer=observer)
                outcome = _response(request, got)
            except requests.RequestException as exc:
                outcome = exc
            answers.append((_signature(request), outcome))
            keys.append(needed.key)
        finally:
            session.close()


@lru_cache(maxsize=256)
def _prepared(method: str, url: str, headers: tuple[tuple[str, Any], ...],
              has_json: bool) -> tuple[str, str, dict[str, str]]:
    """What ``requests`` (a session with no settings of its own, as ``send`` uses) makes of a request's method,
    URL and headers: the same for every call of a connector, so prepared once (the replaying session's
    ``prepare_request``, tested equal to ``requests.Session``'s). With a JSON body, the headers hold its
    ``Content-Length`` (a placeholder, in its place) and a ``Content-Type`` when the connector gave none."""
    request = requests.Request(method, url, headers=dict(headers), json={} if has_json else None)
    prepared = _ReplaySession([]).prepare_request(request)
    return (str(prepared.method), str(prepared.url),
            {str(name): str(value) for name, value in prepared.headers.items()})


async def send_async(config: ProviderConfig, transport: AsyncTransport, method: str, path: str, *, write: bool,
                     json_body: Any = None, headers: dict | None = None, url: str | None = None,
                     auth_errors: bool = True) -> HttpAnswer:
    """:func:`.http.send` for a request with a JSON body (or none), awaitable: the same request on the wire, the
    same exchange reported, the same answer or exception."""
    method, target, prepared = _prepared(method, target_url(config, path, url), tuple((headers or {}).items()),
                                         json_body is not None)
    request_headers = dict(prepared)
    body: bytes | None = None
    if json_body is not None:
        try:
            body = json.dumps(json_body, allow_nan=False).encode("utf-8")  # what requests sends for json=
        except ValueError as exc:
            raise requests.exceptions.InvalidJSONError(exc) from None
        request_headers["Content-Length"] = str(len(body))
    try:
        got = await _observed(transport, method=method, url=target, headers=request_headers, body=body,
                              timeout=_timeout(config.timeout_seconds), observer=_observer.get())
    except requests.RequestException as exc:
        return failed(exc, write=write)
    return answered(got.status_code, got.content, _decoded_text(got), write=write, auth_errors=auth_errors)


def _decoded_text(answer: TransportAnswer) -> str:
    """``requests.Response.text`` of the answer (its charset, else UTF-8, as :func:`_response` sets it)."""
    if not answer.content:
        return ""
    encoding = get_encoding_from_headers(CaseInsensitiveDict(answer.headers)) or "utf-8"
    try:
        return str(answer.content, encoding, errors="replace")
    except (LookupError, TypeError):
        return str(answer.content, errors="replace")


class AsyncSubmit:
    """Mixin for top-up and bill connectors: ``submit_async`` through the connector's sync code (above).

    ``request``: an AirtimeTopupRequest, DataTopupRequest or BillPaymentRequest (dispatched by type to
    ``airtime``/``data``/``pay``). Each replay round builds a fresh connector (``type(self)(config)``)
    whose ``config.session`` is the replaying session."""

    config: Any

    async def submit_async(self, request: Any, *, transport: AsyncTransport) -> Any:
        # By the request's class name: .topup and .bills import this module (their protocols name the transport).
        method = {"AirtimeTopupRequest": "airtime", "DataTopupRequest": "data",
                  "BillPaymentRequest": "pay"}.get(type(request).__name__)
        if method is None:
            raise TypeError(f"submit_async cannot send a {type(request).__name__}")
        cls: Any = type(self)  # a connector class: constructed with a ProviderConfig
        config = self.config

        def call(session: requests.Session) -> Any:
            return getattr(cls(replace(config, session=session)), method)(request)

        return await replay_async(call, transport=transport)

"""``@idempotent``: put it on the ``post`` of any DRF view that moves money."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Protocol, cast

from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import IdempotencyKeyInvalid, IdempotencyKeyRequired, IdempotencyKeyReused
from .models import IdempotencyKey
from .services import Fingerprint, StoredResponse, body_hash, run_idempotently

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _require_key(request: Request) -> str:
    key = request.headers.get(HEADER)
    if key is None or not key.strip():
        raise IdempotencyKeyRequired()
    key = key.strip()
    if not _VALID_KEY.match(key):
        raise IdempotencyKeyInvalid()
    if not request.user or not request.user.is_authenticated:
        raise NotAuthenticated()
    return key


def _run_once(request: Request, key: str, handler: Callable[[], Response]) -> Response:
    fingerprint = Fingerprint(method=request.method or "", path=request.path, body_hash=body_hash(request.data))
    produced: dict[str, Response] = {}

    def execute() -> StoredResponse:
        response = handler()
        produced["response"] = response
        return StoredResponse(response.status_code, getattr(response, "data", None), dict(response.items()))

    stored, replayed = run_idempotently(user=request.user, key=key, fingerprint=fingerprint, execute=execute)
    if not replayed:
        return produced["response"]
    response = Response(stored.body, status=stored.status, headers=stored.headers)
    response[REPLAYED_HEADER] = "true"
    return response


class _Flagged(Protocol):
    idempotent: bool


def _flagged(wrapper: Callable[..., Response]) -> Callable[..., Response]:
    """Mark a view method as guarded: what tests/ledger/test_money_endpoints.py looks for (idempotency.registry)."""
    cast(_Flagged, wrapper).idempotent = True  # a function attribute: mypy cannot type those
    return wrapper


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Require an Idempotency-Key; run the handler once per (user, key) and replay its first answer.

    Missing key -> 400 ``idempotency_key_required``; same key, other body -> 422
    ``idempotency_key_reused``; twin still running -> 409 ``idempotency_in_flight``.
    """

    @functools.wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = _require_key(request)
        return _run_once(request, key, lambda: view_method(view, request, *args, **kwargs))

    return _flagged(wrapper)


def _replay(request: Request, key: str) -> Response | None:
    """The stored answer under ``key`` (422 for another body), or None: not answered yet."""
    user = request.user
    if isinstance(user, AnonymousUser):  # _require_key has refused it already
        return None
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is None:
        return None
    if (stored.method, stored.path, stored.body_hash) != (request.method, request.path, body_hash(request.data)):
        raise IdempotencyKeyReused()
    response = Response(stored.response_body, status=stored.response_status)
    response[REPLAYED_HEADER] = "true"
    return response


Handler = Callable[..., Response]


def idempotent_after_lookup(prepare: Callable[..., Callable[[], Any] | None]) -> Callable[[Handler], Handler]:
    """``@idempotent`` for a money step that needs an outbound lookup first (a biller's or a bank's name check).

    No outbound HTTP inside an open money transaction (issue 20): ``prepare(view, request)`` answers, without
    I/O, the lookup this request needs (a callable) or None. With a lookup: a request already answered under
    this key is replayed (no lookup; 422 for another body), else the lookup runs OUTSIDE any transaction
    (raising refuses: the same error the handler would give) and its result reaches the handler as
    ``looked_up=``. Without one: exactly ``@idempotent`` (no extra statement). 409 for a twin in flight.
    """

    def decorate(view_method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view_method)
        def wrapper(view, request: Request, *args, **kwargs) -> Response:
            key = _require_key(request)
            lookup = prepare(view, request)
            looked_up = None
            if lookup is not None:
                replayed = _replay(request, key)
                if replayed is not None:
                    return replayed
                looked_up = lookup()
            return _run_once(request, key, lambda: view_method(view, request, *args, looked_up=looked_up, **kwargs))

        return _flagged(wrapper)

    return decorate


def idempotent_after_check(check: Callable[..., Any]) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """``@idempotent`` for a money step that must first pass a check committing on its own.

    A one-time code (a cash-in confirmation, a withdrawal code) is checked in its own transaction so a
    wrong guess counts even though the request fails. Order: a request already answered under this key
    is replayed as is (its code is spent by now; 422 for another body); then ``check(view, request,
    *args, **kwargs)`` runs (raising refuses) and its result reaches the handler as ``checked=``; then
    the handler runs once per key exactly as with ``@idempotent`` (409 for a twin in flight).
    """

    def decorate(view_method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view_method)
        def wrapper(view, request: Request, *args, **kwargs) -> Response:
            key = _require_key(request)
            replayed = _replay(request, key)
            if replayed is not None:
                return replayed
            checked = check(view, request, *args, **kwargs)
            return _run_once(request, key, lambda: view_method(view, request, *args, checked=checked, **kwargs))

        return _flagged(wrapper)

    return decorate

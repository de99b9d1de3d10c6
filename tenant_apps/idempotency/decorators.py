"""``@idempotent``: put it on the ``post`` of any DRF view that moves money."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Protocol, cast

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from shared_apps.core.errors import ApiError, run_after_rollback

from .errors import IdempotencyKeyInvalid, IdempotencyKeyRequired
from .services import (
    Fingerprint,
    OneCall,
    StoredResponse,
    body_hash,
    check_unless_answered,
    run_idempotently,
    stored_answer,
)

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
    fingerprint = _fingerprint(request)
    produced: dict[str, Response] = {}

    def execute() -> StoredResponse:
        response = handler()
        produced["response"] = response
        return StoredResponse(response.status_code, getattr(response, "data", None), dict(response.items()),
                              sealed=tuple(getattr(response, SEALED_ATTRIBUTE, ())))

    stored, replayed = run_idempotently(user=request.user, key=key, fingerprint=fingerprint, execute=execute)
    if not replayed:
        return produced["response"]
    return _replayed(stored)


SEALED_ATTRIBUTE = "idempotency_sealed_fields"


def sealed_in_store(response: Response, *fields: str) -> Response:
    """Mark top-level fields of ``response`` as a bearer secret: the key's stored answer keeps them encrypted
    (idempotency.sealing); the answer and its replays show them as they are."""
    setattr(response, SEALED_ATTRIBUTE, fields)
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
    stored = stored_answer(user_id=_user_id(request), key=key, fingerprint=_fingerprint(request))
    return None if stored is None else _replayed(stored)


def _user_id(request: Request) -> int:
    """The caller's user id (_require_key has refused anonymous callers)."""
    user_id = request.user.pk
    if user_id is None:
        raise NotAuthenticated()
    return user_id


def _fingerprint(request: Request) -> Fingerprint:
    return Fingerprint(method=request.method or "", path=request.path, body_hash=body_hash(request.data))


def _replayed(stored: StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status, headers=stored.headers)
    response[REPLAYED_HEADER] = "true"
    return response


Handler = Callable[..., Response]


def _lookup_first(prepare: Callable[..., Callable[[], Any] | None], view: Any, request: Request,
                  key: str) -> tuple[Response | None, Any]:
    """The outbound lookup a request needs, outside any transaction: ``(replayed, None)`` when the key was
    already answered (no lookup), else ``(None, result)`` (``None`` when ``prepare`` says there is none)."""
    lookup = prepare(view, request)
    if lookup is None:
        return None, None
    replayed = _replay(request, key)
    if replayed is not None:
        return replayed, None
    return None, lookup()


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
            replayed, looked_up = _lookup_first(prepare, view, request, key)
            if replayed is not None:
                return replayed
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

    A check that refuses yields to a stored answer looked up again: a twin that missed the first lookup
    while its first copy was still running finds the code spent once that copy commits, and must get the
    first answer (replayed), not a refusal of a request that went through.
    """

    def decorate(view_method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view_method)
        def wrapper(view, request: Request, *args, **kwargs) -> Response:
            key = _require_key(request)
            replayed, checked = check_unless_answered(answered=lambda: _replay(request, key),
                                                      check=lambda: check(view, request, *args, **kwargs))
            if replayed is not None:
                return replayed
            return _run_once(request, key, lambda: view_method(view, request, *args, checked=checked, **kwargs))

        return _flagged(wrapper)

    return decorate


def idempotent_in_one_call(prepare: Callable[..., Callable[[], Any] | None]) -> Callable[[Handler], Handler]:
    """``@idempotent_after_lookup`` for a handler whose writes and key row go to the database in ONE call.

    No transaction is opened here: the handler gets ``once=`` (an :class:`OneCall`) and passes it to the
    service, whose single server-side call takes the key's lock (409 for a twin in flight), replays a stored
    answer (``once.replayed``: answered here, with ``Idempotency-Replayed``), refuses another body (422), or
    stores the answer rendered beforehand with the writes (``purchase_accept``). The PIN gate runs as in
    ``run_idempotently``. An error raised before that call (validation) yields to a stored answer: a replay
    is answered as it was the first time, whatever changed since.
    """

    def decorate(view_method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view_method)
        def wrapper(view, request: Request, *args, **kwargs) -> Response:
            from tenant_apps.pins.gate import authorise

            key = _require_key(request)
            replayed, looked_up = _lookup_first(prepare, view, request, key)
            if replayed is not None:
                return replayed
            once = OneCall(user_id=_user_id(request), key=key, fingerprint=_fingerprint(request))
            authorisation = authorise(user=request.user)
            try:
                with authorisation.guard():
                    response = view_method(view, request, *args, looked_up=looked_up, once=once, **kwargs)
            except ApiError as exc:
                run_after_rollback(exc)
                if not once.called:
                    replayed = _replay(request, key)
                    if replayed is not None:
                        return replayed
                raise
            if once.replayed is not None:
                return _replayed(once.replayed)
            return response

        return _flagged(wrapper)

    return decorate

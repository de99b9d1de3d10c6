"""``@idempotent``: put it on the ``post`` of any DRF view that moves money."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import IdempotencyKeyInvalid, IdempotencyKeyRequired
from .services import Fingerprint, StoredResponse, body_hash, run_idempotently

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Require an Idempotency-Key; run the handler once per (user, key) and replay its first answer.

    Missing key -> 400 ``idempotency_key_required``; same key, other body -> 422
    ``idempotency_key_reused``; twin still running -> 409 ``idempotency_in_flight``.
    """

    @functools.wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None or not key.strip():
            raise IdempotencyKeyRequired()
        key = key.strip()
        if not _VALID_KEY.match(key):
            raise IdempotencyKeyInvalid()
        if not request.user or not request.user.is_authenticated:
            raise NotAuthenticated()
        fingerprint = Fingerprint(method=request.method, path=request.path, body_hash=body_hash(request.data))
        produced: dict[str, Response] = {}

        def execute() -> StoredResponse:
            response = view_method(view, request, *args, **kwargs)
            produced["response"] = response
            return StoredResponse(response.status_code, getattr(response, "data", None), dict(response.items()))

        stored, replayed = run_idempotently(user=request.user, key=key, fingerprint=fingerprint, execute=execute)
        if not replayed:
            return produced["response"]
        response = Response(stored.body, status=stored.status, headers=stored.headers)
        response[REPLAYED_HEADER] = "true"
        return response

    wrapper.idempotent = True  # what tests/ledger/test_money_endpoints.py looks for (idempotency.registry)
    return wrapper

"""Stash the transaction PIN a request presents, for the money step it may reach (``pins.gate``).

Only the ``X-Transaction-PIN`` header, or the ``transaction_pin`` field of an URL-encoded form (the
portal's money forms); nothing is checked here (the user is not known yet for token-authenticated API
calls): ``idempotency.services.run_idempotently`` checks it before the money moves. The value lives in a
context variable for this request only and is never logged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .gate import FORM_FIELD, HEADER, presenting

WRITES = frozenset({"POST", "PUT", "PATCH"})
FORM = "application/x-www-form-urlencoded"


class TransactionPinMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pin = None
        if request.method in WRITES:
            pin = request.headers.get(HEADER)
            if pin is None and (request.content_type or "").lower() == FORM:
                pin = request.POST.get(FORM_FIELD)
        if not pin:
            return self.get_response(request)
        with presenting(pin.strip()[:32]):
            return self.get_response(request)

"""Make the transaction PIN a request presents available to the money step it may reach (``pins.gate``).

Only the ``X-Transaction-PIN`` header, or (pages, not the API) the ``transaction_pin`` field of a form post;
read lazily, when ``idempotency.services.run_idempotently`` asks (by then the view has parsed its form, so
nothing is parsed here and requests that move no money never look). Nothing is checked here either: the user
of a token-authenticated API call is not known yet. The value lives for this request only; never logged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from shared_apps.core.request_guard import FORMS, is_api_path

from .gate import FORM_FIELD, HEADER, presenting_from

WRITES = frozenset({"POST", "PUT", "PATCH"})


def _candidate(request: HttpRequest) -> str | None:
    pin = request.headers.get(HEADER)
    if pin is None and not is_api_path(request.path) and (request.content_type or "").lower() in FORMS:
        pin = request.POST.get(FORM_FIELD)
    return (pin or "").strip()[:32] or None


class TransactionPinMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in WRITES:
            return self.get_response(request)
        with presenting_from(lambda: _candidate(request)):
            return self.get_response(request)

"""Every request body bounded before anything reads it; API and webhook errors always in the one shape.

One mechanism for every endpoint: DRF views, the plain Django webhook views (which
read ``request.body`` themselves), portal and console forms, the admin.

* **Size**: ``Content-Length`` over ``REQUEST_MAX_BODY_BYTES`` (64 KiB) is 413
  ``request_too_large`` before the body is read; a multipart body to a view that
  takes files may reach ``REQUEST_MAX_UPLOAD_BYTES``.
* **Media type**: a non-empty body of a type the view does not take is 415
  ``unsupported_media_type``. What a view takes: a DRF view's ``parser_classes``
  (JSON only by default); a plain view's :func:`accepts_body` declaration; else
  JSON under ``/api/`` and ``/webhook/`` and HTML forms elsewhere.
* **Nesting**: a JSON body nested deeper than ``REQUEST_MAX_JSON_DEPTH`` is 400
  ``malformed_request`` (a linear scan, before any ``json.loads`` could recurse).
* **NUL**: a NUL character in the path, the query string or a form body's text fields is 400
  ``malformed_request``. PostgreSQL text cannot hold one (``DataError``: a 500 wherever a view filters on or
  saves a raw parameter); form and serializer fields refuse it, raw ``request.GET``/``POST`` reads did not.
  A file's bytes are never looked at.
* **Last resort**: under ``/api/`` and ``/webhook/`` any error answer that is not
  JSON (an unhandled exception's 500, Django's debug pages, a bare 405/404/400) is
  replaced by ``{"error": {"code", "message", "fields"}}`` with nothing internal;
  the exception itself is logged by Django's handler as usual. So even with
  ``DEBUG = True`` an API path never shows a traceback or the settings.

Placed right after the request-id and access-log middleware (it wraps everything
after them) and before CSRF (whose ``process_view`` reads form bodies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework.parsers import FileUploadParser, MultiPartParser
from rest_framework.views import APIView

from provider_plugins.interfaces.wire import json_depth_exceeds

from .errors import error_response

API_PREFIXES = ("/api/", "/webhook/")
JSON = frozenset({"application/json"})
FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
MULTIPART = "multipart/form-data"

_STATUS_CODES = {
    400: ("bad_request", _("The request could not be processed.")),
    401: ("not_authenticated", _("Authentication credentials were not provided.")),
    403: ("permission_denied", _("You do not have permission to perform this action.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    413: ("request_too_large", _("The request body is too large.")),
    415: ("unsupported_media_type", _("This endpoint does not take this media type.")),
    429: ("rate_limited", _("Too many requests. Try again later.")),
}
_SERVER_ERROR = ("server_error", _("An unexpected error occurred. It has been logged."))


@dataclass(frozen=True)
class BodyPolicy:
    media_types: frozenset[str]
    uploads: bool = False  # multipart bodies may reach REQUEST_MAX_UPLOAD_BYTES


class _PolicyView(Protocol):
    body_policy: BodyPolicy


def accepts_body(media_types: Iterable[str], *, uploads: bool = False) -> Callable:
    """Declare what a plain Django view takes (DRF views say it with ``parser_classes``).

    ``@accepts_body(FORMS, uploads=True)`` on a page with a file field; ``@accepts_body(JSON)`` on a webhook.
    """
    policy = BodyPolicy(frozenset(media_types), uploads)

    def decorate(view: Callable) -> Callable:
        cast(_PolicyView, view).body_policy = policy  # a function attribute: mypy cannot type those
        return view

    return decorate


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def body_policy(view_func: Callable, path: str) -> BodyPolicy:
    declared = getattr(view_func, "body_policy", None)
    if isinstance(declared, BodyPolicy):
        return declared
    view_class = getattr(view_func, "cls", None)
    if isinstance(view_class, type) and issubclass(view_class, APIView):
        parsers = list(view_class.parser_classes)
        return BodyPolicy(frozenset(parser.media_type.lower() for parser in parsers),
                          uploads=any(issubclass(parser, MultiPartParser | FileUploadParser) for parser in parsers))
    return BodyPolicy(JSON if is_api_path(path) else FORMS)


def _content_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def _refuse(status: int, fields: dict | None = None) -> HttpResponse:
    code, message = _STATUS_CODES.get(status, _SERVER_ERROR)
    return error_response(code, message, status, fields)


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _content_length(request)
        response: HttpResponse
        if length is None:
            response = error_response("malformed_request", _("The Content-Length header is not valid."), 400)
        elif length > max(settings.REQUEST_MAX_BODY_BYTES, settings.REQUEST_MAX_UPLOAD_BYTES):
            response = _refuse(413)  # over any view's limit: refused before tenant routing, nothing read
        else:
            response = self.get_response(request)
        if is_api_path(request.path) and response.status_code >= 400 and not _is_json(response):
            response = self._shaped(response)
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> HttpResponse | None:
        if _nul_in_address(request):
            return _nul_refused()
        length = _content_length(request) or 0
        if length == 0:
            return None
        media_type = (request.content_type or "").lower()
        policy = body_policy(view_func, request.path)
        if media_type not in policy.media_types:
            return _refuse(415)
        limit = settings.REQUEST_MAX_UPLOAD_BYTES if policy.uploads and media_type == MULTIPART \
            else settings.REQUEST_MAX_BODY_BYTES
        if length > limit:
            return _refuse(413)
        if media_type in JSON and json_depth_exceeds(request.body, settings.REQUEST_MAX_JSON_DEPTH):
            return error_response("malformed_request", _("The JSON body is nested too deeply."), 400)
        if media_type in FORMS and request.method == "POST" and _nul_in_form(request, media_type, view_func):
            return _nul_refused()
        return None

    @staticmethod
    def _shaped(response: HttpResponse) -> HttpResponse:
        """The error shape instead of an HTML/text error page (debug pages included: never their content)."""
        if response.status_code >= 500:
            code, message = _SERVER_ERROR
        else:
            code, message = _STATUS_CODES.get(response.status_code, _STATUS_CODES[400])
        shaped = error_response(code, message, response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped


def _nul_in_address(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path_info or ("%00" in query or "\x00" in query)


def _nul_in_form(request: HttpRequest, media_type: str, view_func: Callable) -> bool:
    """A NUL in a form's text: the urlencoded bytes as sent; a plain view's multipart fields once parsed (the parse
    CSRF and the view do anyway; files untouched). A DRF view parses its own multipart body (its serializer
    fields refuse NUL): left alone."""
    if media_type == MULTIPART:
        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return False
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists())
    body = request.body
    return b"%00" in body or b"\x00" in body


def _nul_refused() -> HttpResponse:
    return error_response("malformed_request", _("The request contains a NUL character."), 400)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"

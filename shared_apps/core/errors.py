"""One error shape for every API error.

``{"error": {"code": "<stable_machine_code>", "message": "<human text>", "fields": {...}}}``

Services raise :class:`ApiError` subclasses (or DRF's own exceptions); the DRF
exception handler and the plain-Django 404/500 handlers render them alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

from .error_shape import error_body

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An expected, user-facing error with a stable code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "bad_request"
    message: str | Promise = _("The request could not be processed.")

    def __init__(self, message: str | Promise | None = None, *, code: str | None = None, fields: dict | None = None,
                 status_code: int | None = None) -> None:
        self.message = message if message is not None else self.message
        self.code = code or self.code
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code
        # More keys for the body's ``error`` object (e.g. ``step_up``: what to send next); never internals.
        self.extra: dict = {}
        self._after_rollback: list[Callable[[], None]] = []
        super().__init__(str(self.message))

    def after_rollback(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the transaction this error rolls back is gone (see :func:`run_after_rollback`):
        for writes that must survive the refusal, like the record of a refused payment."""
        self._after_rollback.append(hook)


def run_after_rollback(exc: BaseException) -> None:
    """Run the error's after-rollback hooks, once (called where the money transaction has been left: the
    idempotency runner, the API exception handler, background runners). A failing hook is logged."""
    if not isinstance(exc, ApiError) or not exc._after_rollback:
        return
    hooks, exc._after_rollback = exc._after_rollback, []
    for hook in hooks:
        try:
            hook()
        except Exception:
            logger.exception("after-rollback hook failed")


class NotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message: str | Promise = _("Not found.")


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message: str | Promise = _("The request conflicts with the current state.")


class Forbidden(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    message: str | Promise = _("You do not have permission to perform this action.")


def error_response(code: str, message: Any, status_code: int, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status_code)


def _flatten_fields(detail: Any) -> dict:
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {}


def _messages(value: Any) -> list[str]:
    """A field's errors as plain messages, however DRF nested them: a list item's errors come keyed by its index
    (``{1: [...]}``), a nested object's by its fields, a list of objects' by position (``[{}, {...}]``). Each
    nested message says where it is (``[1] ...``, ``phone: ...``); never the repr of DRF's error objects."""
    if isinstance(value, dict):
        return [f"{_where(key)}{message}" for key, nested in value.items() for message in _messages(nested)]
    if isinstance(value, list):
        if any(isinstance(item, dict | list) for item in value):
            return [f"[{index}] {message}" for index, item in enumerate(value) for message in _messages(item)]
        return [str(item) for item in value]
    return [str(value)]


def _where(key: Any) -> str:
    return f"[{key}] " if isinstance(key, int) else f"{key}: "


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "rate_limited",
    drf_exceptions.ParseError: "malformed_request",
    drf_exceptions.ValidationError: "validation_error",
}


def _leaf_codes(codes: Any) -> list[str]:
    if isinstance(codes, dict):
        return [code for value in codes.values() for code in _leaf_codes(value)]
    if isinstance(codes, list):
        return [code for value in codes for code in _leaf_codes(value)]
    return [str(codes)]


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: render every known error in the one shape."""
    if isinstance(exc, ApiError):
        run_after_rollback(exc)  # the view's transaction is over (usually done by the idempotency runner)
        body = error_body(exc.code, exc.message, exc.fields)
        body["error"].update(getattr(exc, "extra", None) or {})
        response = Response(body, status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(int(retry_after))
        return response
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        # Redis (cache, broker) restarting: nothing was committed (the idempotency runner rolled back); the
        # client retries the same request with the same Idempotency-Key.
        logger.warning("redis unavailable: %s", type(exc).__name__)
        response = Response(error_body("temporarily_unavailable",
                                       _("The service is briefly unavailable. Retry in a moment."), {}), status=503)
        response["Retry-After"] = "1"
        return response
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if not isinstance(exc, drf_exceptions.APIException):
        return None  # a real bug: let Django's 500 handler log it
    code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), None)
    if isinstance(exc, drf_exceptions.AuthenticationFailed):
        # The authentication says why (token_not_valid, token_tenant_mismatch, device_signed_out): the code a client
        # acts on (refresh, or sign in again), never more than the token's holder may know.
        specific = exc.get_codes()
        if isinstance(specific, str) and specific != exc.default_code:
            code = specific
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        message: str | Promise
        if isinstance(exc.detail, list):
            message = " ".join(str(item) for item in exc.detail)
        else:
            message = _("Some fields are invalid.")
            non_field = fields.pop("non_field_errors", None)
            if non_field:
                message = " ".join(non_field)
        code = "validation_error"
        leaf_codes = _leaf_codes(exc.get_codes())
        if leaf_codes and all(leaf == "invalid_amount" for leaf in leaf_codes):
            # One cause, one code: a refused amount is invalid_amount whichever layer saw it first.
            code, message = "invalid_amount", _("The amount is not valid.")
        body = error_body(code, message, fields)
    else:
        codes = exc.get_codes()
        detail_code = codes if isinstance(codes, str) else None
        body = error_body(code or detail_code or "error", exc.detail)
    response = Response(body, status=exc.status_code)
    if isinstance(exc, drf_exceptions.Throttled):
        wait = exc.wait  # type: ignore[attr-defined]  # DRF sets Throttled.wait; its stubs omit it
        if wait:
            response["Retry-After"] = str(int(wait))
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    return response


def not_found_view(request, exception=None) -> JsonResponse:
    return error_response("not_found", _("Not found."), 404)


def server_error_view(request) -> JsonResponse:
    return error_response("server_error", _("An unexpected error occurred. It has been logged."), 500)

"""Request-id middleware: accept a sane inbound ``X-Request-ID`` or mint one."""

from __future__ import annotations

import re
import time
import uuid

from .context import current_user_label, request_id_var, request_var
from .redaction import redact_path_token

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        inbound = request.headers.get("X-Request-ID", "")
        request_id = inbound if _SAFE_ID.match(inbound) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestLogMiddleware:
    """One structured access-log line per request (method, path, status, duration, user).

    Sits right after RequestIdMiddleware so even refused requests (unknown host,
    suspended tenant) are logged with their request id.
    """

    def __init__(self, get_response):
        import structlog

        self.get_response = get_response
        self.logger = structlog.get_logger("nexustop.request")

    def __call__(self, request):
        started = time.perf_counter()
        token = request_var.set(request)
        try:
            response = self.get_response(request)
            self.logger.info(
                "request",
                method=request.method,
                path=redact_path_token(request.path),
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user=current_user_label(resolve=True),
            )
            return response
        finally:
            request_var.reset(token)


class PrivateResponseCacheMiddleware:
    """What a signed-in person is shown is never stored: ``Cache-Control: no-store, private`` (and an Expires in
    the past) on every answer to an authenticated request that does not set its own Cache-Control.

    Wallet balances, withdrawal codes, statements and back-office pages otherwise went out with no Cache-Control
    at all: a browser may keep them on disk and show them again with Back after the person logged out (a shared
    phone, a cyber café), and a proxy is free to store them. Answers that choose their caching themselves (the
    PWA's public files, receipts' ``private, no-store``) keep it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                # One header set, on every API answer (the purchase's too): ``no-store`` alone forbids keeping
                # it anywhere (RFC 9111 5.2.2.5); Django's add_never_cache_headers also formats an Expires date.
                response["Cache-Control"] = "no-store, private"
        return response

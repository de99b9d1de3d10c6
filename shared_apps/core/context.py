"""Per-request context (request id, tenant schema, user) carried by contextvars.

Logging, metrics and outgoing calls read it instead of threading the request
through every function.
"""

from __future__ import annotations

import contextvars
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# The HttpRequest being served (set by RequestLogMiddleware), so log lines can name its user.
request_var: contextvars.ContextVar[Any] = contextvars.ContextVar("request", default=None)


def current_request_id() -> str:
    return request_id_var.get()


def current_schema() -> str:
    from django.db import connection

    return getattr(connection, "schema_name", "public") or "public"


def current_user_label(*, resolve: bool = False) -> str:
    """The current request's user id, ``anonymous``, or ``-`` outside a request.

    Authentication is lazy (session middleware) or happens inside the view (JWT):
    unless ``resolve`` is set, a user not yet resolved is reported as ``-``
    rather than triggering a session lookup from inside a log call.
    """
    request = request_var.get()
    if request is None:
        return "-"
    user = request.__dict__.get("user")
    if user is None:
        return "-"
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is not None and not resolve:
        from django.utils.functional import empty

        if wrapped is empty:
            return "-"
    try:
        if user.is_authenticated:
            return str(user.pk)
    except Exception:  # a broken session must not break logging
        return "-"
    return "anonymous"

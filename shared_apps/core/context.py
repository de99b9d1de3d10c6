"""Per-request context (request id, tenant schema) carried by contextvars.

Logging, metrics and outgoing calls read it instead of threading the request
through every function.
"""

from __future__ import annotations

import contextvars

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    return request_id_var.get()


def current_schema() -> str:
    from django.db import connection

    return getattr(connection, "schema_name", "public") or "public"

"""Log context: every line carries the request id, the tenant schema and the user.

``add_request_context`` is a structlog processor used by the JSON formatter
(settings/integrations/logging.py) for structlog and standard-library records
alike; ``RequestContextFilter`` does the same for plain ``%``-style formatters.
"""

from __future__ import annotations

import logging
from typing import Any

from .context import current_request_id, current_user_label


def _current_tenant() -> str:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", "-") or "-"
    except Exception:  # settings not ready (early start-up)
        return "-"


def add_request_context(_logger: Any, _method: str, event_dict: dict) -> dict:
    # What setdefault would give, without computing a value the line already has (the access line names its user).
    if "request_id" not in event_dict:
        event_dict["request_id"] = current_request_id()
    if "tenant" not in event_dict:
        event_dict["tenant"] = _current_tenant()
    if "user" not in event_dict:
        event_dict["user"] = current_user_label()
    return event_dict


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "tenant"):
            record.tenant = _current_tenant()
        if not hasattr(record, "user"):
            record.user = current_user_label()
        return True

"""Logging filter adding the tenant schema and request id to every record."""

from __future__ import annotations

import logging

from .context import current_request_id


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "tenant"):
            try:
                from django.db import connection

                record.tenant = getattr(connection, "schema_name", "-") or "-"
            except Exception:  # settings not ready (early start-up)
                record.tenant = "-"
        return True

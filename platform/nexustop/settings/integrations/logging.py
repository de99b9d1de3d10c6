"""Logging: one JSON object per line (structlog), each with request id, tenant and user.

Both structlog loggers (``structlog.get_logger``) and standard-library loggers
(Django, Celery, libraries) go through the same ``ProcessorFormatter``, so every
line has the same shape, e.g.::

    {"event": "request", "method": "GET", "path": "/api/wallet", "status": 200,
     "request_id": "4f1c...", "tenant": "ng", "user": "42", "level": "info",
     "logger": "nexustop.request", "timestamp": "2026-11-27T10:00:00.000000Z"}

``LOG_FORMAT=console`` gives coloured, human-readable lines for local work. Either way personal data
is redacted last, before rendering (shared_apps/core/redaction.py).
"""

from __future__ import annotations

from typing import Any

import structlog
from structlog.typing import Processor

from shared_apps.core.logging import add_request_context
from shared_apps.core.redaction import redact_personal_data

from ..env import env_str

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json")

_SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_SHARED_PROCESSORS,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)

_RENDERER = (
    structlog.dev.ConsoleRenderer() if LOG_FORMAT == "console" else structlog.processors.JSONRenderer(sort_keys=False)
)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                add_request_context,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                # Last before rendering: no phone, email, BVN/NIN, account number or name in any line.
                redact_personal_data,
                _RENDERER,
            ],
            "foreign_pre_chain": [*_SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One INFO line per provider request from the dispatcher's client: the archive and metrics have them.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Requests are logged once, by RequestLogMiddleware.
        "django.server": {"level": "WARNING"},
        "gunicorn.access": {"level": "WARNING"},
    },
}

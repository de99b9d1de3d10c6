"""The body of every API error, ``{"error": {"code", "message", "fields"}}``: standard library only.

Any layer may import it (tenants' routing middleware answers in this shape without depending on the rest of
``shared_apps.core``); ``shared_apps.core.errors`` builds its responses and the DRF exception handler on it.
"""

from __future__ import annotations

from typing import Any


def error_body(code: str, message: Any, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}

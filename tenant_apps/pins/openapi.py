"""OpenAPI: the ``X-Transaction-PIN`` header on every money-moving API operation (idempotency.registry)."""

from __future__ import annotations

import re

from .gate import HEADER

DESCRIPTION = (
    "The caller's transaction PIN (4-6 digits). Needed when the tenant's PIN policy "
    "(GET /api/pin/policy) asks it for this amount: a debit of your own wallet at or above "
    "`web_api_threshold` without it is refused with 403 `transaction_pin_required` "
    "(`transaction_pin_not_set` when you have none: POST /api/pin). When sent, it is always checked: "
    "a wrong PIN is refused with 403 `invalid_transaction_pin` and counts; after 3 wrong PINs in a row "
    "403 `transaction_pin_locked` until reset (POST /api/pin/reset). A header, never a body field: bodies "
    "are fingerprinted for Idempotency-Key replays.")


def _schema_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def document_transaction_pin(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS['POSTPROCESSING_HOOKS'])."""
    from tenant_apps.idempotency.registry import MONEY_MOVING, Guard

    money: dict[str, set[str]] = {}
    for label, guard in MONEY_MOVING.items():
        method, route = label.split(" ", 1)
        if guard == Guard.IDEMPOTENCY_KEY:
            money.setdefault(_schema_path(route), set()).add(method.lower())
    for path, operations in (result.get("paths") or {}).items():
        for method, operation in operations.items():
            if method not in money.get(path, ()):
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(item.get("name") == HEADER for item in parameters):
                parameters.append({"in": "header", "name": HEADER, "required": False, "description": DESCRIPTION,
                                   "schema": {"type": "string", "pattern": "^[0-9]{4,6}$", "maxLength": 6}})
    return result

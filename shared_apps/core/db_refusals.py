"""Business refusals raised by the server-side money functions, read back as Python values.

The functions of the acceptance path (``ledger_place_hold``, ``kyc_reserve_spend``, ``idempotency_begin``,
``purchase_accept``; docs/purchases.md, "The acceptance in one call") refuse with SQLSTATE ``NX001``: the
message is the API error code (``insufficient_funds``), the DETAIL a JSON object of figures. The owning app
turns a :class:`Refusal` into its ``ApiError`` (one wording per code, wherever the rule ran).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError

SQLSTATE = "NX001"


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: dict[str, Any] = field(default_factory=dict)


def refusal_of(exc: BaseException) -> Refusal | None:
    """The refusal a database error carries (None: a real error)."""
    cause = exc.__cause__ if isinstance(exc, DatabaseError) and exc.__cause__ is not None else exc
    diag = getattr(cause, "diag", None)  # psycopg: an unknown SQLSTATE class comes as a plain DatabaseError
    if diag is None or getattr(diag, "sqlstate", None) != SQLSTATE:
        return None
    try:
        detail = json.loads(diag.message_detail or "{}")
    except ValueError:
        detail = {}
    return Refusal(code=diag.message_primary or "", detail=detail if isinstance(detail, dict) else {})


Translator = Callable[[Refusal], BaseException]


@contextmanager
def refusals(translators: Mapping[str, Translator]) -> Iterator[None]:
    """Raise the translated error for a refusal of a code in ``translators`` (others propagate as they are)."""
    try:
        yield
    except DatabaseError as exc:
        refusal = refusal_of(exc)
        if refusal is None or refusal.code not in translators:
            raise
        raise translators[refusal.code](refusal) from None


def json_value(value: Any) -> Any:
    """A ``jsonb`` a function returned (Django's psycopg setup hands it over as text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value

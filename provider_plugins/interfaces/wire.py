"""JSON from outside (request bodies, provider webhooks and answers), read safely.

* Nesting is bounded *before* parsing: ``json.loads`` recurses once per ``[`` or
  ``{``, and 100 KB of ``[`` ends in ``RecursionError`` (not a ``ValueError``).
  :func:`json_depth_exceeds` is a linear scan that stops at the first level over
  the limit. The request guard (``shared_apps.core.request_guard``) runs the same
  check on every request body, whatever view reads it.
* Numbers with a fraction or an exponent become :class:`JsonNumber` (a ``Decimal``
  that remembers how it was written), never ``float``: the money rule (:mod:`.money`)
  then judges ``1.5e3`` exactly as the string ``"1.5e3"``.
* ``NaN``, ``Infinity`` and ``-Infinity`` (which the standard library accepts) are refused.

Stdlib only: plugins use it for their webhooks and answers.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JsonNumber", "json_depth_exceeds", "json_loads"]

MAX_JSON_DEPTH = 32

_STRUCTURE = re.compile(rb'[\[\]{}"\\]')
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = frozenset(b"[{"), frozenset(b"]}"), 0x22, 0x5C


def json_depth_exceeds(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``raw`` opens more than ``limit`` nested arrays/objects (brackets inside strings don't count).

    Linear in the number of brackets and quotes; returns at the first level over the limit.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = 0
    in_string = False
    skip_to = -1
    for match in _STRUCTURE.finditer(data):
        position = match.start()
        if position < skip_to:
            continue
        byte = data[position]
        if in_string:
            if byte == _BACKSLASH:
                skip_to = position + 2  # the escaped character, whatever it is
            elif byte == _QUOTE:
                in_string = False
            continue
        if byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


class JsonNumber(Decimal):
    """A JSON number with a fraction or an exponent: its exact ``Decimal`` value and its ``literal`` text."""

    literal: str

    def __new__(cls, literal: str) -> JsonNumber:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_loads(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for input from outside; ``ValueError`` for bad JSON, NaN/Infinity, nesting over ``max_depth``."""
    if json_depth_exceeds(raw, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(raw, parse_float=JsonNumber, parse_constant=_refuse_constant)
    except RecursionError:  # unreachable after the depth check; kept so no caller ever sees one
        raise ValueError("JSON nested too deeply") from None

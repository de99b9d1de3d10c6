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
from array import array
from decimal import Decimal
from itertools import accumulate
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JsonNumber", "json_depth_exceeds", "json_loads"]

MAX_JSON_DEPTH = 32

# A JSON string, escapes included. It always matches from a quote (an unterminated string, even one ending in
# a lone backslash, runs to the end): no match is ever abandoned, so no input can make it backtrack (linear).
_STRING = re.compile(rb'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes


def json_depth_exceeds(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``raw`` opens more than ``limit`` nested arrays/objects (brackets inside strings don't count).

    Linear and in C: strings removed by one regular expression, everything but brackets deleted, the
    running depth summed by ``accumulate``. A body with at most ``limit`` opening brackets is not scanned.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    steps = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS).translate(_STEPS)
    if b"\x01" * (limit + 1) in steps:  # a run of opening brackets over the limit: no need to sum
        return True
    return max(accumulate(array("b", steps)), default=0) > limit


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

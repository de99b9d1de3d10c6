"""Finding a person's values inside free text and JSON (phone numbers in any national format)."""

from __future__ import annotations

import re
from typing import Any

ERASED = "[erased]"


def needles_of(values: list[str]) -> list[str]:
    """What to look for: each value as given, and for numbers their last 9 digits (``+234803...``,
    ``0803...`` and ``234803...`` all contain them)."""
    needles: set[str] = set()
    for value in values:
        text = str(value or "").strip()
        if len(text) < 3:
            continue
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 7 and len(digits) >= len(text) - 2:  # a number
            needles.add(digits[-9:])
        else:
            needles.add(text.lower())
    return sorted(needles, key=len, reverse=True)


def _mentions(text: str, needles: list[str]) -> bool:
    lowered = text.lower()
    digits = re.sub(r"\D", "", text)
    return any(needle in lowered or (needle.isdigit() and needle in digits) for needle in needles)


def scrub(value: Any, values: list[str], *, needles: list[str] | None = None) -> Any:
    """``value`` with every string that mentions one of ``values`` replaced by ``[erased]`` (keys kept)."""
    needles = needles_of(values) if needles is None else needles
    if not needles:
        return value
    if isinstance(value, dict):
        return {key: scrub(item, values, needles=needles) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, values, needles=needles) for item in value]
    if isinstance(value, str) and _mentions(value, needles):
        return ERASED
    return value

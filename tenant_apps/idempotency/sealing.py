"""Secrets inside stored answers, encrypted at rest (a withdrawal code shown once, then only to a replay).

An Idempotency-Key's answer is replayed as it was, so an answer that shows a bearer secret keeps it; the key's
row holds it encrypted (Fernet), never in clear. The key is derived from ``SECRET_KEY`` for this one purpose
(``SECRET_KEY_FALLBACKS`` still open what they sealed): these rows live hours, so no key of their own to
provision and rotate. A value that no key opens any more (the secret key rotated out) replays as ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet

from shared_apps.core.sealing import purpose_fernet

MARK = "__sealed__"
_PURPOSE = "nexustop:idempotency-sealed-answer:"


def _current() -> MultiFernet:
    return purpose_fernet(_PURPOSE)


def seal(body: Any, fields: Iterable[str]) -> Any:
    """``body`` with each named top-level field replaced by ``{"__sealed__": <token>}``."""
    names = [name for name in fields if isinstance(body, dict) and name in body]
    if not names:
        return body
    fernet = _current()
    return {**body, **{name: {MARK: fernet.encrypt(json.dumps(body[name]).encode()).decode()} for name in names}}


def unseal(body: Any) -> Any:
    """``body`` with every sealed top-level field opened again (``None`` where no key opens it)."""
    if not isinstance(body, dict) or not any(_is_sealed(value) for value in body.values()):
        return body
    return {name: _open(value) if _is_sealed(value) else value for name, value in body.items()}


def _is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and MARK in value


def _open(value: dict) -> Any:
    try:
        return json.loads(_current().decrypt(str(value[MARK]).encode()))
    except (InvalidToken, ValueError):
        return None

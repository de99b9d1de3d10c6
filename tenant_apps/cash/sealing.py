"""A withdrawal code kept encrypted while it is active, so that it can be texted again (the same code).

Fernet with a key derived from ``SECRET_KEY`` for this one purpose (``SECRET_KEY_FALLBACKS`` still open what they
sealed): a code lives 30 minutes, so no key of its own to provision and rotate. What no key opens (the secret key
rotated out) opens as ``None``: the code can no longer be resent, only cancelled.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken, MultiFernet

from shared_apps.core.sealing import purpose_fernet

_PURPOSE = "nexustop:withdrawal-code:"


def _current() -> MultiFernet:
    return purpose_fernet(_PURPOSE)


def seal_code(code: str) -> str:
    return _current().encrypt(code.encode()).decode()


def open_code(sealed: str) -> str | None:
    if not sealed:
        return None
    try:
        return _current().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None

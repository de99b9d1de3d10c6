"""A withdrawal code kept encrypted while it is active, so that it can be texted again (the same code).

Fernet with a key derived from ``SECRET_KEY`` for this one purpose (``SECRET_KEY_FALLBACKS`` still open what they
sealed): a code lives 30 minutes, so no key of its own to provision and rotate. What no key opens (the secret key
rotated out) opens as ``None``: the code can no longer be resent, only cancelled.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_PURPOSE = "nexustop:withdrawal-code:"


@functools.lru_cache(maxsize=4)
def _fernet(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(hashlib.sha256((_PURPOSE + secret).encode()).digest()))
                        for secret in secrets])


def _current() -> MultiFernet:
    return _fernet((str(settings.SECRET_KEY), *map(str, getattr(settings, "SECRET_KEY_FALLBACKS", ()))))


def seal_code(code: str) -> str:
    return _current().encrypt(code.encode()).decode()


def open_code(sealed: str) -> str | None:
    if not sealed:
        return None
    try:
        return _current().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None

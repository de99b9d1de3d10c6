"""Fernet keys derived from ``SECRET_KEY`` for one purpose each: short-lived secrets encrypted at rest.

Each purpose gets its own key (``sha256(purpose + secret)``), so a token sealed for one use never opens in another;
``SECRET_KEY_FALLBACKS`` still open what they sealed, so rotating the secret key does not lose what was sealed
minutes ago. For secrets that live minutes or hours (a withdrawal code, an Idempotency-Key's stored answer): no
key of their own to provision and rotate.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@functools.lru_cache(maxsize=16)
def _fernet(purpose: str, secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(hashlib.sha256((purpose + secret).encode()).digest()))
                        for secret in secrets])


def purpose_fernet(purpose: str) -> MultiFernet:
    """The Fernet of ``purpose`` under the current ``SECRET_KEY`` (encrypts) and its fallbacks (also decrypt)."""
    return _fernet(purpose, (str(settings.SECRET_KEY), *map(str, getattr(settings, "SECRET_KEY_FALLBACKS", ()))))

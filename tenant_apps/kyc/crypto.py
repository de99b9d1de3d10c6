"""Encryption of identity numbers at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from ``settings.KYC_ENCRYPTION_KEYS`` (the first encrypts, all
decrypt, so keys can rotate). Without keys (development, tests) one is derived
from ``SECRET_KEY``. A separate keyed fingerprint lets us find a number already
in use without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _derived_key(purpose: str) -> bytes:
    return hashlib.sha256(f"nexustop:{purpose}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derived_key("kyc-encryption")))])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.KYC_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt_number(number: str) -> str:
    return _current().encrypt(number.encode()).decode()


def decrypt_number(token: str) -> str:
    """For the verifier call only; never put the result in a response or a log line."""
    return _current().decrypt(token.encode()).decode()


def fingerprint(*, scheme: str, number: str) -> str:
    return hmac.new(_derived_key("kyc-fingerprint"), f"{scheme}:{number}".encode(), hashlib.sha256).hexdigest()


def mask_number(number: str, *, visible: int = 4) -> str:
    """``22212345678`` -> ``*******5678``."""
    if len(number) <= visible:
        return "*" * len(number)
    return "*" * (len(number) - visible) + number[-visible:]

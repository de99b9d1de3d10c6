"""Encryption at rest for reseller secrets (API key and webhook secrets).

HMAC verification needs the shared secret itself, so a one-way hash cannot
verify a signature: secrets are stored Fernet-encrypted (keys from
``RESELLER_SECRET_KEYS``, first encrypts, all decrypt; derived from SECRET_KEY
when unset) next to a SHA-256 fingerprint, and shown to the reseller once.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    derived = hashlib.sha256(f"nexustop:reseller-secrets:{secret_key}".encode()).digest()
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def _current() -> MultiFernet:
    return _fernet(tuple(getattr(settings, "RESELLER_SECRET_KEYS", ()) or ()), settings.SECRET_KEY)


def encrypt_secret(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def sha256_hex(value: str | bytes) -> str:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()

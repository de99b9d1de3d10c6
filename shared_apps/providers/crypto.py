"""Provider credentials at rest: Fernet (AES-128-CBC + HMAC) with key rotation.

Keys come from ``settings.PROVIDER_CREDENTIALS_KEYS`` (newest first; the first
encrypts, all decrypt, so rotating = prepend a key and re-save). Without
configured keys (dev/test) a key is derived from ``SECRET_KEY``. Plaintext
credentials exist only inside :func:`decrypt_credentials`' caller, never in
logs, reprs, admin pages or API responses.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted with the configured keys."""


def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "PROVIDER_CREDENTIALS_KEYS", []) or [])
    if not keys:
        derived = hashlib.sha256(("provider-credentials:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt_credentials(credentials: dict[str, str]) -> str:
    if not credentials:
        return ""
    clean = {str(k): str(v) for k, v in credentials.items()}
    return _fernet().encrypt(json.dumps(clean, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        raise CredentialsError("provider credentials cannot be decrypted with the configured keys") from None

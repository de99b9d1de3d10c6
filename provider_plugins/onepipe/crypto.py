"""OnePipe's request security: the ``auth.secure`` TripleDES envelope and the ``Signature`` header.

As OnePipe documents it ("Encryption in OnePipe",
https://onepipe.atlassian.net/wiki/spaces/PUB/pages/201555991/Encryption+in+OnePipe, and the v2 docs'
"Encryption of Secure element"): the key is the MD5 digest of the app *secret* encoded UTF-16LE,
extended to 24 bytes with its own first 8 bytes; TripleDES (DESede) in CBC mode with an all-zero
8-byte IV and PKCS#5/7 padding; the result base64. The ``Signature`` header is the hex MD5 of
``"{request_ref};{secret}"``; the API key travels as ``Authorization: Bearer <api_key>``.

Plain text is UTF-8 (what OnePipe's Postman collection and the integrations in production send); the
Java sample of the same page encodes UTF-16LE, so :func:`decrypt_secure` reads either.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes

__all__ = ["decrypt_secure", "encrypt_secure", "signature", "signature_matches"]

_IV = b"\x00" * 8


def _key(secret: str) -> bytes:
    digest = hashlib.md5(secret.encode("utf-16-le")).digest()  # noqa: S324 - OnePipe's documented scheme
    return digest + digest[:8]


def encrypt_secure(plain: str, secret: str) -> str:
    padder = padding.PKCS7(64).padder()
    data = padder.update(plain.encode()) + padder.finalize()
    encryptor = Cipher(TripleDES(_key(secret)), modes.CBC(_IV)).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def decrypt_secure(token: str, secret: str) -> str | None:
    """The plain text, or None when ``token`` was not encrypted with ``secret`` (or is not base64)."""
    try:
        raw = base64.b64decode(token.encode(), validate=True)
        decryptor = Cipher(TripleDES(_key(secret)), modes.CBC(_IV)).decryptor()
        padded = decryptor.update(raw) + decryptor.finalize()
        unpadder = padding.PKCS7(64).unpadder()
        data = unpadder.update(padded) + unpadder.finalize()
    except (ValueError, binascii.Error):
        return None
    try:
        if len(data) >= 2 and len(data) % 2 == 0 and data[1::2] == b"\x00" * (len(data) // 2):
            return data.decode("utf-16-le")
        return data.decode()
    except UnicodeDecodeError:
        return None


def signature(request_ref: str, secret: str) -> str:
    return hashlib.md5(f"{request_ref};{secret}".encode()).hexdigest()  # noqa: S324 - OnePipe's documented header


def signature_matches(given: str, request_ref: str, secret: str) -> bool:
    return hmac.compare_digest(given.strip().lower().encode(), signature(request_ref, secret).encode())

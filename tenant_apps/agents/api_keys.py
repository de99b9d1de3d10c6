"""Reseller API keys and request signatures.

A request carries ``X-Api-Key: <key id>``, ``X-Timestamp: <unix seconds>``,
``X-Nonce: <unique string>`` and ``X-Signature: <hex>`` where the signature is
HMAC-SHA256(secret, "<timestamp>\\n<nonce>\\n<METHOD>\\n<path with query>\\n<sha256 hex of the body>").
The timestamp must be within the replay window; a nonce is accepted once per
key within the window (Redis, per tenant through the schema-prefixed cache).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shared_apps.core.errors import ApiError, NotFound

from .crypto import decrypt_secret, encrypt_secret, sha256_hex
from .models import ApiKey, ApiKeyScope


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once


def _check_scopes(scopes) -> list[str]:
    scopes = sorted(set(scopes or [ApiKeyScope.READ]))
    unknown = [scope for scope in scopes if scope not in ApiKeyScope.values]
    if unknown:
        raise ApiError(gettext("Unknown scope."), code="validation_error",
                       fields={"scopes": [gettext("Use any of: %(choices)s.") % {
                           "choices": ", ".join(ApiKeyScope.values)}]})
    return scopes


class ScopeEscalation(ApiError):
    status_code = 403
    code = "api_key_scope"


def _within_acting_key(scopes, acting_key: ApiKey | None, *, field: str) -> None:
    """A request signed with an API key never creates, rotates or revokes a key holding a scope it lacks."""
    if acting_key is None:  # a person (JWT or session): the role check of the view is enough
        return
    beyond = sorted(set(scopes) - set(acting_key.scopes))
    if beyond:
        held = {"scopes": ", ".join(beyond)}
        raise ScopeEscalation(gettext("This key cannot grant or manage scopes it does not hold: %(scopes)s.") % held,
                              fields={field: [gettext("Not held by this key: %(scopes)s.") % held]})


def api_key_create(*, name: str, scopes, user, created_by, acting_key: ApiKey | None = None) -> IssuedKey:
    """A new key for ``user``. ``acting_key``: the key that signed the request, if any (its scopes bound
    the new key's)."""
    if not (name or "").strip():
        raise ApiError(gettext("Give the key a name."), code="validation_error",
                       fields={"name": [gettext("Required.")]})
    scopes = _check_scopes(scopes)
    _within_acting_key(scopes, acting_key, field="scopes")
    secret = "rs_" + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(key_id="rk_" + secrets.token_hex(12), name=name.strip()[:80],
                                scopes=scopes, user=user, created_by=created_by,
                                secret_encrypted=encrypt_secret(secret), secret_sha256=sha256_hex(secret))
    return IssuedKey(key, secret)


def api_key_rotate(*, key: ApiKey, acting_key: ApiKey | None = None) -> IssuedKey:
    """A new secret for the same key id; the old secret stops working at once."""
    _within_acting_key(key.scopes, acting_key, field="key_id")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)  # lock: standalone
        if not key.is_active:
            raise ApiError(gettext("This key is revoked."), code="api_key_revoked", status_code=409)
        secret = "rs_" + secrets.token_urlsafe(32)
        key.secret_encrypted, key.secret_sha256, key.rotated_at = encrypt_secret(secret), sha256_hex(secret), \
            timezone.now()
        key.save(update_fields=["secret_encrypted", "secret_sha256", "rotated_at"])
    return IssuedKey(key, secret)


def api_key_revoke(*, key: ApiKey, acting_key: ApiKey | None = None) -> ApiKey:
    _within_acting_key(key.scopes, acting_key, field="key_id")
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def get_key(key_id: str) -> ApiKey:
    key = ApiKey.objects.filter(key_id=key_id).first()
    if key is None:
        raise NotFound(gettext("Unknown API key."), code="not_found")
    return key


def string_to_sign(*, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return "\n".join([timestamp, nonce, method.upper(), path, hashlib.sha256(body).hexdigest()]).encode()


def sign(*, secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """What a reseller's client computes (also used by tests and the docs example)."""
    message = string_to_sign(timestamp=timestamp, nonce=nonce, method=method, path=path, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# hmac.compare_digest raises TypeError on a str with a non-ASCII character (a header is decoded as latin-1):
# the signature is checked for its shape first, then compared as bytes.
_HEX_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class SignatureError(ApiError):
    status_code = 401
    code = "invalid_signature"
    message = gettext_lazy("The request signature is not valid.")


def verify_signed_request(*, key_id: str, timestamp: str, nonce: str, signature: str, method: str, path: str,
                          body: bytes, now: float | None = None) -> ApiKey:
    """The key if the request is authentic, fresh and new; else SignatureError with a precise code.

    Writes nothing to the database (the nonce goes to Redis): a request refused afterwards (scope)
    leaves the tenant's rows as they were. :func:`mark_used` stamps an accepted request.
    """
    if not (key_id and timestamp and nonce and signature):
        raise SignatureError(gettext("Signed requests need X-Api-Key, X-Timestamp, X-Nonce and X-Signature."),
                             code="missing_signature_headers")
    if not _keys_live_here():
        raise SignatureError(gettext("Unknown API key."), code="unknown_api_key")
    key = ApiKey.objects.select_related("user").filter(key_id=key_id).first()
    if key is None:
        raise SignatureError(gettext("Unknown API key."), code="unknown_api_key")
    if not key.is_active:
        raise SignatureError(gettext("This API key has been revoked."), code="api_key_revoked")
    window = settings.RESELLERS["SIGNATURE_WINDOW_SECONDS"]
    now = time.time() if now is None else now
    try:
        stamp = int(timestamp)
    except ValueError:
        raise SignatureError(gettext("X-Timestamp must be Unix seconds."), code="invalid_timestamp") from None
    if abs(now - stamp) > window:
        raise SignatureError(gettext("The timestamp is outside the %(window)s-second window.") % {"window": window},
                             code="expired_timestamp")
    presented = signature.strip().lower()
    if not _HEX_SIGNATURE.fullmatch(presented):  # the format is public: no secret to time; bytes compared below
        raise SignatureError(gettext("X-Signature must be 64 hex characters (HMAC-SHA256)."))
    expected = sign(secret=decrypt_secret(key.secret_encrypted), timestamp=timestamp, nonce=nonce, method=method,
                    path=path, body=body)
    if not hmac.compare_digest(expected.encode("ascii"), presented.encode("ascii")):
        raise SignatureError()
    # Only an authentic request may burn a nonce (an attacker cannot block a reseller's nonces).
    if not cache.add(f"agents:nonce:{key.key_id}:{sha256_hex(nonce)}", 1, timeout=2 * window):
        raise SignatureError(gettext("This request was already received (replayed nonce)."), code="replayed_request")
    return key


def mark_used(key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())


def _keys_live_here() -> bool:
    """API keys belong to tenant schemas; the head-office (public) domain has none."""
    from django.db import connection

    return (getattr(connection, "schema_name", None) or "public") != settings.PUBLIC_SCHEMA_NAME

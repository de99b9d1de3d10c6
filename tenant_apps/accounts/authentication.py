"""Bearer-token authentication that refuses a token on any other tenant's domain."""

from __future__ import annotations

import time
import uuid
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from countries.middleware import activate_user_language

from .tokens import token_matches_tenant


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication plus the tenant claim check (401 on mismatch).

    User ids are looked up in the current schema only, so the claim check is what
    stops a token minted on ng.localhost from meaning anything on sn.localhost.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # simplejwt's asks get_user_model() per request
        self.user_model = _user_model()

    def get_validated_token(self, raw_token: bytes) -> Any:
        """simplejwt's validation (signature, expiry, type), remembered per process for the token's exact bytes
        while it has not expired: a client sends the same access token with every request, and its HMAC and
        JSON were checked the first time. Any other byte string (another signature) is validated afresh; a
        change of signing key or algorithm forgets them all."""
        key = (raw_token, api_settings.SIGNING_KEY, api_settings.ALGORITHM)
        held = _validated.get(key)
        if held is not None and held[0] > time.time():
            return held[1]
        token = super().get_validated_token(raw_token)
        expires = token.get("exp")
        if isinstance(expires, int | float):
            if len(_validated) >= _VALIDATED_MAX:
                _validated.clear()
            _validated[key] = (float(expires), token)
        return token

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        try:
            validated = self.get_validated_token(raw_token)
        except InvalidToken:
            raise exceptions.AuthenticationFailed(_("The access token is invalid or expired."),
                                                  code="token_not_valid") from None
        if not token_matches_tenant(validated):
            raise exceptions.AuthenticationFailed(_("This token was not issued for this site."),
                                                  code="token_tenant_mismatch")
        device, family = validated.get("dev"), validated.get("fam")
        if device or family:
            device_out, session_out = _signed_out(device=str(device or ""), family=str(family or ""))
            if device_out:
                raise exceptions.AuthenticationFailed(_("This device was signed out. Log in again."),
                                                      code="device_signed_out")
            if session_out:
                raise exceptions.AuthenticationFailed(_("This session was signed out. Log in again."),
                                                      code="session_revoked")
        if device:
            from tenant_apps.risk.request_signals import note_token_device

            note_token_device(str(device))
        try:
            user = self.get_user(validated)
        except (InvalidToken, exceptions.AuthenticationFailed):
            raise exceptions.AuthenticationFailed(_("The access token is invalid or expired."),
                                                  code="token_not_valid") from None
        # Token auth resolves the user inside the view, after the locale middleware ran.
        activate_user_language(request, user)
        return user, validated

    def get_user(self, validated_token: Any) -> Any:
        """simplejwt's lookup and checks (unknown, inactive, password changed), the row read by one statement
        written once instead of a queryset compiled on every request (~0.5 ms of CPU per API request)."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken(str(_("Token contained no recognizable user identification"))) from error
        user = user_by_public_id(user_id)
        if user is None:
            raise exceptions.AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise exceptions.AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
                api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


def _signed_out(*, device: str, family: str) -> tuple[bool, bool]:
    """Whether the token's device was signed out (tenant_apps.risk.devices) and whether its session (refresh-token
    family: logout, reuse, password change) was revoked: both marks in one cache read, the request's one MGET (no
    SQL statement). Fails open: the cache down, the access token lapses within its 15 minutes."""
    from django.core.cache import cache

    from tenant_apps.risk.devices import revoked_key

    from .services import session_revoked_key

    device_key = revoked_key(device) if device else ""
    session_key = session_revoked_key(family) if family else ""
    try:
        found = cache.get_many([key for key in (device_key, session_key) if key])
    except Exception:  # the cache is down: refresh tokens are blacklisted anyway
        return False, False
    return bool(device_key and found.get(device_key)), bool(session_key and found.get(session_key))


# raw access token (+ key, algorithm) -> (expires at, validated token): read-only once stored.
_validated: dict[tuple[bytes, str, str], tuple[float, Any]] = {}
_VALIDATED_MAX = 20_000


@cache
def _user_model() -> Any:
    return get_user_model()


@cache
def _user_select() -> tuple[str, list[str]]:
    model = _user_model()
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    key = model._meta.get_field(api_settings.USER_ID_FIELD).column
    return (f"SELECT {columns} FROM {table} WHERE {connection.ops.quote_name(key)} = %s::uuid",  # noqa: S608
            [field.attname for field in fields])


def user_by_public_id(value: Any) -> Any:
    """The current schema's user with this public id (the JWT's claim), or None; no field needs a converter
    (tests/accounts/test_jwt_user_lookup.py compares it with the ORM's)."""
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        return None
    sql, attnames = _user_select()
    with connection.cursor() as cursor:
        cursor.execute(sql, [public_id])
        row = cursor.fetchone()
    return None if row is None else _user_model().from_db(DEFAULT_DB_ALIAS, attnames, row)

"""JWTs bound to the schema they were issued in (the ``tenant`` claim)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken, Token

from shared_apps.core.errors import ApiError


def current_schema() -> str:
    return getattr(connection, "schema_name", "public") or "public"


def tenant_claim() -> str:
    return getattr(settings, "JWT_TENANT_CLAIM", "tenant")


def token_matches_tenant(token: Token) -> bool:
    return token.get(tenant_claim()) == current_schema()


class InvalidRefreshToken(ApiError):
    status_code = 401
    code = "token_not_valid"
    message = "The refresh token is invalid, expired or already used."


class DeviceSignedOut(InvalidRefreshToken):
    """A refresh that rotated while its device was signed out: the new token is blacklisted, not handed out."""

    code = "device_signed_out"
    message = "This device was signed out. Log in again."


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    """Adds the tenant (schema), role and device claims to every token pair.

    Every sign-in that issues tokens passes here (API login, OTP login, tokens for a new agent): the request's
    device is recorded for the user (tenant_apps.risk.devices) and the refresh token is bound to it, so the
    customer can sign that device out. A client that sends no ``X-Device-Id`` gets a device of its own, known
    by the tokens' ``dev`` claim only.
    """

    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        token = cast(RefreshToken, super().get_token(user))  # token_class is RefreshToken; simplejwt says Token
        token[tenant_claim()] = current_schema()
        token["role"] = user.role
        if current_schema() != "public":
            from tenant_apps.risk.devices import DEVICE_CLAIM, bind_refresh_token, device_for_sign_in

            device, _issued = device_for_sign_in(user=user)
            token[DEVICE_CLAIM] = str(device.public_id)
            # False only when a sign-out of this device came after this sign-in recorded it: the sign-out wins
            # (the token is blacklisted).
            bind_refresh_token(device_public_id=str(device.public_id), jti=token["jti"])
        return token


def tokens_for_user(user: Any) -> tuple[str, str]:
    """(access, refresh) for a user who has just proved who they are."""
    refresh = TenantTokenObtainPairSerializer.get_token(user)
    return str(refresh.access_token), str(refresh)


def parse_refresh_token(raw: str) -> RefreshToken:
    """Validate signature, expiry, blacklist and tenant; a clean 401 otherwise."""
    try:
        token = RefreshToken(raw)  # type: ignore[arg-type]  # simplejwt types the encoded token as Token
    except TokenError:
        raise InvalidRefreshToken() from None
    if not token_matches_tenant(token):
        raise InvalidRefreshToken("This token was not issued for this site.")
    return token


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    """Rotation with blacklist (simplejwt), refused outside the token's own tenant."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        token = parse_refresh_token(attrs["refresh"])
        try:
            with transaction.atomic():
                _queue_on(token)
                data = super().validate(attrs)  # reads the blacklist again, after the lock: spent once
        except TokenError:
            raise InvalidRefreshToken() from None
        except get_user_model().DoesNotExist:
            raise InvalidRefreshToken() from None
        except exceptions.AuthenticationFailed:  # inactive user
            raise InvalidRefreshToken() from None
        _bind_rotated(data.get("refresh", ""))
        return data


def _queue_on(token: RefreshToken) -> None:
    """Concurrent refreshes of one token wait for each other on its outstanding row (locked to the end of the
    transaction), so the blacklist check of the second comes after the first's blacklisting committed.

    simplejwt checks the blacklist, then blacklists: without the lock, racers presenting one token at once
    (a thief and its owner) all pass the check and each gets a new pair. Every refresh token issued here is
    recorded as outstanding in its schema (``RefreshToken.for_user`` and each rotation); one that is not was
    not issued here."""
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    # lock: standalone (the refresh's own short transaction; the device row after it is standalone too)
    locked = OutstandingToken.objects.select_for_update().filter(jti=token[api_settings.JTI_CLAIM])
    if not list(locked.values_list("pk", flat=True)):
        raise InvalidRefreshToken()


def _bind_rotated(raw: str) -> None:
    """A rotated refresh token stays bound to its device (sign-out of the device revokes it too); 401
    ``device_signed_out`` when the device was signed out while it rotated (the new token is blacklisted)."""
    if not raw or current_schema() == "public":
        return
    from tenant_apps.risk.devices import DEVICE_CLAIM, bind_refresh_token

    token = RefreshToken(raw, verify=False)  # type: ignore[arg-type]  # simplejwt types the encoded token as Token
    if token.get(DEVICE_CLAIM) and not bind_refresh_token(device_public_id=str(token[DEVICE_CLAIM]),
                                                          jti=str(token["jti"])):
        raise DeviceSignedOut()

"""JWTs bound to the schema they were issued in (the ``tenant`` claim)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken, Token

from .errors import DeviceSignedOut, InvalidRefreshToken


def current_schema() -> str:
    return getattr(connection, "schema_name", "public") or "public"


def tenant_claim() -> str:
    return getattr(settings, "JWT_TENANT_CLAIM", "tenant")


def token_matches_tenant(token: Token) -> bool:
    return token.get(tenant_claim()) == current_schema()


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    """Adds the tenant (schema), role and device claims to every token pair.

    Every sign-in that issues tokens passes here (API login, OTP login, tokens for a new agent): the request's
    device is recorded for the user (tenant_apps.risk.devices) and the refresh token is bound to it, so the
    customer can sign that device out. A client that sends no ``X-Device-Id`` gets a device of its own, known
    by the tokens' ``dev`` claim only.
    """

    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        from .services import FAMILY_CLAIM, session_start

        token = cast(RefreshToken, super().get_token(user))  # token_class is RefreshToken; simplejwt says Token
        token[tenant_claim()] = current_schema()
        token["role"] = user.role
        # A new session: the first refresh token of its family (rotation, reuse detection, logout, password change).
        token[FAMILY_CLAIM] = str(session_start(user=user, jti=str(token["jti"])).public_id)
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


class _RefreshTokenBlacklistLater(RefreshToken):
    """A refresh token whose signature, expiry and type are checked, its blacklist entry not yet: refresh and logout
    read it under the token family's lock (services.session_refresh, services.user_logout), where a used token is
    told from a live one (reuse detection) and a rotation racing a logout is settled."""

    def check_blacklist(self) -> None:
        return None


def parse_refresh_token(raw: str) -> RefreshToken:
    """Validate signature, expiry, type and tenant (the blacklist is read under the family's lock); a clean 401
    otherwise."""
    try:
        token = _RefreshTokenBlacklistLater(raw)  # type: ignore[arg-type]  # simplejwt types the encoded token as Token
    except TokenError:
        raise InvalidRefreshToken() from None
    if not token_matches_tenant(token):
        raise InvalidRefreshToken(gettext("This token was not issued for this site."))
    return token


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    """Rotation with blacklist and reuse detection (services.session_refresh), refused outside the token's own
    tenant."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        from .services import session_refresh

        token = parse_refresh_token(attrs["refresh"])
        access, refresh = session_refresh(token=token, request=self.context.get("request"))
        _bind_rotated(refresh)
        return {"access": access, "refresh": refresh}


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

"""The refresh token's refusals (a leaf: tokens and services both raise them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from shared_apps.core.errors import ApiError


class InvalidRefreshToken(ApiError):
    status_code = 401
    code = "token_not_valid"
    message = gettext_lazy("The refresh token is invalid, expired or already used.")


class DeviceSignedOut(InvalidRefreshToken):
    """A refresh that rotated while its device was signed out: the new token is blacklisted, not handed out."""

    code = "device_signed_out"
    message = gettext_lazy("This device was signed out. Log in again.")


class RefreshTokenReused(InvalidRefreshToken):
    """A refresh token its family had already rotated past, presented again: the family is revoked
    (``services.session_refresh``)."""

    code = "refresh_token_reused"
    message = gettext_lazy("This refresh token was already used: the session is signed out everywhere. Log in again.")

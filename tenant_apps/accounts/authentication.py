"""Bearer-token authentication that refuses a token on any other tenant's domain."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from countries.middleware import activate_user_language

from .tokens import token_matches_tenant


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication plus the tenant claim check (401 on mismatch).

    User ids are looked up in the current schema only, so the claim check is what
    stops a token minted on ng.localhost from meaning anything on sn.localhost.
    """

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
        device = validated.get("dev")
        if device:
            from tenant_apps.risk.devices import device_is_revoked
            from tenant_apps.risk.request_signals import note_token_device

            if device_is_revoked(str(device)):
                raise exceptions.AuthenticationFailed(_("This device was signed out. Log in again."),
                                                      code="device_signed_out")
            note_token_device(str(device))
        try:
            user = self.get_user(validated)
        except (InvalidToken, exceptions.AuthenticationFailed):
            raise exceptions.AuthenticationFailed(_("The access token is invalid or expired."),
                                                  code="token_not_valid") from None
        # Token auth resolves the user inside the view, after the locale middleware ran.
        activate_user_language(request, user)
        return user, validated

"""DRF authentication for signed reseller requests: the same purchase/wallet endpoints as the JWT API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, ErrorDetail, PermissionDenied

from shared_apps.core.api_scopes import NO_API_KEY, scope_needed
from shared_apps.core.errors import ApiError

from .api_keys import mark_used, verify_signed_request


class SignatureRefused(ApiError, AuthenticationFailed):
    """An ApiError (rendered with its precise code) that DRF also treats as a failed authentication (401)."""

    status_code = 401
    code = "invalid_signature"

    def __init__(self, error: ApiError) -> None:
        ApiError.__init__(self, error.message, code=error.code, fields=error.fields, status_code=401)
        self.detail = ErrorDetail(str(error.message), code=self.code)


class ScopeRefused(ApiError, PermissionDenied):
    """An authentic request whose key lacks the scope the view declares: 403 ``api_key_scope`` (not a 401:
    the caller is known, re-authenticating will not help). A view that declares no scope for the method
    (or declares it closed to keys) refuses every key: deny by default."""

    status_code = 403
    code = "api_key_scope"

    def __init__(self, scope: str | None) -> None:
        if scope is None or scope == NO_API_KEY:
            message, fields = "This endpoint does not accept API keys.", {"scope": ["No scope grants this."]}
        else:
            message, fields = f"This key lacks the {scope!r} scope.", {"scope": [scope]}
        ApiError.__init__(self, message, code="api_key_scope", fields=fields, status_code=403)
        self.detail = ErrorDetail(str(self.message), code=self.code)


class ResellerSignatureAuthentication(BaseAuthentication):
    """Active when the request has ``X-Api-Key``; the request acts as the key's user, within its scopes.

    The scope comes from the view's ``@api_key_scopes`` declaration (shared_apps.core.api_scopes): a view or
    method without one refuses every key.
    """

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        key_id = request.headers.get("X-Api-Key")
        if not key_id:
            return None
        raw = request._request
        path = raw.get_full_path()
        try:
            key = verify_signed_request(
                key_id=key_id.strip(), timestamp=request.headers.get("X-Timestamp", ""),
                nonce=request.headers.get("X-Nonce", ""), signature=request.headers.get("X-Signature", ""),
                method=raw.method, path=path, body=raw.body)
        except ApiError as error:
            raise SignatureRefused(error) from None
        view = (getattr(request, "parser_context", None) or {}).get("view")
        scope = scope_needed(view, raw.method)
        if scope is None or scope == NO_API_KEY or scope not in key.scopes:
            raise ScopeRefused(scope)
        if not key.user.is_active:
            raise SignatureRefused(ApiError(gettext("The key's user is inactive."), code="api_key_user_inactive"))
        mark_used(key)
        from tenant_apps.risk.request_signals import note_api_key

        note_api_key()  # a server integration: no device, and nobody to answer a step-up (tenant_apps.risk)
        return key.user, key

    def authenticate_header(self, request: Any) -> str:
        return 'HMAC-SHA256 realm="api"'


class ResellerSignatureScheme(OpenApiAuthenticationExtension):
    """How the signed reseller requests appear in the OpenAPI schema."""

    target_class = "tenant_apps.agents.authentication.ResellerSignatureAuthentication"
    name = "resellerSignature"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                "description": "Reseller API key id, with X-Timestamp, X-Nonce and X-Signature "
                               "(HMAC-SHA256, see docs/resellers.md)."}

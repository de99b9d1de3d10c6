"""The auth and KYC endpoints appear in the OpenAPI schema with their serializers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_schema_lists_auth_and_kyc(host_client):
    answer = host_client("ng.localhost").get("/api/schema/", {"format": "json"})
    assert answer.status_code == 200
    schema = answer.json()
    paths = schema["paths"]
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/otp", "/api/auth/refresh", "/api/auth/logout",
                 "/api/auth/me", "/api/kyc", "/api/kyc/submissions", "/api/accounts/users", "/api/audit"):
        assert path in paths, path
    components = schema["components"]["schemas"]
    for name in ("Register", "TokenPair", "Otp", "KycSubmission", "KycStatus"):
        assert name in components, name
    assert set(components["Register"]["properties"]) == {"email", "phone", "password"}
    assert "bearerAuth" in str(schema["components"].get("securitySchemes", {})) or "jwtAuth" in str(
        schema["components"].get("securitySchemes", {}))

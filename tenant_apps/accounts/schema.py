"""OpenAPI: describe the tenant-bound JWT authentication (loaded by AccountsConfig.ready)."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "tenant_apps.accounts.authentication.TenantJWTAuthentication"
    name = "jwtAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        definition = super().get_security_definition(auto_schema)
        definition["description"] = ("Access token from /api/auth/login or /api/auth/otp. Valid 15 minutes, "
                                     "only on the domain (tenant) that issued it.")
        return definition

"""Django REST framework and OpenAPI."""

from __future__ import annotations

REST_FRAMEWORK = {
    # Every token is checked against the schema of the domain it is used on.
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenant_apps.accounts.authentication.TenantJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shared_apps.core.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "NexusTop API",
    "DESCRIPTION": "Airtime, data, bills and wallets for West Africa, per tenant.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

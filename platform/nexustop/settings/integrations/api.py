"""Django REST framework and OpenAPI."""

from __future__ import annotations

from typing import Any

REST_FRAMEWORK: dict[str, Any] = {
    # Every token is checked against the schema of the domain it is used on.
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenant_apps.accounts.authentication.TenantJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only (numbers as Decimal, bounded nesting); a view that takes files declares multipart itself.
    "DEFAULT_PARSER_CLASSES": ["shared_apps.core.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "shared_apps.core.openapi.ContractAutoSchema",  # errors, real pagination
    "EXCEPTION_HANDLER": "shared_apps.core.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "NexusTop API",
    "DESCRIPTION": "Airtime, data, bills and wallets for West Africa, per tenant.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's JavaScript and CSS from drf-spectacular-sidecar, served by this platform (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # drf-spectacular's enum hook, then the X-Transaction-PIN header on every money-moving operation.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "tenant_apps.pins.openapi.document_transaction_pin"],
    # Every model's "status" choices get their own stable component name.
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "tenant_apps.agents.models.ApplicationStatus",
        "CommissionStatusEnum": "tenant_apps.agents.models.CommissionStatus",
        "DeliveryStatusEnum": "tenant_apps.agents.models.DeliveryStatus",
        "OrderStatusEnum": "tenant_apps.orders.models.OrderStatus",
        "PlainOrderStatusEnum": "tenant_apps.orders.serializers.PLAIN_STATUSES",
        "AttemptStatusEnum": "tenant_apps.orders.models.AttemptStatus",
        "FundingStatusEnum": "tenant_apps.wallet.models.FundingStatus",
        "TransferStatusEnum": "tenant_apps.wallet.models.TransferStatus",
        "RailKindEnum": "countries.serializers.RAIL_KINDS",
        "KindEnum": "tenant_apps.kyc.models.DocumentKind",  # the KYC document kind keeps its name beside the rail kind
        "SmsStatusEnum": "tenant_apps.notifications.models.SmsStatus",
        "HoldStatusEnum": "tenant_apps.ledger.models.HoldStatus",
        "KycStatusEnum": "tenant_apps.kyc.models.KycStatus",
        "VerificationStatusEnum": "tenant_apps.kyc.models.VerificationStatus",
        "SubscriptionStatusEnum": "tenant_apps.subscriptions.models.SubscriptionStatus",
        # daily / weekly / monthly: subscriptions, savings circles and automatic saving share the one set.
        "FrequencyEnum": "tenant_apps.subscriptions.models.Frequency",
        "ProviderStatusEnum": "shared_apps.providers.models.ProviderStatus",
        "TenantStatusEnum": "tenants.models.TenantStatus",
    },
}

# Every request body, whatever view reads it (shared_apps.core.request_guard.RequestGuardMiddleware):
# larger bodies are 413, deeper JSON 400, media types a view does not take 415.
REQUEST_MAX_BODY_BYTES = 64 * 1024
REQUEST_MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # views that take files (KYC: three 5 MiB documents)
REQUEST_MAX_JSON_DEPTH = 32

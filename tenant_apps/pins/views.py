"""Transaction PIN API: status, set, change, reset by SMS code (people only); the tenant's policy (admin)."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.amounts import parse_amount
from shared_apps.core.api_scopes import ADMIN, NO_API_KEY, api_key_scopes
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsOperatorAdmin, IsTenantUser, PhoneVerified
from tenant_apps.accounts.serializers import DetailSerializer
from tenant_apps.accounts.throttles import AuthRateThrottle
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string

from . import services
from .serializers import (
    PinChangeSerializer,
    PinPolicySerializer,
    PinResetSerializer,
    PinSetSerializer,
    PinStatusSerializer,
)

REFUSALS = {403: OpenApiResponse(description="invalid_transaction_pin, transaction_pin_locked, phone_not_verified"),
            400: OpenApiResponse(description="weak_pin, invalid_otp, validation_error")}


def _status(request) -> Response:
    return Response(PinStatusSerializer(services.pin_status(user=request.user)).data)


@api_key_scopes(GET=NO_API_KEY, POST=NO_API_KEY)
class PinView(APIView):
    """GET /api/pin: my PIN's status (never the PIN). POST /api/pin {pin}: set the first PIN (phone verified)."""

    permission_classes = [IsAuthenticated, IsTenantUser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), IsTenantUser(), PhoneVerified()]
        return super().get_permissions()

    @extend_schema(responses=PinStatusSerializer)
    def get(self, request):
        return _status(request)

    @extend_schema(request=PinSetSerializer, responses={201: PinStatusSerializer, **REFUSALS})
    def post(self, request):
        body = PinSetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.pin_set(user=request.user, pin=body.validated_data["pin"], request=request)
        response = _status(request)
        response.status_code = status.HTTP_201_CREATED
        return response


@api_key_scopes(POST=NO_API_KEY)
class PinChangeView(APIView):
    """POST /api/pin/change {current_pin, new_pin} (a wrong current PIN counts towards the lock)."""

    permission_classes = [IsAuthenticated, IsTenantUser]

    @extend_schema(request=PinChangeSerializer, responses={200: PinStatusSerializer, **REFUSALS})
    def post(self, request):
        body = PinChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.pin_change(user=request.user, current_pin=body.validated_data["current_pin"],
                            new_pin=body.validated_data["new_pin"], request=request)
        return _status(request)


@api_key_scopes(POST=NO_API_KEY)
class PinResetView(APIView):
    """POST /api/pin/reset {}: text a reset code to my verified phone (202). {code, new_pin}: the new PIN,
    unlocked (200). Also sets a first PIN."""

    permission_classes = [IsAuthenticated, IsTenantUser, PhoneVerified]
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth_otp"

    @extend_schema(request=PinResetSerializer,
                   responses={200: PinStatusSerializer, 202: DetailSerializer, **REFUSALS})
    def post(self, request):
        body = PinResetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not data.get("code"):
            services.pin_reset_start(user=request.user, request=request)
            return Response({"detail": "A code was sent to your phone (one per minute at most)."},
                            status=status.HTTP_202_ACCEPTED)
        if not data.get("new_pin"):
            raise ApiError(gettext("Some fields are invalid."), code="validation_error",
                           fields={"new_pin": [gettext("Required.")]})
        services.pin_reset_finish(user=request.user, code=data["code"], new_pin=data["new_pin"], request=request)
        return _status(request)


def _policy_body() -> dict:
    currency = tenant_currency().code
    threshold = services.web_api_threshold_minor()
    return {"web_api_threshold": to_decimal_string(threshold, currency) if threshold is not None else None,
            "currency": currency}


@api_key_scopes(GET=ADMIN, PATCH=ADMIN)
class PinPolicyView(APIView):
    """GET/PATCH /api/pin/policy {web_api_threshold}: from which debit web and API money moves need the PIN."""

    permission_classes = [IsOperatorAdmin]

    @extend_schema(responses=PinPolicySerializer)
    def get(self, request):
        return Response(_policy_body())

    @extend_schema(request=PinPolicySerializer, responses=PinPolicySerializer)
    def patch(self, request):
        body = PinPolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = body.validated_data["web_api_threshold"]
        threshold = None if raw is None else parse_amount(raw, currency=tenant_currency().code,
                                                          field="web_api_threshold", allow_zero=True)
        services.pin_policy_update(actor=request.user, web_api_threshold_minor=threshold, request=request)
        return Response(_policy_body())

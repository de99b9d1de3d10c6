"""Subscriptions API: create, list, pause, resume, cancel (thin; rules in services)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.amounts import AmountField
from shared_apps.core.api_scopes import PURCHASE, READ, api_key_scopes
from shared_apps.core.errors import NotFound
from shared_apps.core.pagination import page_of
from tenant_apps.accounts.permissions import PhoneVerified
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string
from tenant_apps.orders.serializers import amount_to_minor

from . import services
from .models import Frequency, Subscription

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="Unique per subscription; a replay returns the first response with Idempotency-Replayed: true.")


class SubscriptionCreateSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    recipient_phone = serializers.CharField(max_length=32)
    amount = AmountField(required=False, allow_null=True, allow_blank=True)
    customer_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    end_date = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        attrs["amount_minor"] = amount_to_minor(attrs.pop("amount", None), tenant_currency().code)
        return attrs


def subscription_json(sub: Subscription) -> dict:
    currency = tenant_currency().code
    return {
        "id": str(sub.public_id), "product_id": sub.product_id, "product_name": sub.product_name,
        "frequency": sub.frequency, "recipient_phone": sub.recipient_phone, "customer_number": sub.customer_number,
        "amount": to_decimal_string(sub.amount_minor, currency) if sub.amount_minor is not None else None,
        "end_date": sub.end_date.isoformat() if sub.end_date else None, "status": sub.status,
        "paused_reason": sub.paused_reason, "runs": sub.runs_count,
        "next_run_at": sub.next_run_at.isoformat() if sub.next_run_at else None,
    }


class SubscriptionBodySerializer(serializers.Serializer):
    """What :func:`subscription_json` returns (OpenAPI)."""

    id = serializers.UUIDField()
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    recipient_phone = serializers.CharField()
    customer_number = serializers.CharField(allow_blank=True)
    amount = serializers.CharField(allow_null=True, help_text="Open-amount products only: decimal string.")
    end_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    paused_reason = serializers.CharField(allow_blank=True)
    runs = serializers.IntegerField()
    next_run_at = serializers.DateTimeField(allow_null=True)


class SubscriptionPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


@api_key_scopes(GET=READ, POST=PURCHASE)
class SubscriptionListView(APIView):
    """GET: my subscriptions; POST: subscribe (the first purchase runs at the next beat tick)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(request=SubscriptionCreateSerializer, parameters=[IDEMPOTENCY_KEY_PARAMETER],
                   responses={201: SubscriptionBodySerializer})
    @idempotent  # it spends money at once (the first run) and on schedule: same rules as every money POST
    def post(self, request):
        serializer = SubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = services.subscription_create(user=request.user, **serializer.validated_data)
        return Response(subscription_json(sub), status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="subscriptions_list", responses=SubscriptionBodySerializer(many=True))
    def get(self, request):
        paginator = SubscriptionPagination()
        page = page_of(paginator, Subscription.objects.filter(user=request.user), request, self)
        return paginator.get_paginated_response([subscription_json(sub) for sub in page])


def _mine(request, public_id: uuid.UUID) -> Subscription:
    sub = Subscription.objects.filter(user=request.user, public_id=public_id).first()
    if sub is None:
        raise NotFound()
    return sub


@extend_schema(responses=SubscriptionBodySerializer)
@api_key_scopes(GET=READ)
class SubscriptionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, public_id: uuid.UUID):
        return Response(subscription_json(_mine(request, public_id)))


@extend_schema(request=None, responses=SubscriptionBodySerializer)
@api_key_scopes(POST=PURCHASE)
class SubscriptionActionView(APIView):
    """POST /api/subscriptions/<id>/pause|resume|cancel."""

    permission_classes = [IsAuthenticated]
    action = ""

    @extend_schema(request=None)
    def post(self, request, public_id: uuid.UUID):
        sub = _mine(request, public_id)
        handler = {"pause": services.subscription_pause, "resume": services.subscription_resume,
                   "cancel": services.subscription_cancel}[self.action]
        return Response(subscription_json(handler(subscription=sub)))

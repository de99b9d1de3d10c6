"""Purchase HTTP API and provider webhooks (thin: every decision is in services)."""

from __future__ import annotations

import logging
import uuid

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.api_scopes import ADMIN, PURCHASE, READ, api_key_scopes
from shared_apps.core.errors import NotFound, error_body
from shared_apps.core.pagination import page_of
from shared_apps.providers.callbacks import provider_callback
from tenant_apps.accounts.permissions import IsOperatorFinance, IsOperatorStaff, IsOperatorSupport, PhoneVerified
from tenant_apps.idempotency.decorators import idempotent, idempotent_in_one_call
from tenant_apps.idempotency.services import OneCall, StoredResponse
from tenant_apps.ledger.currency import to_decimal_string

from . import selectors
from .models import Order
from .serializers import (
    OrderFilterSerializer,
    OrderSerializer,
    PurchaseSerializer,
    PurchaseVerifyBodySerializer,
    StaffOrderFilterSerializer,
    StaffOrderSerializer,
    StaffResolveSerializer,
    ValidatedPurchase,
    VerifySerializer,
    order_json,
    purchase_body,
    staff_order_json,
)
from .services import callbacks, create, staff

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="Unique per purchase; a replay returns the first response with Idempotency-Replayed: true.")


def _verify_customer_first(view, request):
    """The biller's name check, run before the money transaction (None: this purchase needs none)."""
    serializer = PurchaseView.body(request)
    if serializer.errors:
        return None  # the handler answers the validation error, as before
    data = serializer.validated_data
    # Read once per request: the handler passes it to purchase_create (None: that call answers the error).
    product = request._purchase_product = create.purchase_product(product_id=data["product_id"])
    if product is None or not create.product_needs_verification(product):
        return None
    return lambda: create.purchase_verified_name(product_id=data["product_id"],
                                                 recipient_phone=data["recipient_phone"],
                                                 customer_number=data.get("customer_number", ""))


@api_key_scopes(POST=PURCHASE)
class PurchaseView(APIView):
    """POST /api/purchase: validate, price, hold and queue; 202 with the order (final status comes later)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @staticmethod
    def body(request) -> PurchaseSerializer | ValidatedPurchase:
        """The body validated once per request (the name check before and the handler both read it)."""
        serializer = getattr(request, "_purchase_body", None)
        if serializer is None:
            serializer = request._purchase_body = purchase_body(request.data)
        return serializer

    @extend_schema(request=PurchaseSerializer, responses={202: OrderSerializer}, parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent_in_one_call(_verify_customer_first)
    def post(self, request, looked_up: str | None = None, once: OneCall | None = None):
        serializer = self.body(request)
        if serializer.errors:
            raise ValidationError(serializer.errors)
        data = serializer.validated_data
        # The whole acceptance, Idempotency-Key included, in one database call: the answer is rendered before.
        order = create.purchase_create(
            user=request.user, product_id=data["product_id"], recipient_phone=data["recipient_phone"],
            amount_minor=data["amount_minor"], customer_number=data.get("customer_number", ""),
            confirm_duplicate=data["confirm_duplicate"], details=data.get("details"), verified_name=looked_up,
            once=once, render=_accepted, product=getattr(request, "_purchase_product", None))
        if order is None:
            return None  # the key's stored answer is replayed by the decorator
        answer = getattr(order, "_rendered", None) or _accepted(order)  # rendered once for the key's row
        return Response(answer.body, status=answer.status, headers=answer.headers)


def _accepted(order) -> StoredResponse:
    order._rendered = StoredResponse(status.HTTP_202_ACCEPTED, order_json(order),
                                     {"Location": f"/api/purchases/{order.public_id}"})
    return order._rendered


@extend_schema(request=OpenApiTypes.OBJECT, responses=PurchaseVerifyBodySerializer)
@api_key_scopes(POST=PURCHASE)
class PurchaseVerifyView(APIView):
    """POST /api/purchase/verify: the name and address on a meter or smartcard, before paying."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=VerifySerializer)
    def post(self, request):
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check = create.purchase_verify(**serializer.validated_data)
        minimum = check.minimum_amount_minor
        from tenant_apps.ledger.currency import tenant_currency

        currency = tenant_currency().code
        return Response({"customer_number": check.customer_number, "name": check.name, "address": check.address,
                         "minimum_amount": to_decimal_string(minimum, currency) if minimum is not None else None,
                         "details": check.extra})


class PurchasesPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


@api_key_scopes(GET=READ)
class PurchaseListView(APIView):
    """GET /api/purchases: the buyer's receipts, newest first (filters: status, product_type, recipient, dates)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OrderFilterSerializer], responses=OrderSerializer(many=True))
    def get(self, request):
        filters = OrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        orders = selectors.orders_for_user(user=request.user, **filters.validated_data)
        paginator = PurchasesPagination()
        page = page_of(paginator, orders, request, self)
        return paginator.get_paginated_response([order_json(order) for order in page])


@api_key_scopes(GET=READ)
class PurchaseDetailView(APIView):
    """GET /api/purchases/<id>: one receipt (token and units for electricity)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderSerializer)
    def get(self, request, public_id: uuid.UUID):
        order = selectors.order_for_user(user=request.user, public_id=public_id)
        if order is None:
            raise NotFound()
        return Response(order_json(order))


# --- staff: the manual-review queue --------------------------------------------------------------
def _staff_order(public_id: uuid.UUID) -> Order:
    order = selectors.order_for_staff(public_id=public_id)
    if order is None:
        raise NotFound(gettext("No such order."))
    return order


@api_key_scopes(GET=ADMIN)
class StaffOrderListView(APIView):
    """GET /api/staff/orders?status=&q=: orders for operator staff (``status=review``: the review queue)."""

    permission_classes = [IsOperatorStaff]

    @extend_schema(parameters=[StaffOrderFilterSerializer], responses=StaffOrderSerializer(many=True))
    def get(self, request):
        filters = StaffOrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        orders = selectors.orders_for_staff(**filters.validated_data)
        paginator = PurchasesPagination()
        page = page_of(paginator, orders, request, self)
        return paginator.get_paginated_response([staff_order_json(order) for order in page])


@api_key_scopes(GET=ADMIN)
class StaffOrderDetailView(APIView):
    """GET /api/staff/orders/<id>: one order with every transition and provider attempt."""

    permission_classes = [IsOperatorStaff]

    @extend_schema(responses=StaffOrderSerializer)
    def get(self, request, public_id: uuid.UUID):
        return Response(staff_order_json(_staff_order(public_id), detail=True))


@api_key_scopes(POST=ADMIN)
class StaffOrderRequeryView(APIView):
    """POST /api/staff/orders/<id>/requery: ask the provider now and apply its answer (audited)."""

    permission_classes = [IsOperatorSupport]

    @extend_schema(request=None, responses=StaffOrderSerializer, parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request, public_id: uuid.UUID):
        order = staff.order_staff_requery(order=_staff_order(public_id), actor=request.user, request=request)
        return Response(staff_order_json(_staff_order(order.public_id), detail=True))


@api_key_scopes(POST=ADMIN)
class StaffOrderResolveView(APIView):
    """POST /api/staff/orders/<id>/resolve {delivered, note}: settle or refund a manual-review order (audited)."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(request=StaffResolveSerializer, responses=StaffOrderSerializer,
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request, public_id: uuid.UUID):
        serializer = StaffResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = staff.order_staff_resolve(order=_staff_order(public_id), actor=request.user, request=request,
                                          **serializer.validated_data)
        return Response(staff_order_json(_staff_order(order.public_id), detail=True))


def _webhook(plugin_key: str):
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> JsonResponse:
        try:
            status_code, body = callbacks.order_handle_callback(plugin_key=plugin_key, body=request.body,
                                                                headers=dict(request.headers))
        except callbacks.WebhookRejected as exc:
            return JsonResponse(error_body(exc.code, "Webhook rejected."), status=exc.status_code)
        return JsonResponse(body, status=status_code, safe=False, json_dumps_params={"separators": (",", ":")})

    view.__name__ = f"{plugin_key}_webhook"
    return provider_callback(plugin_key)(view)


vtpass_webhook = _webhook("vtpass")
aggregator_webhook = _webhook("aggregator")
dtone_webhook = _webhook("dtone")

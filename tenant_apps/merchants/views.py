"""Merchant payments API (thin: rules in services, reads in selectors).

Customers: register a business, pay by code or QR, see their payments. Owners: dashboard, history (JSON
or CSV), static and dynamic QR codes, refunds, settlements, settlement details. Operator: business-KYC
review and category fees. Money-moving POSTs take an Idempotency-Key (``@idempotent``).
"""

from __future__ import annotations

import json
from typing import Literal, overload

from django.http import StreamingHttpResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from countries.money import decimal_text, money_of
from shared_apps.core.amounts import AmountField, InvalidAmount, parse_amount
from shared_apps.core.api_scopes import ADMIN, NO_API_KEY, READ, WALLET, api_key_scopes
from shared_apps.core.errors import ApiError, NotFound
from shared_apps.core.pagination import page_of
from tenant_apps.accounts.permissions import (
    IsOperatorAdmin,
    IsOperatorFinance,
    IsOperatorStaff,
    IsOperatorSupport,
    PhoneVerified,
)
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.wallet.failures import failure_text

from . import selectors, services
from .bodies import (
    MerchantBody,
    MerchantCategoryBody,
    MerchantCategoryListBody,
    MerchantDashboardBody,
    MerchantListBody,
    MerchantPayeeBody,
    MerchantPaymentBody,
    MerchantPaymentRequestBody,
    MerchantPublicBody,
    MerchantRefundBody,
    MerchantSettlementListBody,
    MerchantStaticQrBody,
)
from .models import Merchant, MerchantCategory, MerchantPayment, MerchantStatus, PaymentStatus, SettlementMethod

IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
                                   description="Unique per operation; a replay returns the first response.")


@overload
def amount_minor(raw, *, field: str = ..., required: Literal[True] = ..., allow_zero: bool = ...) -> int: ...


@overload
def amount_minor(raw, *, field: str = ..., required: bool, allow_zero: bool = ...) -> int | None: ...


def amount_minor(raw, *, field: str = "amount", required: bool = True, allow_zero: bool = False) -> int | None:
    """An amount from outside (an ``AmountField``'s text) -> minor units in the tenant's currency, by the
    platform's one money rule (``shared_apps.core.amounts.parse_amount``): ``invalid_amount`` otherwise."""
    if raw in (None, ""):
        if required:
            raise InvalidAmount(fields={field: [gettext("Enter an amount.")]})
        return None
    return parse_amount(raw, currency=tenant_currency().code, field=field, allow_zero=allow_zero)


def category_json(category: MerchantCategory) -> dict:
    currency = tenant_currency().code
    return {"code": category.code, "name": gettext(category.name), "mcc": category.mcc, "rate_bps": category.fee_bps,
            "fee_fixed": decimal_text(money_of(category.fee_fixed_minor, currency)),
            "fee_cap": (decimal_text(money_of(category.fee_cap_minor, currency))
                        if category.fee_cap_minor is not None else None),
            "active": category.active}


def merchant_public_json(merchant: Merchant) -> dict:
    """What a payer sees before paying."""
    return {"code": merchant.code, "business_name": merchant.business_name, "city": merchant.city,
            "category": gettext(merchant.category.name)}  # seeded names are in the catalogues


def merchant_json(merchant: Merchant, *, staff: bool = False) -> dict:
    data = {
        "id": str(merchant.public_id), **merchant_public_json(merchant), "category_code": merchant.category.code,
        "address": merchant.address, "registration_number": merchant.registration_number,
        "contact_phone": merchant.contact_phone, "status": merchant.status, "review_note": merchant.review_note,
        "settlement": {"method": merchant.settlement_method, "bank_code": merchant.settlement_bank_code,
                       "account_number": merchant.settlement_account_number,
                       "account_name": merchant.settlement_account_name, "phone": merchant.settlement_phone,
                       "rail": merchant.settlement_rail},
        "takings": decimal_text(money_of(merchant.account.balance or 0, merchant.account.currency)),
        "currency": merchant.account.currency, "created_at": merchant.created_at.isoformat(),
    }
    if staff:
        data["owner"] = {"email": merchant.owner.email, "phone": merchant.owner.phone or "",
                         "verification": selectors.owner_verification(merchant)}
    return data


def payment_json(payment: MerchantPayment, *, for_merchant: bool = False) -> dict:
    currency = payment.currency
    data = {
        "id": str(payment.public_id), "reference": payment.reference,
        "amount": decimal_text(money_of(payment.amount_minor, currency)),
        "currency": currency, "channel": payment.channel, "status": payment.status,
        "refunded": decimal_text(money_of(payment.refunded_minor, currency)), "note": payment.note,
        "created_at": payment.created_at.isoformat(), "merchant": merchant_public_json(payment.merchant),
    }
    if for_merchant:
        data.update(fee=decimal_text(money_of(payment.fee_minor, currency)),
                    net=decimal_text(money_of(payment.net_minor, currency)),
                    payer=selectors.masked_phone(payment.payer.phone or ""))
    return data


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- customers: register, pay ---------------------------------------------------------------------

class SettlementSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=SettlementMethod.choices)
    bank_code = serializers.RegexField(r"^[0-9A-Za-z]{2,20}$", required=False, allow_blank=True)
    account_number = serializers.RegexField(r"^[0-9]{6,20}$", required=False, allow_blank=True)
    rail = serializers.RegexField(r"^[a-z_]{2,40}$", required=False, allow_blank=True)

    def details(self) -> services.SettlementDetails:
        data = self.validated_data
        return services.SettlementDetails(method=data["method"], bank_code=data.get("bank_code", ""),
                                          account_number=data.get("account_number", ""), rail=data.get("rail", ""))


class MerchantRegisterSerializer(serializers.Serializer):
    business_name = serializers.CharField(max_length=100)
    category = serializers.SlugField(max_length=40)
    city = serializers.CharField(max_length=60)
    address = serializers.CharField(max_length=200)
    registration_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    settlement = SettlementSerializer(required=False)


def _settlement(data: dict | None) -> services.SettlementDetails:
    if not data:
        return services.SettlementDetails()
    return services.SettlementDetails(method=data["method"], bank_code=data.get("bank_code", ""),
                                      account_number=data.get("account_number", ""), rail=data.get("rail", ""))


@extend_schema(request=MerchantRegisterSerializer)
@api_key_scopes(GET=READ, POST=NO_API_KEY)
class MerchantListView(APIView):
    """GET: my businesses; POST: register one (it takes payments once the operator approved it)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(operation_id="merchants_list", responses=MerchantListBody)
    def get(self, request):
        return Response({"results": [merchant_json(m) for m in selectors.merchants_of(owner=request.user)]})

    @extend_schema(responses={201: MerchantBody})
    def post(self, request):
        body = MerchantRegisterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        merchant = services.merchant_register(
            owner=request.user, business_name=data["business_name"], category_code=data["category"],
            city=data["city"], address=data["address"], registration_number=data.get("registration_number", ""),
            contact_phone=data.get("contact_phone", ""), settlement=_settlement(data.get("settlement")),
            request=request)
        return Response(merchant_json(merchant), status=status.HTTP_201_CREATED)


@extend_schema(responses=MerchantCategoryListBody)
@api_key_scopes(GET=READ)
class CategoryListView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"results": [category_json(c) for c in MerchantCategory.objects.filter(active=True)]})


@extend_schema(parameters=[OpenApiParameter("code", str, required=True)], responses=MerchantPublicBody)
@api_key_scopes(GET=READ)
class MerchantLookupView(APIView):
    """GET ?code=12345678: the business a code pays (shown to the payer before paying)."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        payee = services.payee_from_code(request.query_params.get("code", ""))
        return Response(merchant_public_json(payee.merchant))


class QrSerializer(serializers.Serializer):
    qr = serializers.CharField(max_length=512, trim_whitespace=True)


def _payee_json(payee: services.Payee) -> dict:
    currency = tenant_currency().code
    return {"merchant": merchant_public_json(payee.merchant), "channel": payee.channel,
            "amount": decimal_text(money_of(payee.amount_minor, currency)) if payee.amount_minor is not None else None,
            "currency": currency,
            "bill_number": payee.payment_request.bill_number if payee.payment_request else ""}


@extend_schema(request=QrSerializer, responses=MerchantPayeeBody)
@api_key_scopes(POST=WALLET)  # a step of paying (and a read-only key writes nothing, not even a POST)
class QrResolveView(APIView):
    """POST {qr}: read a scanned EMVCo payload (CRC checked) and say whom it pays, and how much (no money moves)."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        body = QrSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(_payee_json(services.payee_from_qr(body.validated_data["qr"])))


class PaySerializer(serializers.Serializer):
    merchant_code = serializers.CharField(max_length=8, required=False, allow_blank=True)
    qr = serializers.CharField(max_length=512, required=False, allow_blank=True)
    amount = AmountField(required=False, allow_blank=True, allow_null=True,
                         help_text="required unless the QR code sets the amount")
    note = serializers.CharField(max_length=140, required=False, allow_blank=True)

    def validate(self, attrs):
        if bool(attrs.get("merchant_code")) == bool(attrs.get("qr")):
            raise serializers.ValidationError(
                {"merchant_code": [gettext("Give a merchant code or a QR payload (one).")]})
        return attrs


@api_key_scopes(GET=READ, POST=WALLET)
class MerchantPaymentsView(APIView):
    """POST: pay a merchant by code or QR payload; GET: my payments to merchants."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(operation_id="merchant_payments_list", responses=MerchantPaymentBody(many=True))
    def get(self, request):
        paginator = Pagination()
        page = page_of(paginator, selectors.payments_by_payer(payer=request.user), request, self)
        return paginator.get_paginated_response([payment_json(p) for p in page])

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=PaySerializer, responses={201: MerchantPaymentBody})
    @idempotent
    def post(self, request):
        body = PaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        payee = services.payee_from_qr(data["qr"]) if data.get("qr") else \
            services.payee_from_code(data["merchant_code"])
        amount = amount_minor(data.get("amount"), required=payee.amount_minor is None)
        payment = services.merchant_pay(payer=request.user, payee=payee, amount_minor=amount,
                                        note=data.get("note", ""))
        return Response(payment_json(payment), status=status.HTTP_201_CREATED)


@extend_schema(responses=MerchantPaymentBody)
@api_key_scopes(GET=READ)
class MerchantPaymentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        payment = selectors.payments_by_payer(payer=request.user).filter(public_id=public_id).first()
        if payment is None:
            raise NotFound(gettext("No such payment."), code="unknown_payment")
        return Response(payment_json(payment))


# --- owners ------------------------------------------------------------------------------------------

def _mine(request, public_id) -> Merchant:
    merchant = selectors.merchant_of(owner=request.user, public_id=public_id)
    if merchant is None:
        raise NotFound(gettext("No such business."), code="unknown_merchant")
    return merchant


@extend_schema(responses=MerchantBody)
@api_key_scopes(GET=READ)
class MerchantDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        return Response(merchant_json(_mine(request, public_id)))


@extend_schema(request=SettlementSerializer, responses=MerchantBody)
@api_key_scopes(PUT=NO_API_KEY)
class SettlementDetailsView(APIView):
    """PUT: where the takings are paid (bank: name enquiry; mobile money: your own verified number)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def put(self, request, public_id):
        merchant = _mine(request, public_id)
        body = SettlementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        merchant = services.merchant_update_settlement(merchant=merchant, actor=request.user,
                                                       settlement=body.details(), request=request)
        return Response(merchant_json(merchant))


@extend_schema(responses=MerchantStaticQrBody)
@api_key_scopes(GET=READ)
class StaticQrView(APIView):
    """GET: the business's printed EMVCo code (static: the payer types the amount)."""

    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        merchant = _mine(request, public_id)
        if merchant.status != MerchantStatus.ACTIVE:
            raise services.MerchantNotActive()
        return Response({"payload": services.merchant_static_qr(merchant=merchant), "code": merchant.code})


class PaymentRequestSerializer(serializers.Serializer):
    amount = AmountField()
    bill_number = serializers.CharField(max_length=25, required=False, allow_blank=True)


@extend_schema(request=PaymentRequestSerializer, responses={201: MerchantPaymentRequestBody})
@api_key_scopes(POST=WALLET)
class PaymentRequestView(APIView):
    """POST {amount, bill_number?}: a dynamic EMVCo code for one payment of that amount (expires, paid once)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def post(self, request, public_id):
        merchant = _mine(request, public_id)
        body = PaymentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment_request = services.payment_request_create(
            merchant=merchant, actor=request.user, amount_minor=amount_minor(body.validated_data["amount"]),
            bill_number=body.validated_data.get("bill_number", ""))
        return Response({"id": str(payment_request.public_id), "reference": payment_request.reference,
                         "amount": decimal_text(money_of(payment_request.amount_minor, payment_request.currency)),
                         "currency": payment_request.currency, "expires_at": payment_request.expires_at.isoformat(),
                         "payload": services.payment_request_qr(payment_request=payment_request)},
                        status=status.HTTP_201_CREATED)


@extend_schema(responses=MerchantDashboardBody)
@api_key_scopes(GET=READ)
class DashboardView(APIView):
    """GET: today's takings (payments, fees, refunds, net), the unsettled balance, the last settlements."""

    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        merchant = _mine(request, public_id)
        today = selectors.takings_for_day(merchant=merchant)
        currency = merchant.account.currency
        merchant.account.refresh_from_db(fields=["balance"])
        return Response({
            "date": today.day.isoformat(), "payments": today.payments,
            "gross": decimal_text(money_of(today.gross_minor, currency)),
            "fees": decimal_text(money_of(today.fees_minor, currency)), "refunds": today.refunds,
            "refunded": decimal_text(money_of(today.refunded_minor, currency)),
            "net": decimal_text(money_of(today.net_minor, currency)),
            "unsettled": decimal_text(money_of(merchant.account.balance or 0, currency)), "currency": currency,
            "settlements": [settlement_json(s) for s in selectors.settlements_of(merchant=merchant)[:10]],
        })


def settlement_json(settlement) -> dict:
    settlement = services.settlement_sync(settlement=settlement)
    return {"id": str(settlement.public_id), "business_date": settlement.business_date.isoformat(),
            "amount": decimal_text(money_of(settlement.amount_minor, settlement.currency)),
            "currency": settlement.currency,
            "method": settlement.method, "status": settlement.status,
            "failure_reason": failure_text("settlement", settlement.failure_reason, status=settlement.status),
            "failure_code": settlement.failure_reason}


class CsvStream(BaseRenderer):
    """Lets ``?format=csv`` through content negotiation; the view answers with a streamed CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode()  # only errors get here (a 4xx before the stream)


class HistoryFilter(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False)


@extend_schema(parameters=[HistoryFilter], responses={(200, "application/json"): MerchantPaymentBody(many=True),
                                                  (200, "text/csv"): OpenApiTypes.STR})
@api_key_scopes(GET=READ)
class MerchantHistoryView(APIView):
    """GET: payments received (filters: date_from, date_to, status); ``?format=csv`` streams a CSV file."""

    permission_classes = [IsAuthenticated]
    # api_settings imports the dotted paths: renderer classes (its stub says strings).
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CsvStream]  # type: ignore[list-item]

    def get(self, request, public_id):
        merchant = _mine(request, public_id)
        filters = HistoryFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        payments = selectors.payments_for_merchant(merchant=merchant, date_from=data.get("date_from"),
                                                   date_to=data.get("date_to"), status=data.get("status", ""))
        if data.get("format") == "csv":
            response = StreamingHttpResponse(selectors.payments_csv(payments.iterator(chunk_size=500)),
                                             content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="payments-{merchant.code}.csv"'
            return response
        paginator = Pagination()
        page = page_of(paginator, payments, request, self)
        return paginator.get_paginated_response([payment_json(p, for_merchant=True) for p in page])

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, StreamingHttpResponse):
            return response
        return super().finalize_response(request, response, *args, **kwargs)


class RefundSerializer(serializers.Serializer):
    amount = AmountField(required=False, allow_blank=True, allow_null=True,
                         help_text="default: everything not yet refunded")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


@extend_schema(request=RefundSerializer, responses={201: MerchantRefundBody})
@api_key_scopes(POST=WALLET)
class RefundView(APIView):
    """POST {amount?, reason?}: refund a payment in full or in part (never more than paid, in total)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id, payment_id):
        merchant = _mine(request, public_id)
        payment = MerchantPayment.objects.filter(merchant=merchant, public_id=payment_id).first()
        if payment is None:
            raise NotFound(gettext("No such payment."), code="unknown_payment")
        body = RefundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        refund = services.payment_refund(actor=request.user, payment=payment,
                                         amount_minor=amount_minor(body.validated_data.get("amount"), required=False),
                                         reason=body.validated_data.get("reason", ""), request=request)
        return Response({"id": str(refund.public_id),
                         "amount": decimal_text(money_of(refund.amount_minor, payment.currency)),
                         "fee_returned": decimal_text(money_of(refund.fee_returned_minor, payment.currency)),
                         "payment": payment_json(payment, for_merchant=True)}, status=status.HTTP_201_CREATED)


@extend_schema(responses=MerchantSettlementListBody)
@api_key_scopes(GET=READ)
class SettlementListView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        merchant = _mine(request, public_id)
        return Response({"results": [settlement_json(s) for s in selectors.settlements_of(merchant=merchant)[:100]]})


# --- operator --------------------------------------------------------------------------------------

@extend_schema(parameters=[OpenApiParameter("status", str)], responses=MerchantBody(many=True))
@api_key_scopes(GET=ADMIN)
class StaffMerchantListView(APIView):
    permission_classes = [IsOperatorStaff]

    def get(self, request):
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in MerchantStatus.values:
            raise ApiError(code="validation_error", message=gettext("Some fields are invalid."),
                           fields={"status": [gettext("One of %(choices)s.") % {
                               "choices": ", ".join(MerchantStatus.values)}]})
        paginator = Pagination()
        page = page_of(paginator, selectors.merchants_for_review(status=wanted), request, self)
        return paginator.get_paginated_response([merchant_json(m, staff=True) for m in page])


class MerchantDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


@extend_schema(request=MerchantDecisionSerializer, responses=MerchantBody)
@api_key_scopes(POST=ADMIN)
class StaffMerchantDecisionView(APIView):
    """POST: approve / reject (business KYC) or suspend / reactivate; each transition once (409 otherwise)."""

    permission_classes = [IsOperatorSupport]
    action = ""

    def post(self, request, public_id):
        merchant = Merchant.objects.select_related("owner", "category", "account").filter(public_id=public_id).first()
        if merchant is None:
            raise NotFound(gettext("No such business."), code="unknown_merchant")
        body = MerchantDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        merchant = services.merchant_decide(reviewer=request.user, merchant=merchant, action=self.action,
                                            note=body.validated_data.get("note", ""), request=request)
        return Response(merchant_json(merchant, staff=True))


@extend_schema(request=RefundSerializer, responses={201: MerchantRefundBody})
@api_key_scopes(POST=ADMIN)
class StaffRefundView(APIView):
    """POST {amount?, reason}: operator finance refunds a payment for a dispute (same rules as the owner's)."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        payment = MerchantPayment.objects.select_related("merchant", "payer").filter(public_id=public_id).first()
        if payment is None:
            raise NotFound(gettext("No such payment."), code="unknown_payment")
        body = RefundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not body.validated_data.get("reason"):
            raise ApiError(gettext("Some fields are invalid."), code="validation_error",
                           fields={"reason": [gettext("Say why (the dispute).")]})
        refund = services.payment_refund(actor=request.user, payment=payment,
                                         amount_minor=amount_minor(body.validated_data.get("amount"), required=False),
                                         reason=body.validated_data["reason"], request=request)
        return Response({"id": str(refund.public_id),
                         "amount": decimal_text(money_of(refund.amount_minor, payment.currency)),
                         "fee_returned": decimal_text(money_of(refund.fee_returned_minor, payment.currency)),
                         "payment": payment_json(payment, for_merchant=True)}, status=status.HTTP_201_CREATED)


class CategorySerializer(serializers.Serializer):
    rate_bps = serializers.IntegerField(min_value=0, max_value=10_000, help_text="percent of the payment, in basis "
                                                                                 "points (250 = 2.5 %)")
    fee_fixed = AmountField(required=False, allow_blank=True, allow_null=True)
    fee_cap = AmountField(required=False, allow_blank=True, allow_null=True, help_text="empty or null: no cap")
    active = serializers.BooleanField(required=False, default=True)


def fee_minor(raw, field: str) -> int | None:
    """A fee amount (zero allowed); None when not given."""
    return amount_minor(raw, field=field, required=False, allow_zero=True)


@extend_schema(responses=MerchantCategoryListBody)
@api_key_scopes(GET=ADMIN)
class StaffCategoryListView(APIView):
    """GET: every category with its fee (inactive ones too)."""

    permission_classes = [IsOperatorAdmin]

    @extend_schema(operation_id="staff_merchant_categories_list")
    def get(self, request):
        return Response({"results": [category_json(c) for c in MerchantCategory.objects.all()]})


@extend_schema(request=CategorySerializer, responses=MerchantCategoryBody)
@api_key_scopes(GET=ADMIN, PUT=ADMIN)
class StaffCategoryView(APIView):
    """GET / PUT one category's fee (PUT audited; applies to payments from now on)."""

    permission_classes = [IsOperatorAdmin]

    def get(self, request, code: str):
        category = MerchantCategory.objects.filter(code=code).first()
        if category is None:
            raise NotFound(gettext("No such category."), code="unknown_category")
        return Response(category_json(category))

    def put(self, request, code: str):
        category = MerchantCategory.objects.filter(code=code).first()
        if category is None:
            raise NotFound(gettext("No such category."), code="unknown_category")
        body = CategorySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        category = services.category_update(actor=request.user, category=category, fee_bps=data["rate_bps"],
                                            fee_fixed_minor=fee_minor(data.get("fee_fixed"), "fee_fixed") or 0,
                                            fee_cap_minor=fee_minor(data.get("fee_cap"), "fee_cap"),
                                            active=data["active"], request=request)
        return Response(category_json(category))

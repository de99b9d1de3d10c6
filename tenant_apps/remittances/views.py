"""Remittances API (thin: rules in services, reads in selectors).

Customers: corridors, quotes (priced and screened; no money moves), sending a quote (``@idempotent``: the
Idempotency-Key, the PIN gate over the hold), history and status, what they received. Operator: the review
queue (release sends, reject refunds: both idempotent), the list, corridor margins and fees (audited).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from countries.fields import country_name
from countries.money import decimal_text, money_of
from shared_apps.core.amounts import AmountField, MoneyField, parse_amount
from shared_apps.core.api_scopes import ADMIN, READ, WALLET, api_key_scopes
from shared_apps.core.errors import NotFound
from shared_apps.core.pagination import page_of
from tenant_apps.accounts.permissions import IsOperatorAdmin, IsOperatorStaff, IsOperatorSupport, PhoneVerified
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.wallet.failures import failure_text
from tenant_apps.wallet.serializers import FAILURE_CODE_HELP, FAILURE_REASON_HELP

from . import selectors, services
from .fx import rate_text
from .models import Corridor, InboundRemittance, Method, Quote, Remittance, RemittanceStatus

IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
                                   description="Unique per operation; a replay returns the first response.")


def corridor_json(corridor: Corridor) -> dict:
    currency = tenant_currency().code
    return {"destination_country": corridor.destination_country,
            "destination_country_name": country_name(corridor.destination_country), "active": corridor.active,
            "margin_bps": corridor.margin_bps, "rate_bps": corridor.fee_bps,
            "fee_fixed": decimal_text(money_of(corridor.fee_fixed_minor, currency)),
            "min_send": decimal_text(money_of(corridor.smallest_send_minor, currency)),
            "max_send": decimal_text(money_of(corridor.max_send_minor, currency)) if corridor.max_send_minor else None}


def quote_json(quote: Quote) -> dict:
    return {"id": str(quote.public_id), "destination_country": quote.destination_country,
            "destination_country_name": country_name(quote.destination_country), "method": quote.method,
            "send_amount": decimal_text(money_of(quote.send_minor, quote.send_currency)),
            "send_currency": quote.send_currency,
            "fee": decimal_text(money_of(quote.fee_minor, quote.send_currency)),
            "principal": decimal_text(money_of(quote.principal_minor, quote.send_currency)),
            "rate": rate_text(quote.rate_e9), "mid_rate": rate_text(quote.mid_rate_e9),
            "receive_amount": decimal_text(money_of(quote.receive_minor, quote.receive_currency)),
            "receive_currency": quote.receive_currency,
            "minor": {"send": quote.send_minor, "fee": quote.fee_minor, "principal": quote.principal_minor,
                      "receive": quote.receive_minor, "rate_e9": quote.rate_e9},
            "recipient": {"name": quote.recipient_name, "phone": quote.recipient_phone,
                          "rail": quote.recipient_rail, "bank_code": quote.recipient_bank_code,
                          "account_number": quote.recipient_account},
            "expires_at": quote.expires_at.isoformat(), "created_at": quote.created_at.isoformat()}


def remittance_json(row: Remittance, *, staff: bool = False) -> dict:
    data: dict[str, Any] = {"id": str(row.public_id), "quote": str(row.quote.public_id), "status": row.status,
            "destination_country": row.destination_country,
            "destination_country_name": country_name(row.destination_country), "method": row.method,
            "send_amount": decimal_text(money_of(row.send_minor, row.send_currency)),
            "send_currency": row.send_currency,
            "fee": decimal_text(money_of(row.fee_minor, row.send_currency)), "rate": rate_text(row.rate_e9),
            "receive_amount": decimal_text(money_of(row.receive_minor, row.receive_currency)),
            "receive_currency": row.receive_currency,
            "recipient": {"name": row.recipient_name, "phone": row.recipient_phone,
                          "account_number": row.recipient_account},
            "failure_reason": failure_text("remittance", row.failure_reason, status=row.status),
            "failure_code": row.failure_reason, "created_at": row.created_at.isoformat(),
            "completed_at": row.completed_at.isoformat() if row.completed_at else None}
    if staff:
        data.update(sender={"email": row.sender.email, "phone": row.sender.phone or ""},
                    review_reason=row.review_reason, screening_matches=row.quote.screening_matches,
                    attempts=row.attempts)
    return data


def inbound_json(row: InboundRemittance) -> dict:
    return {"id": str(row.public_id), "from_country": row.sender_country,
            "from_country_name": country_name(row.sender_country), "status": row.status,
            "amount": decimal_text(money_of(row.amount_minor, row.currency)), "currency": row.currency,
            "created_at": row.created_at.isoformat()}


# --- Response bodies (OpenAPI): what the *_json functions above return, field for field ---------------------

class RemittanceRecipientBody(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    account_number = serializers.CharField(allow_blank=True)


class RemittanceSenderBody(serializers.Serializer):
    email = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)


class RemittanceBody(serializers.Serializer):
    id = serializers.UUIDField()
    quote = serializers.UUIDField()
    status = serializers.ChoiceField(choices=RemittanceStatus.choices)
    destination_country = serializers.CharField()
    destination_country_name = serializers.CharField(help_text="In the request's language.")
    method = serializers.CharField()
    send_amount = MoneyField()
    send_currency = serializers.CharField()
    fee = MoneyField()
    rate = serializers.CharField()
    receive_amount = MoneyField()
    receive_currency = serializers.CharField()
    recipient = RemittanceRecipientBody()
    failure_reason = serializers.CharField(allow_blank=True, help_text=FAILURE_REASON_HELP)
    failure_code = serializers.CharField(allow_blank=True, help_text=FAILURE_CODE_HELP)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    sender = RemittanceSenderBody(required=False, help_text="staff only")
    review_reason = serializers.CharField(required=False, allow_blank=True, help_text="staff only")
    screening_matches = serializers.ListField(child=serializers.JSONField(), required=False, help_text="staff only")
    attempts = serializers.IntegerField(required=False, help_text="staff only")


class InboundRemittanceBody(serializers.Serializer):
    id = serializers.UUIDField()
    from_country = serializers.CharField()
    from_country_name = serializers.CharField(help_text="In the request's language.")
    status = serializers.CharField()
    amount = MoneyField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()


class CorridorBody(serializers.Serializer):
    destination_country = serializers.CharField()
    destination_country_name = serializers.CharField(help_text="In the request's language.")
    active = serializers.BooleanField()
    margin_bps = serializers.IntegerField()
    rate_bps = serializers.IntegerField()
    fee_fixed = MoneyField()
    min_send = MoneyField()
    max_send = MoneyField(allow_null=True)


class QuoteMinorBody(serializers.Serializer):
    send = serializers.IntegerField()
    fee = serializers.IntegerField()
    principal = serializers.IntegerField()
    receive = serializers.IntegerField()
    rate_e9 = serializers.IntegerField()


class QuoteRecipientBody(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    rail = serializers.CharField(allow_blank=True)
    bank_code = serializers.CharField(allow_blank=True)
    account_number = serializers.CharField(allow_blank=True)


class QuoteBody(serializers.Serializer):
    id = serializers.UUIDField()
    destination_country = serializers.CharField()
    destination_country_name = serializers.CharField(help_text="In the request's language.")
    method = serializers.CharField()
    send_amount = MoneyField()
    send_currency = serializers.CharField()
    fee = MoneyField()
    principal = MoneyField()
    rate = serializers.CharField()
    mid_rate = serializers.CharField()
    receive_amount = MoneyField()
    receive_currency = serializers.CharField()
    minor = QuoteMinorBody()
    recipient = QuoteRecipientBody()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


def _results(name: str, body: serializers.Serializer):
    """``{"results": [...]}``: the unpaged lists of this API (at most a few hundred rows)."""
    return inline_serializer(name, {"results": body})


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema(responses=_results("CorridorList", CorridorBody(many=True)))
@api_key_scopes(GET=READ)
class CorridorListView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"results": [corridor_json(c) for c in Corridor.objects.filter(active=True)]})


class QuoteSerializer(serializers.Serializer):
    destination_country = serializers.RegexField(r"^[A-Za-z]{2}$")
    amount = AmountField()
    method = serializers.ChoiceField(choices=Method.choices)
    sender_name = serializers.CharField(max_length=120, help_text="the sender's name as on their ID")
    recipient_name = serializers.CharField(max_length=120)
    recipient_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    rail = serializers.RegexField(r"^[a-z_]{2,40}$", required=False, allow_blank=True)
    bank_code = serializers.RegexField(r"^[0-9A-Za-z]{2,20}$", required=False, allow_blank=True)
    account_number = serializers.RegexField(r"^[0-9]{6,20}$", required=False, allow_blank=True)


@extend_schema(request=QuoteSerializer, responses={201: QuoteBody})
@api_key_scopes(POST=WALLET)
class QuoteView(APIView):
    """POST: price a remittance (rate locked until ``expires_at``) and screen the names. No money moves."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def post(self, request):
        body = QuoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        amount = parse_amount(data["amount"], currency=tenant_currency().code)
        quote = services.quote_create(
            user=request.user, destination_country=data["destination_country"], send_minor=amount,
            method=data["method"], sender_name=data["sender_name"], recipient_name=data["recipient_name"],
            recipient_phone=data.get("recipient_phone", ""), rail=data.get("rail", ""),
            bank_code=data.get("bank_code", ""), account_number=data.get("account_number", ""))
        return Response(quote_json(quote), status=status.HTTP_201_CREATED)


@extend_schema(responses=QuoteBody)
@api_key_scopes(GET=READ)
class QuoteDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        quote = Quote.objects.filter(user=request.user, public_id=public_id).first()
        if quote is None:
            raise NotFound(code="quote_not_found")
        return Response(quote_json(quote))


class SendSerializer(serializers.Serializer):
    quote = serializers.UUIDField()


@api_key_scopes(GET=READ, POST=WALLET)
class RemittanceListView(APIView):
    """POST {quote}: send (202: under way; the status says where it is). GET: my remittances."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(operation_id="remittances_list", responses=RemittanceBody(many=True))
    def get(self, request):
        paginator = Pagination()
        page = page_of(paginator, selectors.remittances_of(user=request.user).select_related("quote"), request, self)
        return paginator.get_paginated_response([remittance_json(r) for r in page])

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=SendSerializer, responses={202: RemittanceBody})
    @idempotent
    def post(self, request):
        body = SendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.remittance_accept(user=request.user, quote_id=body.validated_data["quote"])
        return Response(remittance_json(row), status=status.HTTP_202_ACCEPTED)


@extend_schema(responses=RemittanceBody)
@api_key_scopes(GET=READ)
class RemittanceDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        row = selectors.remittance_of(user=request.user, public_id=public_id)
        if row is None:
            raise NotFound(code="remittance_not_found")
        return Response(remittance_json(row))


@extend_schema(responses=_results("ReceivedRemittanceList", InboundRemittanceBody(many=True)))
@api_key_scopes(GET=READ)
class ReceivedListView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"results": [inbound_json(r) for r in selectors.received_by(user=request.user)[:200]]})


# --- operator ---------------------------------------------------------------------------------------------

@extend_schema(parameters=[OpenApiParameter("status", str)], responses=RemittanceBody(many=True))
@api_key_scopes(GET=READ)
class StaffRemittanceListView(APIView):
    permission_classes = [IsOperatorStaff]

    def get(self, request):
        wanted = request.query_params.get("status", "")
        rows = selectors.staff_list(status=wanted if wanted in RemittanceStatus.values else "")
        paginator = Pagination()
        page = page_of(paginator, rows.select_related("quote"), request, self)
        return paginator.get_paginated_response([remittance_json(r, staff=True) for r in page])


class RemittanceDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


@extend_schema(request=RemittanceDecisionSerializer, responses=RemittanceBody)
@api_key_scopes(POST=ADMIN)
class StaffDecisionView(APIView):
    """POST release (sends it) / reject (refunds the sender): a remittance held for review."""

    permission_classes = [IsOperatorSupport]
    action: str = "release"

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        body = RemittanceDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = Remittance.objects.filter(public_id=public_id).first()
        if row is None:
            raise NotFound(code="remittance_not_found")
        decide = services.remittance_release if self.action == "release" else services.remittance_reject
        row = decide(actor=request.user, remittance=row, note=body.validated_data.get("note", ""), request=request)
        return Response(remittance_json(row, staff=True))


class CorridorSerializer(serializers.Serializer):
    margin_bps = serializers.IntegerField(min_value=0, max_value=4999, help_text="FX margin off the mid rate")
    rate_bps = serializers.IntegerField(min_value=0, max_value=4999, help_text="the fee, as a share of the amount")
    fee_fixed = AmountField(required=False)
    min_send = AmountField(required=False)
    max_send = AmountField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False, default=True)


@api_key_scopes(GET=READ)
class StaffCorridorListView(APIView):
    """GET: every corridor of this tenant, open or not."""

    permission_classes = [IsOperatorStaff]

    @extend_schema(responses=_results("StaffCorridorList", CorridorBody(many=True)),
                   operation_id="staff_remittance_corridors_list")
    def get(self, request):
        return Response({"results": [corridor_json(c) for c in Corridor.objects.all()]})


@extend_schema(request=CorridorSerializer, responses=CorridorBody)
@api_key_scopes(GET=READ, PUT=ADMIN)
class StaffCorridorView(APIView):
    """GET / PUT /<country>: one corridor; PUT opens or changes it (margin, fee; audited)."""

    permission_classes = [IsOperatorAdmin]

    def get(self, request, country: str):
        corridor = Corridor.objects.filter(destination_country=country.upper()).first()
        if corridor is None:
            raise NotFound(code="corridor_not_found")
        return Response(corridor_json(corridor))

    def put(self, request, country: str):
        body = CorridorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        currency = tenant_currency().code

        def minor(field: str, default: int | None) -> int | None:
            raw = data.get(field)
            return default if raw in (None, "") else parse_amount(raw, currency=currency, field=field,
                                                                   allow_zero=True)

        corridor = services.corridor_update(
            actor=request.user, destination_country=country, margin_bps=data["margin_bps"],
            fee_bps=data["rate_bps"], fee_fixed_minor=minor("fee_fixed", 0) or 0,
            min_send_minor=minor("min_send", 100) or 100, max_send_minor=minor("max_send", None),
            active=data.get("active", True), request=request)
        return Response(corridor_json(corridor))
